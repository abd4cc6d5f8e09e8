"""Structural checks of a GraphDef before any import: each problem one line naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.errors import ModelFormatError
from explorer.loading.validation import check_graph

P = Path("/models/m.pb")


def _gd(*nodes):
    from tensorflow.core.framework import graph_pb2

    gd = graph_pb2.GraphDef()
    for name, op, inputs in nodes:
        gd.node.add(name=name, op=op, input=list(inputs))
    return gd


def test_a_sound_graph_passes():
    check_graph(_gd(("x", "Placeholder", ()), ("y", "Identity", ("x",)), ("z", "NoOp", ("^y",))), P)


def test_empty_graph_and_nameless_node():
    with pytest.raises(ModelFormatError, match=r"/models/m.pb holds an empty graph"):
        check_graph(_gd(), P)
    with pytest.raises(ModelFormatError, match="node without a name or op type"):
        check_graph(_gd(("x", "", ())), P)


def test_input_from_a_missing_node():
    with pytest.raises(ModelFormatError, match=r"node 'y' reads 'nothere:1', which is not in the"):
        check_graph(_gd(("y", "Identity", ("nothere:1",))), P)


def test_shapes_below_minus_one_and_too_large():
    gd = _gd(("x", "Placeholder", ()))
    gd.node[0].attr["shape"].shape.dim.add(size=-5)
    with pytest.raises(ModelFormatError, match=r"node 'x' has shape \[-5\] in 'shape'"):
        check_graph(gd, P)
    gd = _gd(("x", "Placeholder", ()))
    for _ in range(2):
        gd.node[0].attr["shape"].shape.dim.add(size=2**40)
    with pytest.raises(ModelFormatError, match=r"more than 2\*\*63-1 entries"):
        check_graph(gd, P)
