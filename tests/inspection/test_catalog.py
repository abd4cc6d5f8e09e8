"""Catalog: ops and tensors from the GraphDef protobuf, search semantics, walks and scopes."""

from __future__ import annotations

import fnmatch
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import explorer
from explorer.errors import TensorNotFoundError
from explorer.inspection.catalog import Catalog
from tests.conftest import shared_model


@pytest.fixture(scope="module")
def frozen(mlp_paths):
    return explorer.Catalog.from_model(explorer.load(mlp_paths["frozen_pb"]))


@pytest.fixture(scope="module")
def ckpt(mlp_paths):
    return explorer.Catalog.from_model(explorer.load(mlp_paths["checkpoint_v2"]))


@pytest.fixture(scope="module")
def synthetic():
    """A 2,000-node graph from the benchmark's generator (mixed-case names, scopes)."""
    from benchmarks.bench_catalog import synthetic_graph_def

    return Catalog.from_graph_def(synthetic_graph_def(2000))


def test_model_catalog_is_cached_and_complete(mlp_paths, frozen):
    model = explorer.load(mlp_paths["frozen_pb"])
    assert explorer.Catalog.from_model(model) is explorer.Catalog.from_model(model)
    assert len(frozen) == len(model.graph_def.node)
    assert [op.name for op in frozen.ops] == [n.name for n in model.graph_def.node]
    assert frozen.op_type_counts() == model.op_types()


def test_unregistered_ops_are_catalogued_without_importing(frozen, mlp_paths):
    """An op type TF does not know would make import_graph_def fail; the catalog still works."""
    model = explorer.load(mlp_paths["frozen_pb"])
    gd = type(model.graph_def)()
    gd.CopyFrom(model.graph_def)
    for n in gd.node:
        if n.name == "dense/Relu":
            n.op = "MyRelu"
    reader = gd.node.add(name="reader", op="MyMulti", input=["x"])
    gd.node.add(name="use", op="Identity", input=["reader:2"]).attr["T"].type = 1
    cat = Catalog.from_graph_def(gd)
    assert cat.op("dense/Relu").type == "MyRelu"
    assert cat.tensor("dense/Relu:0").dtype == "unknown"
    assert cat.op("reader").outputs == ("reader:0", "reader:1", "reader:2")
    assert cat.tensor("reader:2").consumers == ("use",)
    assert reader.op == "MyMulti"


def test_lookup_errors_name_the_fix(frozen):
    with pytest.raises(TensorNotFoundError, match=r"'nope' is not an op of .*catalog.search"):
        frozen.op("nope")
    with pytest.raises(TensorNotFoundError, match=r"'probs:3' .*has 1 outputs"):
        frozen.tensor("probs:3")
    assert "probs:0" in frozen and "probs:1" not in frozen and "probs" in frozen


def test_search_kinds(synthetic):
    names = synthetic.names
    # substring: case-insensitive, ":idx" ignored
    hits = synthetic.search("BLOCK_7/relu:0")
    assert [h.name for h in hits] == [n for n in names if "block_7/relu" in n.lower()]
    # glob: whole name, case-insensitive
    hits = synthetic.search("model/stage_1/*/matmul")
    assert [h.name for h in hits] == [
        n for n in names if fnmatch.fnmatchcase(n.lower(), "model/stage_1/*/matmul")
    ]
    assert hits and all(h.type == "MatMul" for h in hits)
    # regex: searched, case as written, anchors per name
    hits = synthetic.search(r"re:^model/stage_0/block_1\d/Relu$")
    assert [h.name for h in hits] == [f"model/stage_0/block_{i}/Relu" for i in range(10, 20)]
    assert synthetic.search("re:relu") == []
    hits = synthetic.search(r"re:(?<=block_3/)Relu")  # lookbehind: per-name fallback
    assert [h.name for h in hits] == [f"model/stage_{i}/block_3/Relu" for i in range(3)]
    with pytest.raises(re.error):
        synthetic.search("re:(")


def test_search_filters_and_limit(synthetic):
    relus = synthetic.search("", op_type="Relu")
    assert len(relus) == synthetic.op_type_counts()["Relu"] and all(r.type == "Relu" for r in relus)
    assert [r.name for r in synthetic.search("", op_type=["Softmax", "Placeholder"])] == [
        "input",
        "output",
    ]
    in_scope = synthetic.search("relu", scope="model/stage_1/")
    assert in_scope and all(r.name.startswith("model/stage_1/") for r in in_scope)
    assert len(synthetic.search("", scope="model/stage_1")) == 7 * len(in_scope)
    ints = synthetic.search("", dtype="int32")
    assert ints and all(r.type == "Shape" for r in ints)
    assert len(synthetic.search("block", limit=5)) == 5
    assert synthetic.search("block", limit=0) == []
    assert synthetic.search("nothing-like-this") == []
    assert synthetic.search("relu", op_type="Relu", dtype="float32", scope="model/stage_0", limit=3)


_NAMES = st.text(alphabet="abAB_/0123", min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(text=_NAMES)
def test_substring_search_matches_a_plain_scan(synthetic, text):
    expected = [n for n in synthetic.names if text.lower() in n.lower()]
    assert [h.name for h in synthetic.search(text)] == expected


@settings(max_examples=40, deadline=None)
@given(parts=st.lists(st.sampled_from(["model", "stage_1", "*", "?", "block_2*", "Relu", "/"])))
def test_glob_search_matches_fnmatch(synthetic, parts):
    glob = "".join(parts)
    if not any(c in glob for c in "*?"):
        glob += "*"  # without a wildcard the text is a substring search
    expected = [n for n in synthetic.names if fnmatch.fnmatchcase(n.lower(), glob.lower())]
    assert [h.name for h in synthetic.search(glob)] == expected


_REGEX_PARTS = ["^", "model", r"stage_\d", "/", ".*", "Relu", "$", "block_(1|2)", "[a-z]+", r"\b"]


@settings(max_examples=40, deadline=None)
@given(parts=st.lists(st.sampled_from(_REGEX_PARTS), min_size=1, max_size=5))
def test_regex_search_matches_re_search(synthetic, parts):
    pattern = "".join(parts)
    expected = [n for n in synthetic.names if re.search(pattern, n)]
    assert [h.name for h in synthetic.search("re:" + pattern)] == expected


def test_neighbours_subgraph(frozen):
    sub = frozen.neighbours("logits/BiasAdd", up=1, down=1)
    names = {n.name for n in sub.nodes}
    assert sub.center == "logits/BiasAdd" and sub.depth["probs"] == 1
    assert "probs" in names and all(sub.depth[n] in (-1, 0, 1) for n in names)
    assert all(e.src in names and e.dst in names for e in sub.edges)
    assert any(e.src == "logits/BiasAdd" and e.dst == "probs" for e in sub.edges)
    two = frozen.neighbours("probs", up=2, down=0)
    assert min(two.depth.values()) == -2 and max(two.depth.values()) == 0
    assert len(frozen.neighbours("probs", up=50, limit=4).nodes) == 4
    assert sub.to_json()["center"] == "logits/BiasAdd"


def test_upstream_stops_at_fed_tensors(frozen):
    all_up = frozen.upstream(["probs:0"])
    assert {"x", "keep_prob", "dense/kernel"} <= all_up
    assert "x" not in frozen.upstream(["probs:0"], stop=["MatMul:0"])


def test_scope_tree(synthetic):
    root = synthetic.scope_tree()
    assert root.count == len(synthetic)
    stage = root.find("model/stage_1")
    assert stage.path == "model/stage_1" and stage.count == len(
        synthetic.search("", scope="model/stage_1")
    )
    assert "block_0" in stage.children and stage.children["block_0"].ops[0].endswith("/kernel")
    with pytest.raises(TensorNotFoundError):
        root.find("model/nope")


@pytest.mark.slow
def test_catalog_of_real_models():
    eval_model = explorer.load(shared_model("tfx_chicago_taxi_eval"))
    cat = explorer.Catalog.from_model(eval_model)
    assert len(cat) == 2487 and len(cat.functions) == 124
    call = cat.op("transform_features_layer/StatefulPartitionedCall_6")
    assert len(call.outputs) == 17  # Tout list attr
    assert "invalid" not in " ".join(cat.dtypes())
    old = explorer.Catalog.from_model(
        explorer.load(shared_model("serving_no_signatures_checkpoint"))
    )
    assert old.producer <= 21 and old.tensor("Placeholder:0").shape is None  # `shape {}` = unknown
    sm = explorer.Catalog.from_model(explorer.load(shared_model("serving_half_plus_two")))
    assert sm.tensor("tf_example:0").dtype == "string"
    assert sm.op("a").device == "/device:CPU:0"


def test_glob_character_classes(synthetic):
    hits = synthetic.search("model/stage_0/block_[12]/relu")
    assert [h.name for h in hits] == ["model/stage_0/block_1/Relu", "model/stage_0/block_2/Relu"]
    hits = synthetic.search("model/stage_0/block_[!0-8]/relu")
    assert [h.name for h in hits] == ["model/stage_0/block_9/Relu"]
    assert [h.name for h in synthetic.search("outpu[t")] == []  # an unclosed [ is literal
    assert len(synthetic.search("*")) == len(synthetic)


def test_filters_combined_with_text_patterns(synthetic):
    assert [h.name for h in synthetic.search("re:^out", op_type="Softmax")] == ["output"]
    assert [h.name for h in synthetic.search("OUT*", op_type="Softmax")] == ["output"]
    assert synthetic.search("relu", scope="model/nope") == []
    assert len(synthetic.search("", scope="/")) == len(synthetic)


def test_small_api_edges(frozen, synthetic):
    assert len(frozen.tensors) == sum(len(op.outputs) for op in frozen.ops)
    assert len({frozen.op("probs"), frozen.op("probs:0")}) == 1
    assert len({frozen.tensor("probs"), frozen.tensor("probs:0")}) == 1
    assert repr(frozen.op("probs")) == "OpInfo('probs', Softmax)"
    assert repr(frozen.tensor("x")) == "TensorInfo('x:0', float32, shape=(None, 4))"
    assert 3 not in frozen and "probs:x" not in frozen
    assert frozen.position("probs:0") == frozen.names.index("probs")
    with pytest.raises(TensorNotFoundError):
        frozen.position("nope")
    with pytest.raises(TensorNotFoundError, match="'nope:0' is not in"):
        frozen.upstream(["nope:0"])
    assert frozen.upstream(["x:0"], stop=["x:0"]) == set()  # a fed output needs nothing
    with_shapes = Catalog(frozen.graph_def, shapes={"probs:0": (None, 3)})
    assert with_shapes.tensor("probs:0").shape == (None, 3)


def test_non_ascii_names_search():
    """Lower-casing can change a name's length (İ -> i̇); search still maps hits to the right op."""
    from tensorflow.core.framework import graph_pb2

    gd = graph_pb2.GraphDef()
    for name in ("İstanbul/x", "plain/x", "ßtraße/y"):
        gd.node.add(name=name, op="NoOp")
    cat = Catalog.from_graph_def(gd)
    assert [h.name for h in cat.search("/x")] == ["İstanbul/x", "plain/x"]
    assert [h.name for h in cat.search("plain")] == ["plain/x"]
    assert [h.name for h in cat.search("ẞTRAßE")] == ["ßtraße/y"]


def test_glob_search_reads_the_start_and_end_of_names_and_search_names_matches_search():
    from tensorflow.core.framework import graph_pb2

    from explorer.inspection.catalog import Catalog

    gd = graph_pb2.GraphDef()
    names = ["a/MatMul", "a/b/MatMul", "MatMul", "b/Relu", "a/", "x/a/relu", "Relu/a"]
    for n in names:
        gd.node.add(name=n, op="NoOp")
    cat = Catalog.from_graph_def(gd)
    for glob, want in [
        ("*/MatMul", ["a/MatMul", "a/b/MatMul"]),
        ("*/", ["a/"]),
        ("a/*", ["a/MatMul", "a/b/MatMul", "a/"]),
        ("relu*", ["Relu/a"]),
        ("*relu", ["b/Relu", "x/a/relu"]),
        ("a*/matmul", ["a/MatMul", "a/b/MatMul"]),
        ("*a*", [n for n in names if "a" in n.lower()]),
        ("re*", ["Relu/a"]),
        ("*", names),
    ]:
        assert [o.name for o in cat.search(glob)] == want, glob
        assert cat.search_names(glob) == want, glob
    assert cat.search_names("matmul", limit=2) == ["a/MatMul", "a/b/MatMul"]
