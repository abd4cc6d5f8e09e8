"""``first_divergence`` through the converted graph: table-using signatures, custom tensors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.errors import ParityError
from tests.conftest import shared_model
from tests.helpers import v1_control_flow


@pytest.fixture(scope="module")
def parser(tmp_path_factory):
    """The Estimator-style example (tf.Example input, vocabulary table from an asset file, ref
    variables ``w`` and ``b``), its conversion and one sampled batch of serialized examples."""
    from explorer import convert, load
    from explorer.examples.models import build_example_parser_model
    from explorer.running.v1_runner import V1Runner

    model = load(build_example_parser_model(tmp_path_factory.mktemp("parser") / "sm"))
    feeds = V1Runner(model).sample(batch=3, seed=1)
    return model, convert(model), feeds


def test_a_table_using_signature_is_compared_op_by_op(parser):
    from explorer import first_divergence

    model, v2, feeds = parser
    div = first_divergence(model, v2, feeds)
    assert not div and div.op is None and div.runs == {"v1": 1, "v2": 1}
    by_tensor = {s.tensor: s for s in div.steps}
    lookup = by_tensor["hash_table_Lookup/LookupTableFindV2:0"]
    assert lookup.op_type == "LookupTableFindV2" and lookup.passed and lookup.shape == [3, 1]
    # the variable itself is compared (read through its TF2 handle), then its read and the output
    assert by_tensor["w:0"].op_type == "VariableV2" and by_tensor["w:0"].max_abs == 0.0
    assert by_tensor["y:0"].passed and all(s.passed for s in div.steps)


def test_a_perturbed_weight_in_a_table_model_is_named(parser):
    from explorer import first_divergence

    model, v2, feeds = parser
    (w,) = [v for v in v2.variables if v.name.split(":")[0] == "w"]
    clean = w.numpy()
    w.assign(clean + np.array([[0.0], [0.5]], np.float32))
    try:
        div = first_divergence(model, v2, feeds)
    finally:
        w.assign(clean)
    assert div and div.op == "w" and div.step.op_type == "VariableV2"
    assert div.step.max_abs == pytest.approx(0.5)
    names = [s.tensor for s in div.steps]
    assert all(s.passed for s in div.steps[: div.index])
    assert not div.steps[names.index("y:0")].passed
    assert div.steps[names.index("color_id:0")].passed  # the table branch does not use w
    assert not first_divergence(model, v2, feeds)  # restored: the same again


def test_a_saved_table_model_asks_for_the_v2model(parser, tmp_path):
    from explorer import first_divergence
    from explorer.comparing.divergence import v2_graph_def

    model, v2, feeds = parser
    saved = v2.save(tmp_path / "parser_tf2")
    with pytest.raises(ParityError, match="pass the in-memory V2Model"):
        first_divergence(model, saved, feeds)
    with pytest.raises(ParityError, match="keeps its ops inside function call"):
        v2_graph_def(v2, "regress")


def test_custom_tensors_search_their_own_fan_in(mlp_paths):
    from explorer import convert, first_divergence, load

    model = load(mlp_paths["saved_model"])
    v2 = convert(model, inputs=["x:0"], outputs=["dense/Relu:0"])
    feeds = {"x:0": np.ones((2, 4), np.float32)}
    div = first_divergence(model, v2, feeds, inputs=["x"], outputs=["dense/Relu"])
    names = [s.tensor for s in div.steps]
    assert not div and names[-1] == "dense/Relu:0" and "logits/BiasAdd:0" not in names
    assert "dense/kernel:0" in names and div.runs == {"v1": 1, "v2": 1}
    with pytest.raises(ParityError, match="either signatures or inputs/outputs, not both"):
        first_divergence(model, v2, feeds, signature="serving_default", outputs=["probs:0"])


@pytest.mark.slow
def test_tfx_chicago_taxi_serving_has_no_divergence():
    """1,337 nodes; the tf.Transform vocabulary tables (from assets) sit in functions the graph
    calls: those calls' outputs are compared with everything else, and every one agrees."""
    from explorer import convert, first_divergence, load
    from explorer.running.v1_runner import V1Runner

    model = load(shared_model("tfx_chicago_taxi_serving"))
    v2 = convert(model, "serving_default")
    feeds = V1Runner(model).sample(batch=2, seed=0)
    div = first_divergence(model, v2, feeds)
    assert not div and len(div.steps) > 500 and div.runs == {"v1": 1, "v2": 1}
    calls = [s for s in div.steps if s.op_type == "StatefulPartitionedCall"]
    assert calls and all(s.passed and s.max_abs is not None for s in calls)


def test_random_ops_cost_one_warm_self_check_and_only_unstable_tensors_are_left_out(mlp_paths):
    from explorer import convert, first_divergence, load

    model = load(mlp_paths["saved_model"])  # dropout with keep_prob 1.0: a RandomUniform upstream
    div = first_divergence(model, convert(model), {"x": np.ones((2, 4), np.float32)})
    assert not div and div.runs == {"v1": 2, "v2": 1}
    assert 0 < div.seconds["v1_self_check"] < div.seconds["v1"]
    names = {s.tensor for s in div.steps}
    assert "dropout/random_uniform/RandomUniform:0" not in names  # differs run to run
    assert {"dropout/SelectV2:0", "probs:0"} <= names  # keep_prob 1.0: the same every run


def _perturb(gd, op: str) -> None:
    from tensorflow.python.framework import tensor_util

    node = next(n for n in gd.node if n.name == op)
    value = tensor_util.MakeNdarray(node.attr["value"].tensor).copy()
    value.reshape(-1)[0] += 0.5
    node.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(value))


@pytest.fixture(scope="module")
def frozen_mlp(mlp_paths):
    from explorer import convert, load

    model = load(mlp_paths["frozen_pb"])
    return model, convert(model)


def test_first_divergence_names_the_perturbed_weight(frozen_mlp):
    from explorer import first_divergence
    from explorer.comparing.divergence import v2_graph_def

    model, v2 = frozen_mlp
    feeds = {"x:0": np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)}
    clean = first_divergence(model, v2, feeds)
    assert not clean and clean.op is None and len(clean.steps) > 10
    assert clean.runs["v2"] == 1 and all(s.passed for s in clean.steps)
    gd = v2_graph_def(v2)
    _perturb(gd, "logits/kernel")
    div = first_divergence(model, gd, feeds)
    assert div and div.op == "logits/kernel" and div.step.op_type == "Const"
    names = [s.tensor for s in div.steps]
    # everything before it agrees; what it feeds diverges after it
    assert all(s.passed for s in div.steps[: div.index])
    assert not div.steps[names.index("logits/BiasAdd:0")].passed


def test_first_divergence_reports_the_inputs_of_a_perturbed_op(frozen_mlp):
    from explorer import first_divergence
    from explorer.comparing.divergence import v2_graph_def
    from explorer.reporting import plots

    model, v2 = frozen_mlp
    gd = v2_graph_def(v2)
    # double the bias add of the first layer: an op, not a weight, goes wrong
    node = next(n for n in gd.node if n.name == "add")
    node.op = "Sub"
    feeds = {"x:0": np.ones((1, 4), np.float32)}
    div = first_divergence(model, gd, feeds)
    assert div.op == "add"
    assert div.inputs == {"MatMul:0": 0.0, "dense/bias/read:0": 0.0}
    fig = plots.divergence_plot(div)
    assert "first divergence: add:0 (AddV2)" in fig.axes[0].get_legend_handles_labels()[1]
    assert json.loads(json.dumps(div.to_json()))["op"] == "add"


def test_first_divergence_on_variables_names_their_read(mlp_paths):
    from explorer import convert, first_divergence, load
    from explorer.comparing.divergence import v2_graph_def

    model = load(mlp_paths["saved_model"])
    v2 = convert(model)
    gd = v2_graph_def(v2)
    # the variable dense/kernel is a constant in the frozen v2 graph, read by dense/kernel/read
    read = next(n for n in gd.node if n.name == "dense/kernel/read")
    src = read.input[0].split(":")[0]
    while next(n for n in gd.node if n.name == src).op != "Const":
        src = next(n for n in gd.node if n.name == src).input[0].split(":")[0]
    _perturb(gd, src)
    div = first_divergence(model, gd, {"x": np.ones((1, 4), np.float32)})
    assert div.op == "dense/kernel/read"


def test_v2_graph_def_of_a_tf1_while_loop_inlines_its_body(tmp_path):
    """A TF1 loop (Enter/Exit, as every TF1 artifact holds it): grappler will not inline a body
    with v1 control flow, so the frozen signature keeps a call; v2_graph_def opens it."""
    from explorer import convert, first_divergence, load
    from explorer.comparing.divergence import v2_graph_def

    path = tmp_path / "loop.pb"
    with v1_control_flow() as tf:
        g = tf.Graph()
        with g.as_default():
            x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
            w = tf.constant(np.arange(12, dtype=np.float32).reshape(4, 3) / 10, name="dense/kernel")
            h = tf.nn.relu(tf.matmul(x, w) + 0.5, name="Relu")
            _, y = tf.compat.v1.while_loop(
                lambda i, v: i < 3, lambda i, v: (i + 1, v * 2.0), [tf.constant(0), h], name="loop"
            )
            tf.identity(y, name="out")
    path.write_bytes(g.as_graph_def().SerializeToString())
    model = load(path)
    gd = v2_graph_def(convert(model))
    ops = {n.op for n in gd.node}
    assert {"Enter", "Exit", "LoopCond"} <= ops and not ops & {"PartitionedCall"}
    assert {"x", "dense/kernel", "Relu"} <= {n.name for n in gd.node}  # v1 names, no call prefix
    feeds = {"x:0": np.ones((2, 4), np.float32)}
    assert not first_divergence(model, gd, feeds)
    _perturb(gd, "dense/kernel")
    assert first_divergence(model, gd, feeds).op == "dense/kernel"
