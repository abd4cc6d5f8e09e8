"""Checkpoint reading: every variable's value straight from the checkpoint, in every TF1 format."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.examples.models import mlp_weights
from explorer.loading.model import read_variables
from tests.conftest import shared_model
from tests.helpers import tf_v1


@pytest.mark.parametrize(
    "fmt", ["saved_model", "simple_save", "checkpoint_v2", "checkpoint_v1", "frozen_pb"]
)
def test_variables_dict_reads_every_format_without_a_session(mlp_paths, fmt):
    model = explorer.load(mlp_paths[fmt])
    got = model.variables_dict()
    if fmt == "frozen_pb":
        assert got == {}  # frozen weights are constants, not variables
        return
    expected = mlp_weights()
    assert list(got) == list(expected)  # graph order
    for name, value in expected.items():
        np.testing.assert_array_equal(got[name], value)


def test_partitioned_variables_and_renamed_keys(tmp_path):
    tf, v1 = tf_v1()
    g = tf.Graph()
    full = np.arange(24, dtype=np.float32).reshape(6, 4)
    with g.as_default(), v1.variable_scope("", use_resource=False):
        v1.get_variable(
            "emb",
            [6, 4],
            initializer=lambda shape, dtype=None, partition_info=None: full[
                partition_info.var_offset[0] : partition_info.var_offset[0] + shape[0]
            ],
            partitioner=v1.fixed_size_partitioner(2),
        )
        w = v1.get_variable("w", initializer=np.ones((2, 2), np.float32))
        saver = v1.train.Saver({"renamed/w": w, "emb": list(v1.global_variables()[:2])})
        with v1.Session(graph=g) as s:
            s.run(v1.global_variables_initializer())
            prefix = saver.save(s, str(tmp_path / "model"))
    got = read_variables(explorer.load(prefix + ".meta"))
    np.testing.assert_array_equal(got["emb/part_0"], full[:3])
    np.testing.assert_array_equal(got["emb/part_1"], full[3:])
    np.testing.assert_array_equal(got["w"], np.ones((2, 2)))


@pytest.mark.slow
def test_real_v1_format_checkpoint():
    model = explorer.load(shared_model("serving_no_signatures_checkpoint"))
    got = model.variables_dict()
    assert set(got) == {"Variable", "Variable_1"}  # the graph's a and b: y = 0.5 x + 2
    assert got["Variable"] == np.float32(0.5) and got["Variable_1"] == np.float32(2.0)
    assert got["Variable"].shape == ()


@pytest.mark.slow
def test_real_saved_model_variables():
    got = explorer.load(shared_model("tf2onnx_regression_saved_model")).variables_dict()
    assert set(got) == {"W", "b"} and all(isinstance(v, np.ndarray) for v in got.values())
    # TFMA eval graph: 43 variables, of which the metric (local) ones are not in the checkpoint.
    eval_model = explorer.load(shared_model("tfx_chicago_taxi_eval"))
    assert len(eval_model.variables) == 43 and len(eval_model.variables_dict()) == 21


def test_graph_with_variables_but_no_checkpoint(mlp_paths, tmp_path):
    meta = mlp_paths["checkpoint_v2"]
    lone = tmp_path / "lone.meta"
    lone.write_bytes(meta.read_bytes())
    with pytest.raises(explorer.errors.MissingVariablesError, match="variables but no checkpoint"):
        explorer.load(lone).variables_dict()
