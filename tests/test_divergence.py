"""``first_divergence`` through the converted graph: table-using signatures, custom tensors."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.errors import ParityError

from .conftest import shared_model


@pytest.fixture(scope="module")
def parser(tmp_path_factory):
    """The Estimator-style example (tf.Example input, vocabulary table from an asset file, ref
    variables ``w`` and ``b``), its conversion and one sampled batch of serialized examples."""
    from explorer import convert, load
    from explorer.examples import build_example_parser_model
    from explorer.runners import V1Runner

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
    from explorer.divergence import v2_graph_def

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
    with pytest.raises(ParityError, match="either signature= or inputs=/outputs="):
        first_divergence(model, v2, feeds, signature="serving_default", outputs=["probs:0"])


@pytest.mark.slow
def test_tfx_chicago_taxi_serving_has_no_divergence():
    """1,337 nodes; the tf.Transform vocabulary tables (from assets) sit in functions the graph
    calls: those calls' outputs are compared with everything else, and every one agrees."""
    from explorer import convert, first_divergence, load
    from explorer.runners import V1Runner

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
