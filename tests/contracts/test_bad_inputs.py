"""Broken artifacts, each made here: a specific ExplorerError with one line naming file and fix.

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


def truncated(fraction: float) -> Callable[[Path, dict], Path]:
    def build(tmp, mlp):
        dst = tmp / f"truncated_{fraction}"
        shutil.copytree(mlp["saved_model"], dst)
        data = (dst / "saved_model.pb").read_bytes()
        (dst / "saved_model.pb").write_bytes(data[: max(1, int(len(data) * fraction))])
        return dst

    return build


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


def placeholder_shape(dims: list[int], name: str):
    def build(tmp, mlp):
        gd = _graph_def(mlp)
        shape = _node(gd, "x").attr["shape"].shape
        del shape.dim[:]
        for d in dims:
            shape.dim.add().size = d
        return _write_graph(tmp, name, gd)

    return build


def const_shape(first_dim: int, name: str):
    def build(tmp, mlp):
        gd = _graph_def(mlp)
        _node(gd, "dense/kernel").attr["value"].tensor.tensor_shape.dim[0].size = first_dim
        return _write_graph(tmp, name, gd)

    return build


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


# (id, builder, tags, step, error, regex). step: where it fails (load or session).
CASES = [
    ("empty file", empty_pb, None, "load", explorer.ModelFormatError,
     r"empty\.pb is empty: re-export"),
    ("random bytes .pb", random_pb, None, "load", explorer.ModelFormatError,
     r"random\.pb is not a valid binary GraphDef .*: the file is truncated or of another kind"),
    *[
        (f"saved_model.pb truncated at {f:.0%}", truncated(f), None, "load",
         explorer.ModelFormatError, r"saved_model\.pb (is not a valid binary SavedModel|holds no)")
        for f in (0.0001, 0.01, 0.25, 0.5, 0.75, 0.999)
    ],
    (".pbtxt syntax error", pbtxt_syntax, None, "load", explorer.ModelFormatError,
     r"syntax\.pbtxt is not a valid text GraphDef \(1:7 .*re-export or point at the right file"),
    ("SavedModel without variables/", no_variables_folder, None, "session",
     explorer.MissingVariablesError,
     r"no_variables has 4 variables but no checkpoint: .*variables/"),
    ("SavedModel with another graph's variables", other_graph_variables, None, "session",
     explorer.MissingVariablesError,
     r"foreign_variables/variables/variables is of another graph \(dense/kernel is \[2, 2\] "
     r"there but \[4, 8\].*restore the variables exported with"),
    ("SavedModel with damaged variable data", damaged_variables, None, "session",
     explorer.MissingVariablesError,
     r"cannot read checkpoint .*damaged_variables/variables/variables .*restore the one exported"),
    ("unknown tags", lambda tmp, mlp: mlp["saved_model"], ["gpu"], "load", explorer.TagsError,
     r"saved_model has no MetaGraph with tags gpu: choose one of serve"),
    ("several tag sets, none chosen", lambda tmp, mlp: mlp["two_tags"], None, "load",
     explorer.AmbiguousModelError, r"two_tags has 2 tag sets .*pass tags=\.\.\. \(CLI: --tags\)"),
    ("checkpoint state file pointing nowhere", state_file_nowhere, None, "load",
     explorer.MissingVariablesError,
     r"state_nowhere/checkpoint points at /nowhere/model, which is not here .*point at the"),
    ("unregistered op", unregistered_op, None, "session", explorer.UnsupportedOpError,
     r"unregistered\.pb uses op types .* does not register: MyCustomSoftmax; ways on: .*"
     r"replacements=\{'MyCustomSoftmax': fn.*op_libraries=.*--op-library PATH"),
    ("input referencing a missing node", missing_input, None, "load", explorer.ModelFormatError,
     r"missing_input\.pb: node 'probs' reads 'not_here', which is not in the graph"),
    ("negative placeholder shape", placeholder_shape([-5, 4], "negative.pb"), None, "load",
     explorer.ModelFormatError, r"negative\.pb: node 'x' has shape \[-5, 4\] .*below -1"),
    ("huge placeholder shape", placeholder_shape([2**40, 2**40], "huge.pb"), None, "load",
     explorer.ModelFormatError, r"huge\.pb: node 'x' has shape .*more than 2\*\*63-1 entries"),
    ("negative Const shape", const_shape(-5, "negative_const.pb"), None, "load",
     explorer.ModelFormatError, r"negative_const\.pb: node 'dense/kernel' .*below 0"),
    ("Const shape larger than its data", const_shape(2**40, "huge_const.pb"), None, "load",
     explorer.ModelFormatError, r"huge_const\.pb: Const 'dense/kernel' has 128 bytes of data"),
    ("SavedModel file renamed .pb", saved_model_named_pb, None, "load", explorer.ModelFormatError,
     r"model\.pb is a SavedModel file: point at its folder"),
    ("MetaGraph renamed .pb", meta_named_pb, None, "load", explorer.ModelFormatError,
     r"graph\.pb is a MetaGraphDef: rename it to \.meta"),
    ("unknown file type", unknown_suffix, None, "load", explorer.ModelFormatError,
     r"weights\.h5: unknown model file type \.h5"),
    ("folder with no model", empty_folder, None, "load", explorer.ModelNotFoundError,
     r"empty_folder holds no TF1 model .*point at the model folder or file"),
    ("folder with two models", two_models, None, "load", explorer.AmbiguousModelError,
     r"two_models holds several models \(a\.pb, b\.pb\): point at one of them"),
    ("folder with two SavedModels", two_saved_models, None, "load", explorer.AmbiguousModelError,
     r"two_versions holds several models \(1, 2\): point at one of them"),
    ("saved_model.pb and .pbtxt", pb_and_pbtxt, None, "load", explorer.AmbiguousModelError,
     r"pb_and_pbtxt holds both saved_model\.pb and saved_model\.pbtxt: remove one"),
    ("path that does not exist", lambda tmp, mlp: tmp / "nope", None, "load",
     explorer.ModelNotFoundError, r"nope does not exist: give a SavedModel folder"),
]  # fmt: skip

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
        with pytest.raises(explorer.ModelNotFoundError, match=r"unreadable\.pb: cannot read"):
            explorer.load(p)
    finally:
        p.chmod(0o644)


def test_browsing_a_bad_checkpoint_still_works_and_restore_false_skips_the_check(built):
    """Without restoring, a foreign checkpoint does not stop a session (the graph is fine)."""
    model = explorer.load(built["SavedModel with another graph's variables"])
    with explorer.ModelSession(model, restore=False, initialize=False) as s:
        assert s.tensor("probs:0") is not None
