"""tf.Example and other string samples: the rules keyed by the op that consumes a string input."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.feeding.sampling import input_roles, sample
from explorer.running.v1_runner import V1Runner
from tests.conftest import shared_model
from tests.helpers import parse_example


def _tf():
    from explorer._tf import tf

    return tf()


def _write_graph(tmp_path, name, build) -> explorer.V1Model:
    """Build a TF1 graph with ``build()`` in a fresh graph, write it as a GraphDef, load it."""
    tf = _tf()
    g = tf.Graph()
    with g.as_default():
        build(tf, tf.compat.v1)
    tf.io.write_graph(g.as_graph_def(), str(tmp_path), f"{name}.pb", as_text=False)
    return explorer.load(tmp_path / f"{name}.pb")


@pytest.fixture(scope="module")
def parse_v1_model(tmp_path_factory):
    """Raw ParseExample (v1 op) behind Identity+Reshape of an unknown-rank string placeholder:
    dense float [2], int64 [1], string [1]; sparse string ``tags``."""

    def build(tf, v1):
        s = v1.placeholder(tf.string, None, name="serialized")
        flat = tf.reshape(tf.identity(s), [-1], name="flat")
        out = tf.raw_ops.ParseExample(
            serialized=flat,
            names=tf.constant([], tf.string),
            sparse_keys=[tf.constant("tags")],
            dense_keys=[tf.constant("f"), tf.constant("i"), tf.constant("s")],
            dense_defaults=[
                tf.constant([], tf.float32),
                tf.constant([], tf.int64),
                tf.constant([], tf.string),
            ],
            sparse_types=[tf.string],
            dense_shapes=[[2], [1], [1]],
        )
        tf.identity(out.dense_values[0], name="f_out")
        tf.identity(out.dense_values[1], name="i_out")
        tf.identity(out.dense_values[2], name="s_out")
        tf.identity(out.sparse_values[0], name="tags_out")

    return _write_graph(tmp_path_factory.mktemp("parse_v1"), "parse_v1", build)


@pytest.fixture(scope="module")
def parse_v2_model(tmp_path_factory):
    """tf.io.parse_example (ParseExampleV2): dense float [3], var-len int64, ragged string."""

    def build(tf, v1):
        s = v1.placeholder(tf.string, [None], name="serialized")
        out = tf.io.parse_example(
            s,
            {
                "d": tf.io.FixedLenFeature([3], tf.float32),
                "v": tf.io.VarLenFeature(tf.int64),
                "r": tf.io.RaggedFeature(tf.string),
            },
        )
        tf.identity(out["d"], name="d_out")
        tf.identity(out["v"].values, name="v_out")
        tf.identity(out["r"].flat_values, name="r_out")

    return _write_graph(tmp_path_factory.mktemp("parse_v2"), "parse_v2", build)


@pytest.fixture(scope="module")
def parse_single_model(tmp_path_factory):
    """Raw ParseSingleExample on a scalar string: dense float [2], sparse int64 ``sp``."""

    def build(tf, v1):
        s = v1.placeholder(tf.string, [], name="one")
        out = tf.raw_ops.ParseSingleExample(
            serialized=s,
            dense_defaults=[tf.constant([], tf.float32)],
            num_sparse=1,
            sparse_keys=["sp"],
            dense_keys=["d"],
            sparse_types=[tf.int64],
            dense_shapes=[[2]],
        )
        tf.identity(out.dense_values[0], name="d_out")
        tf.identity(out.sparse_values[0], name="sp_out")

    return _write_graph(tmp_path_factory.mktemp("parse_single"), "parse_single", build)


def test_parse_example_v1_dense_and_sparse(parse_v1_model):
    feeds = sample(parse_v1_model, ["serialized"], batch=3, seed=1)
    examples = feeds["serialized:0"]
    assert examples.shape == (3,) and examples.dtype == object
    parsed = [parse_example(b) for b in examples]
    assert all(set(p) == {"f", "i", "s", "tags"} for p in parsed)
    assert all(len(p["f"]) == 2 and all(-1 <= v <= 1 for v in p["f"]) for p in parsed)
    assert all(len(p["i"]) == 1 and 0 <= p["i"][0] < 8 for p in parsed)
    assert any("ParseExample" in n and "tags sparse string" in n for n in feeds.notes)
    with V1Runner(
        parse_v1_model, inputs=["serialized"], outputs=["f_out", "i_out", "s_out", "tags_out"]
    ) as r:
        out = r.infer(feeds)
    np.testing.assert_array_equal(out["f_out:0"], np.array([p["f"] for p in parsed], np.float32))
    np.testing.assert_array_equal(out["i_out:0"][:, 0], [p["i"][0] for p in parsed])
    assert list(out["s_out:0"][:, 0]) == [p["s"][0] for p in parsed]
    assert list(out["tags_out:0"]) == [t for p in parsed for t in p["tags"]]


def test_parse_example_v2_dense_varlen_ragged(parse_v2_model):
    feeds = sample(parse_v2_model, ["serialized:0"], batch=4, seed=2)
    parsed = [parse_example(b) for b in feeds["serialized:0"]]
    assert all(set(p) == {"d", "v", "r"} and len(p["d"]) == 3 for p in parsed)
    with V1Runner(parse_v2_model, inputs=["serialized"], outputs=["d_out", "v_out", "r_out"]) as r:
        out = r.infer(feeds)
    assert out["d_out:0"].shape == (4, 3)
    assert list(out["v_out:0"]) == [v for p in parsed for v in p["v"]]
    assert list(out["r_out:0"]) == [v for p in parsed for v in p["r"]]


def test_parse_single_example_gets_a_scalar(parse_single_model):
    feeds = sample(parse_single_model, ["one"], seed=3)
    value = feeds["one:0"]
    assert value.shape == () and set(parse_example(value.item())) == {"d", "sp"}
    with V1Runner(parse_single_model, inputs=["one"], outputs=["d_out", "sp_out"]) as r:
        out = r.infer(feeds)
    np.testing.assert_array_equal(out["d_out:0"], np.float32(parse_example(value.item())["d"]))


def test_string_feature_takes_vocabulary_values(parser_model):
    feeds = sample(parser_model, "predict", batch=16, seed=0)
    colors = {parse_example(b)["color"][0] for b in feeds["examples"]}
    assert colors <= {b"red", b"green", b"blue"} and len(colors) > 1
    assert any("color dense string[1] from" in n and "colors.txt" in n for n in feeds.notes)


def test_string_to_number_rule(tmp_path):
    def build(tf, v1):
        s = v1.placeholder(tf.string, [None], name="text")
        tf.strings.to_number(s, tf.float32, name="num")

    model = _write_graph(tmp_path, "to_number", build)
    feeds = sample(model, ["text"], batch=3, value_range=(5.0, 6.0))
    with V1Runner(model, inputs=["text"], outputs=["num"]) as r:
        out = r.infer(feeds)["num:0"]
    assert ((out >= 5.0) & (out <= 6.0)).all()


@pytest.mark.slow
def test_tfma_eval_feeds_only_the_serialized_examples():
    model = explorer.load(shared_model("tfx_chicago_taxi_eval"))
    roles = input_roles(model.graph_def, model.signature("eval").inputs)
    assert [k for k, r in roles.items() if r == "feed"] == ["inputs/examples"]
    assert roles["features/company"] == "computed" and roles["tfma/version"] == "constant"
    feeds = sample(model, "eval", batch=2)
    assert list(feeds) == ["inputs/examples"]
    assert len(parse_example(feeds["inputs/examples"][0])) == 18


@pytest.mark.slow
def test_chicago_taxi_vocabulary_features():
    model = explorer.load(shared_model("tfx_chicago_taxi_serving"))
    feeds = sample(model, "predict", batch=8, seed=0)
    assets = {}
    for path in model.assets.values():
        with open(path, "rb") as f:
            assets[path.rsplit("/", 1)[-1]] = {line.rstrip(b"\n") for line in f}
    for b in feeds["examples"]:
        p = parse_example(b)
        assert p["company"][0] in assets["vocab_compute_and_apply_vocabulary_1_vocabulary"]
        assert p["payment_type"][0] in assets["vocab_compute_and_apply_vocabulary_vocabulary"]


@pytest.mark.slow
@pytest.mark.parametrize("sig", ["regress_x_to_y", "classify_x_to_y"])
def test_half_plus_two_returns_half_x_plus_two(sig):
    model = explorer.load(shared_model("serving_half_plus_two"))
    feeds = sample(model, sig, batch=4, seed=9)
    xs = np.array([parse_example(b)["x"][0] for b in feeds["inputs"]], np.float32)
    with V1Runner(model, signature=sig) as r:
        out = r.infer(feeds)
    (y,) = out.values()
    np.testing.assert_allclose(y[:, 0], 0.5 * xs + 2.0, rtol=1e-6)
