"""Custom ops: one-line refusal naming the op types and the three ways on; op libraries."""

from __future__ import annotations

import pytest

import explorer
from explorer.cli import main
from explorer.loading.replacements import check_libraries, require_registered


def _custom_op_graph(tmp_path):
    from explorer._tf import tf

    g = tf().Graph()
    with g.as_default():
        x = tf().compat.v1.placeholder(tf().float32, [None, 3], name="x")
        tf().identity(tf().square(x, name="descriptor") + 1.0, name="energy")
    gd = g.as_graph_def()
    next(n for n in gd.node if n.name == "descriptor").op = "DescrptFake"
    path = tmp_path / "custom.pb"
    path.write_bytes(gd.SerializeToString())
    return path


def test_refusal_names_the_ops_and_the_ways_on(tmp_path):
    model = explorer.load(_custom_op_graph(tmp_path))
    with pytest.raises(explorer.errors.UnsupportedOpError) as err:
        require_registered(model)
    msg = str(err.value)
    assert "\n" not in msg and "DescrptFake" in msg
    assert "replacements={'DescrptFake': fn" in msg and "op_libraries=" in msg
    assert "--op-library PATH" in msg and "built-in" in msg
    with pytest.raises(explorer.errors.UnsupportedOpError, match="DescrptFake"):
        explorer.ModelSession(model)
    replaced = explorer.load(_custom_op_graph(tmp_path), replacements={"DescrptFake": _square})
    require_registered(replaced)  # a replacement is a way on


def _square(inputs, attrs):
    return inputs[0] ** 2


def test_op_library_paths_are_checked_to_exist(tmp_path):
    with pytest.raises(
        explorer.errors.ModelNotFoundError, match="op library .*nothere.so does not"
    ):
        check_libraries([tmp_path / "nothere.so"])
    with pytest.raises(explorer.errors.ModelNotFoundError, match="nothere.so"):
        explorer.load(_custom_op_graph(tmp_path), op_libraries=[tmp_path / "nothere.so"])


@pytest.mark.parametrize("verb", ["run", "convert", "parity", "migrate"])
def test_every_verb_that_runs_takes_op_library(tmp_path, capsys, verb):
    path = _custom_op_graph(tmp_path)
    out = [str(tmp_path / "out")] if verb in ("convert", "migrate") else []
    assert main([verb, str(path), *out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "DescrptFake" in err[0] and "--op-library" in err[0]
    assert main([verb, str(path), *out, "--op-library", str(tmp_path / "no.so")]) == 2
    assert "no.so does not exist" in capsys.readouterr().err


def test_readme_worked_example_a_made_up_op_with_an_attribute(tmp_path):
    """README, Custom ops: ``ScaledSquare`` (y = scale * x**2) replaced by a TF function."""
    import numpy as np

    from explorer._tf import tf

    g = tf().Graph()
    with g.as_default():
        x = tf().compat.v1.placeholder(tf().float32, [None, 2], name="x")
        tf().identity(tf().square(x, name="op"), name="y")
    gd = g.as_graph_def()
    node = next(n for n in gd.node if n.name == "op")
    node.op = "ScaledSquare"
    node.attr["scale"].f = 3.0
    (tmp_path / "g.pb").write_bytes(gd.SerializeToString())

    def scaled_square(inputs, attrs):
        return attrs["scale"] * tf().square(inputs[0])

    model = explorer.load(tmp_path / "g.pb", replacements={"ScaledSquare": scaled_square})
    (unreg,) = explorer.scan(model).by_rule("unregistered-op")
    assert unreg.severity == "info"
    with explorer.V1Runner(model, inputs=["x:0"], outputs=["y:0"]) as r:
        out = r.infer({"x:0": np.array([[1.0, 2.0]], np.float32)})
    np.testing.assert_allclose(out["y:0"], [[3.0, 12.0]])
