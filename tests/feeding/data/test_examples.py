"""The graph's own parse spec, run on records; what is wrong with one record; record summaries."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.feeding.data.sources import (
    diagnose,
    parse_spec,
    parser_of,
    producer_of,
    summarise_record,
)
from tests.feeding.data.files import parser_example


@pytest.fixture(scope="module")
def spec(parser_model):
    node = parser_of(parser_model, "input_example_tensor:0")
    assert node is not None and node.op == "ParseExampleV2"
    return parse_spec(parser_model, node)


def test_the_spec_is_read_from_the_graph(spec):
    feats = spec.features()
    assert feats["x"] == ("dense", "float32", (2,), True)  # no default: required
    assert feats["n"] == ("dense", "int64", (1,), False)
    assert feats["ids"][:2] == ("sparse", "int64")
    parts = spec.outputs_per_feature()
    assert set(parts.values()) >= {("ids", "indices"), ("ids", "values"), ("x", "dense")}


def test_the_spec_runs_the_graphs_kernel(spec):
    recs = np.array([parser_example(i) for i in range(3)], dtype=object)
    outs = spec.run(recs)
    index = {v: k for k, v in spec.outputs_per_feature().items()}
    np.testing.assert_allclose(outs[index[("x", "dense")]], [[0, 0], [0.5, -0.25], [1, -0.5]])
    assert outs[index[("ids", "values")]].tolist() == [0, 0, 1]


def test_parse_outputs_are_found_through_identities(parser_model, spec):
    index = {v: k for k, v in spec.outputs_per_feature().items()}
    node, i = producer_of(parser_model, f"{spec.op_name}:{index[('x', 'dense')]}")
    assert node.name == spec.op_name and i == index[("x", "dense")]
    assert producer_of(parser_model, "y:0") is None


def test_diagnose_names_the_feature(spec):
    assert diagnose(parser_example(1), spec) is None
    assert "feature 'x' is missing" in diagnose(parser_example(1, drop="x"), spec)
    assert diagnose(parser_example(1, drop="n"), spec) is None  # n has a default
    assert "holds a float_list, ParseExampleV2" in diagnose(parser_example(1, wrong="n"), spec)
    assert diagnose(b"\x0a\xff", spec).startswith("does not parse as a tf.Example")


def test_summaries_are_short_and_never_fail():
    text = summarise_record(parser_example(2))
    assert text == "color: b'blue'; ids: 0, 1; n: 2; x: 1.0, -0.5"
    assert summarise_record(b"\xff\xff\xff") == "3 bytes (not a tf.Example)"
