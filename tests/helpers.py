"""Helpers shared by test modules: run ``migrate`` and assert its outcome, snapshot a model's files,
and the small graphs and values several test modules build.

Test modules import helpers from here (or from the fixture builders beside their tests), never from
another test module; fixtures shared by several folders are in ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np

import explorer
from explorer.cli import main
from tests.shared_models import Proves, Refused, SharedModel, Unproved


def snapshot(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` (its folder when ``root`` is a file);
    ``link:TARGET`` for a symlink, ``special`` for anything else that is not a plain file."""
    base = root if root.is_dir() else root.parent
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(base):
        for name in filenames + [d for d in dirnames if Path(dirpath, d).is_symlink()]:
            p = Path(dirpath) / name
            rel = str(p.relative_to(base))
            if p.is_symlink():
                out[rel] = f"link:{os.readlink(p)}"
            elif p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                out[rel] = "special"
    return dict(sorted(out.items()))


def run_migrate(model: Path, out: Path, *flags: str) -> tuple[int, dict | None, list[str]]:
    """``tf1-explorer migrate MODEL OUT --json FLAGS...`` in this process: (exit status, the JSON
    report or None where none was printed, stderr lines)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(["migrate", str(model), str(out), "--json", *flags])
    text = stdout.getvalue().strip()
    return status, json.loads(text) if text else None, stderr.getvalue().strip().splitlines()


def assert_migrates(
    model: Path, out: Path, proved: Mapping[str, tuple[str, ...]] | None = None, *flags: str
) -> dict:
    """``migrate`` exits 0 and passes, proves ``proved`` (signature -> outputs; None: not checked),
    writes ``out`` and leaves the model's files as they were. Returns the JSON report. Where it
    stops instead, its stderr is one line, which the assertion shows."""
    before = snapshot(model)
    status, report, err = run_migrate(model, out, *flags)
    if status != 0:
        assert len(err) <= 1, f"migrate exited {status} with more than one stderr line: {err}"
        raise AssertionError(f"migrate exited {status}: {err[0] if err else _failed(report)}")
    assert report["passed"] is True and (out / "saved_model.pb").is_file(), _failed(report)
    if proved is not None:
        got = {sig: tuple(p["outputs"]) for sig, p in report["proved"].items()}
        assert got == dict(proved), f"proved {got}, expected {dict(proved)}"
    assert snapshot(model) == before, f"migrate changed the files of {model}"
    return report


def assert_refused(model: Path, out: Path, words: str, *flags: str) -> str:
    """``migrate`` exits 2 with one stderr line holding ``words``, writes nothing and leaves the
    model's files as they were. Returns the line."""
    before = snapshot(model)
    status, _, err = run_migrate(model, out, *flags)
    assert status == 2 and len(err) == 1, err
    assert words in err[0], err[0]
    assert not out.exists() and snapshot(model) == before
    return err[0]


def assert_unproved(model: Path, out: Path, expected: Unproved, *flags: str) -> dict:
    """``migrate`` exits 1, writes nothing, leaves the model's files as they were, and exactly
    ``expected.outputs`` (of any signature) carry ``expected.status`` with its reason."""
    before = snapshot(model)
    status, report, err = run_migrate(model, out, *flags)
    assert status == 1 and report is not None and err == [], (status, err)
    assert report["passed"] is False and not out.exists() and snapshot(model) == before
    got = {
        key: rec.get("reason", "")
        for sig in report["signatures"].values()
        for key, rec in sig["outputs"].items()
        if rec["status"] != "passed"
    }
    assert sorted(got) == sorted(expected.outputs), _failed(report)
    assert all(expected.words in why for why in got.values()), got
    return report


def assert_migrate_outcome(model: SharedModel, out: Path, *flags: str) -> None:
    """``migrate`` (with no I/O flags) does what the table says for this shared model."""
    if isinstance(model.migrate, Refused):
        assert_refused(model.path, out, model.migrate.words, *flags)
    elif isinstance(model.migrate, Unproved):
        assert_unproved(model.path, out, model.migrate, *flags)
    else:
        assert isinstance(model.migrate, Proves), f"{model.name}: no migrate outcome in the table"
        assert_migrates(model.path, out, model.migrate.outputs or None, *flags)


def _failed(report: dict | None) -> str:
    """One line saying which signature failed where."""
    return json.dumps((report or {}).get("signatures", report))[:2000]


# -- small models and values for single tests ------------------------------------------------


def pair(seed: int = 0, shape=(4, 3)):
    """Two equal float32 arrays (a copy), random from ``seed``."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=shape).astype(np.float32)
    return a, a.copy()


def tf_v1():
    """TensorFlow and its ``compat.v1``."""
    import tensorflow as tf

    return tf, tf.compat.v1


@contextlib.contextmanager
def v1_control_flow():
    """TF1 control flow (``Switch``/``Merge``, ``Enter``/``Exit``) for the graphs built inside,
    in this process (no child to start); TF2's back after. Yields TensorFlow."""
    import tensorflow as tf

    tf.compat.v1.disable_control_flow_v2()
    try:
        yield tf
    finally:
        tf.compat.v1.enable_control_flow_v2()


def parse_example(serialized: bytes) -> dict:
    """A serialized tf.Example as {key: list of values}."""
    from tensorflow.core.example import example_pb2

    ex = example_pb2.Example.FromString(serialized)
    out = {}
    for key, feat in ex.features.feature.items():
        kind = feat.WhichOneof("kind")
        out[key] = list(getattr(feat, kind).value)
    return out


def graph_model(tmp_path: Path, build) -> explorer.V1Model:
    """Build a graph with ``build(tf)`` in a fresh tf.Graph, write it, load it."""
    from explorer._tf import tf

    g = tf().Graph()
    with g.as_default():
        build(tf())
    path = tmp_path / "g.pb"
    path.write_bytes(g.as_graph_def().SerializeToString())
    return explorer.load(path)


def build_risky_graph(out_dir: Path, unregistered: bool = True) -> Path:
    """A frozen GraphDef holding ReadFile, WriteFile, PyFunc, RandomUniform, Switch/Merge (v1
    control flow, built with raw ops in a fresh graph), a non-Saver RestoreV2, PrintV2 to a file,
    a FIFO queue, and (when ``unregistered``) an op renamed to the unknown type ``MySquare``."""
    from explorer._tf import tf

    tf = tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        sq = tf.square(x, name="square")
        noisy = tf.add(sq, tf.random.uniform([3], name="noise"), name="noisy")
        branch = tf.raw_ops.Switch(data=noisy, pred=tf.reduce_sum(x) > 0, name="branch")
        merged = tf.raw_ops.Merge(inputs=[branch.output_false * 2.0, branch.output_true])
        py = v1.py_func(lambda a: a, [merged.output], tf.float32, name="py")
        text = tf.io.read_file("/etc/hostname", name="read")
        tf.io.write_file("/tmp/tf1_explorer_never_written.txt", text, name="write")
        tf.raw_ops.RestoreV2(
            prefix="/tmp/elsewhere", tensor_names=["v"], shape_and_slices=[""], dtypes=[tf.float32]
        )
        tf.raw_ops.PrintV2(input="hello", output_stream="file:///tmp/log.txt", name="log")
        queue = tf.queue.FIFOQueue(4, [tf.float32], shapes=[[3]], name="q")
        queue.dequeue(name="dequeue")
        tf.identity(py, name="out")
    gd = g.as_graph_def()
    if unregistered:
        for node in gd.node:
            if node.name == "square":
                node.op = "MySquare"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "risky.pb"
    path.write_bytes(gd.SerializeToString())
    return path


CANDIDATE_KEYS = {"name", "dtype", "shape", "score", "reason"}  # of a suggestion in --json


def cli_json(capsys) -> dict:
    """What the CLI verb just printed with ``--json``."""
    return json.loads(capsys.readouterr().out)


def check_parity_json(out: dict) -> None:
    """The keys of a ``parity``/``migrate`` JSON report, down to each compared output."""
    assert isinstance(out["passed"], bool) and out["signatures"]
    for sig in out["signatures"].values():
        assert {"passed", "nondeterministic", "outputs"} <= set(sig)
        for o in sig["outputs"].values():
            assert {"max_abs", "max_rel", "mismatch_fraction", "equal"} <= set(o)


def two_heads(tmp_path: Path) -> Path:
    """A frozen graph ``x:0`` -> ``left_head:0`` and ``right_head:0``: two heads."""
    from explorer._tf import tf

    g = tf().Graph()
    with g.as_default():
        x = tf().compat.v1.placeholder(tf().float32, [None, 3], name="x")
        tf().tanh(x * 2.0, name="left_head")
        tf().tanh(x * 3.0, name="right_head")
    tf().io.write_graph(g.as_graph_def(), str(tmp_path), "two.pb", as_text=False)
    return tmp_path / "two.pb"


def meta_naming_a_missing_op(mlp_paths: dict[str, Path], tmp_path: Path) -> Path:
    """A copy of the example checkpoint whose cond_context names an op not in the graph among
    its values (its pred and pivot exist, so loading keeps it: corruption, not a Python object)."""
    from tensorflow.core.protobuf import control_flow_pb2, meta_graph_pb2

    dst = tmp_path / "ckpt"
    shutil.copytree(mlp_paths["checkpoint_v2"].parent, dst)
    mg = meta_graph_pb2.MetaGraphDef()
    mg.ParseFromString((dst / "model.meta").read_bytes())
    cond = control_flow_pb2.CondContextDef(context_name="c", pred_name="x:0", pivot_name="x:0")
    cond.values_def.values.append("not_here:0")
    mg.collection_def["cond_context"].bytes_list.value.append(cond.SerializeToString())
    (dst / "model.meta").write_bytes(mg.SerializeToString())
    return dst / "model.meta"
