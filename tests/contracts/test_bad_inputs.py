"""Broken artifacts, each made here: a specific ExplorerError with one line naming file and fix.

The cases (error class, message pattern) are the table in ``error_cases.py``, which the docs render.

Every case is checked through the API (``explorer.load`` or ``explorer.ModelSession(model)``)
and, for what ``load`` rejects, through the CLI (exit status 2, the same line on stderr).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import explorer
from explorer.cli import main
from explorer.errors import ModelNotFoundError
from tests.contracts.error_cases import BAD_INPUTS, ErrorCase

# -- builders: each takes (tmp folder, mlp_paths) and returns the path a user would give ----------


def _graph_def(mlp_paths):
    from tensorflow.core.framework import graph_pb2

    gd = graph_pb2.GraphDef()
    gd.ParseFromString(mlp_paths["frozen_pb"].read_bytes())
    return gd


def _node(gd, name):
    return next(n for n in gd.node if n.name == name)


def _write_graph(tmp: Path, name: str, gd) -> Path:
    p = tmp / name
    p.write_bytes(gd.SerializeToString())
    return p


def empty_pb(tmp, mlp):
    p = tmp / "empty.pb"
    p.write_bytes(b"")
    return p


def random_pb(tmp, mlp):
    p = tmp / "random.pb"
    p.write_bytes(bytes(range(256)) * 3)
    return p


def truncated(tmp, mlp, fraction: float):
    dst = tmp / f"truncated_{fraction}"
    shutil.copytree(mlp["saved_model"], dst)
    data = (dst / "saved_model.pb").read_bytes()
    (dst / "saved_model.pb").write_bytes(data[: max(1, int(len(data) * fraction))])
    return dst


def pbtxt_syntax(tmp, mlp):
    p = tmp / "syntax.pbtxt"
    p.write_text(mlp["frozen_pbtxt"].read_text().replace("node {", "node {{", 1))
    return p


def no_variables_folder(tmp, mlp):
    dst = tmp / "no_variables"
    shutil.copytree(mlp["saved_model"], dst)
    shutil.rmtree(dst / "variables")
    return dst


def other_graph_variables(tmp, mlp):
    """The MLP SavedModel with the variables/ folder of a different, 2x2 model."""
    import tensorflow as tf

    v1 = tf.compat.v1
    other = tmp / "other_model"
    g = tf.Graph()
    with g.as_default(), v1.Session(graph=g) as s:
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        w = v1.Variable(tf.ones([2, 2]), name="dense/kernel", use_resource=False)
        tf.matmul(x, w, name="y")
        s.run(v1.global_variables_initializer())
        b = v1.saved_model.Builder(str(other))
        b.add_meta_graph_and_variables(s, ["serve"])
        b.save()
    dst = tmp / "foreign_variables"
    shutil.copytree(mlp["saved_model"], dst)
    shutil.rmtree(dst / "variables")
    shutil.copytree(other / "variables", dst / "variables")
    return dst


def damaged_variables(tmp, mlp):
    dst = tmp / "damaged_variables"
    shutil.copytree(mlp["saved_model"], dst)
    data = next((dst / "variables").glob("variables.data-*"))
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data.write_bytes(bytes(raw))
    return dst


def state_file_nowhere(tmp, mlp):
    dst = tmp / "state_nowhere"
    shutil.copytree(mlp["checkpoint_v2"].parent, dst)
    for f in dst.glob("model.*"):
        if f.suffix != ".meta":
            f.unlink()
    (dst / "checkpoint").write_text('model_checkpoint_path: "/nowhere/model"\n')
    return dst


def unregistered_op(tmp, mlp):
    gd = _graph_def(mlp)
    _node(gd, "probs").op = "MyCustomSoftmax"
    return _write_graph(tmp, "unregistered.pb", gd)


def missing_input(tmp, mlp):
    gd = _graph_def(mlp)
    _node(gd, "probs").input[0] = "not_here"
    return _write_graph(tmp, "missing_input.pb", gd)


def placeholder_shape(tmp, mlp, dims: list[int], name: str):
    gd = _graph_def(mlp)
    shape = _node(gd, "x").attr["shape"].shape
    del shape.dim[:]
    for d in dims:
        shape.dim.add().size = d
    return _write_graph(tmp, name, gd)


def const_shape(tmp, mlp, first_dim: int, name: str):
    gd = _graph_def(mlp)
    _node(gd, "dense/kernel").attr["value"].tensor.tensor_shape.dim[0].size = first_dim
    return _write_graph(tmp, name, gd)


def saved_model_named_pb(tmp, mlp):
    p = tmp / "model.pb"
    shutil.copy(mlp["saved_model"] / "saved_model.pb", p)
    return p


def meta_named_pb(tmp, mlp):
    p = tmp / "graph.pb"
    shutil.copy(mlp["checkpoint_v2"], p)
    return p


def unknown_suffix(tmp, mlp):
    p = tmp / "weights.h5"
    p.write_bytes(b"\x89HDF\r\n\x1a\n")
    return p


def empty_folder(tmp, mlp):
    d = tmp / "empty_folder"
    d.mkdir()
    (d / "notes.txt").write_text("nothing here")
    return d


def two_models(tmp, mlp):
    d = tmp / "two_models"
    d.mkdir()
    shutil.copy(mlp["frozen_pb"], d / "a.pb")
    shutil.copy(mlp["frozen_pb"], d / "b.pb")
    return d


def two_saved_models(tmp, mlp):
    d = tmp / "two_versions"
    d.mkdir()
    shutil.copytree(mlp["saved_model"], d / "1")
    shutil.copytree(mlp["simple_save"], d / "2")
    return d


def pb_and_pbtxt(tmp, mlp):
    d = tmp / "pb_and_pbtxt"
    shutil.copytree(mlp["saved_model"], d)
    (d / "saved_model.pbtxt").write_text("saved_model_schema_version: 1\n")
    return d


def unreadable(tmp, mlp):
    p = tmp / "unreadable.pb"
    shutil.copy(mlp["frozen_pb"], p)
    p.chmod(0)
    return p


def shipped_saved_model(tmp, mlp):
    return mlp["saved_model"]


def shipped_two_tags(tmp, mlp):
    return mlp["two_tags"]


def nonexistent(tmp, mlp):
    return tmp / "nope"


BUILDERS: dict[str, Callable[..., Path]] = {
    f.__name__: f
    for f in (
        empty_pb,
        random_pb,
        truncated,
        pbtxt_syntax,
        no_variables_folder,
        other_graph_variables,
        damaged_variables,
        shipped_saved_model,
        shipped_two_tags,
        state_file_nowhere,
        unregistered_op,
        missing_input,
        placeholder_shape,
        const_shape,
        saved_model_named_pb,
        meta_named_pb,
        unknown_suffix,
        empty_folder,
        two_models,
        two_saved_models,
        pb_and_pbtxt,
        nonexistent,
    )
}


def _builder(case: ErrorCase) -> Callable[[Path, dict], Path]:
    return lambda tmp, mlp: BUILDERS[case.build](tmp, mlp, *case.args)


# (id, builder, tags, step, error, regex), from the table the docs render (error_cases.py).
# step: where it fails (load or session).
CASES = [(c.id, _builder(c), c.tags, c.step, c.error, c.pattern) for c in BAD_INPUTS]

IDS = [c[0] for c in CASES]


@pytest.fixture(scope="module")
def bad_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bad")


@pytest.fixture(scope="module")
def built(bad_root, mlp_paths) -> dict[str, Path]:
    """Case id -> the bad artifact, built once per module."""
    return {cid: build(bad_root, mlp_paths) for cid, build, *_ in CASES}


def _fail(path: Path, tags, step: str) -> None:
    model = explorer.load(path, tags=tags)
    assert step == "session", "expected load to fail"
    explorer.ModelSession(model).close()


@pytest.mark.parametrize(("cid", "build", "tags", "step", "error", "pattern"), CASES, ids=IDS)
def test_bad_input_gives_specific_one_line_error(built, cid, build, tags, step, error, pattern):
    path = built[cid]
    if step == "session":
        model = explorer.load(path, tags=tags)  # browsing still works
        assert model.node_count > 0
    with pytest.raises(error, match=pattern) as info:
        _fail(path, tags, step)
    message = str(info.value)
    assert "\n" not in message and len(message) < 600
    assert type(info.value) is error  # the specific subclass, not only the base
    named = {path.name, path.parent.name}
    assert any(n in message for n in named), message


LOAD_CASES = [c for c in CASES if c[3] == "load"]


@pytest.mark.parametrize(
    ("cid", "tags", "pattern"),
    [(c[0], c[2], c[5]) for c in LOAD_CASES],
    ids=[c[0] for c in LOAD_CASES],
)
def test_cli_exits_2_with_the_line_on_stderr(built, capsys, cid, tags, pattern):
    argv = ["inspect", str(built[cid])] + (["--tags", ",".join(tags)] if tags else [])
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tf1-explorer inspect: "), captured.err
    import re

    assert re.search(pattern, lines[0]), lines[0]
    assert captured.out == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(bad_root, mlp_paths):
    p = unreadable(bad_root, mlp_paths)
    try:
        with pytest.raises(ModelNotFoundError, match=r"unreadable\.pb: cannot read"):
            explorer.load(p)
    finally:
        p.chmod(0o644)


def test_browsing_a_bad_checkpoint_still_works_and_restore_false_skips_the_check(built):
    """Without restoring, a foreign checkpoint does not stop a session (the graph is fine)."""
    model = explorer.load(built["SavedModel with another graph's variables"])
    with explorer.ModelSession(model, restore=False, initialize=False) as s:
        assert s.tensor("probs:0") is not None
