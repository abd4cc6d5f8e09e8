"""The import-isolation worker: a crash or a hang in the child is an error here, not a dead kernel.

No input was found that makes TensorFlow 2.21's graph import abort (see test_fuzz.py), so the
crash and hang paths are driven by signalling the real worker process while it holds a request:
SIGABRT is what a failed ``CHECK`` in TensorFlow's C++ raises, SIGSTOP is a process that never
answers.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

import explorer
from explorer.loading import isolation
from tests.helpers import meta_naming_a_missing_op


def _fresh_graph(mlp_paths, tmp_path, name: str):
    """The frozen MLP with one node renamed, so its bytes are not in the worker's cache."""
    from tensorflow.core.framework import graph_pb2

    gd = graph_pb2.GraphDef()
    gd.ParseFromString(mlp_paths["frozen_pb"].read_bytes())
    for n in gd.node:
        if n.name == "keep_prob":
            n.name = name
        n.input[:] = [name if i == "keep_prob" else i for i in n.input]
    p = tmp_path / f"{name}.pb"
    p.write_bytes(gd.SerializeToString())
    return explorer.load(p)


def _worker_ready(mlp_paths) -> int:
    isolation.preflight(explorer.load(mlp_paths["frozen_pb"]))  # starts the worker if needed
    pid = isolation.worker_pid()
    assert pid is not None
    return pid


def _while_request_pending(model, action, **kwargs):
    """Run ``preflight(model)`` in a thread; once its request is sent, call ``action()``."""
    box: dict = {}

    def go():
        try:
            isolation.preflight(model, **kwargs)
            box["result"] = "ok"
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            box["error"] = e

    t = threading.Thread(target=go)
    start = isolation.stats()["requests"]
    t.start()
    deadline = time.monotonic() + 30
    while isolation.stats()["requests"] == start and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # the request is written; the worker is stopped, so nothing answers yet
    action()
    t.join(60)
    assert not t.is_alive()
    return box


def test_a_crash_in_the_worker_is_a_model_format_error(mlp_paths, tmp_path):
    pid = _worker_ready(mlp_paths)
    model = _fresh_graph(mlp_paths, tmp_path, "crash_me")
    os.kill(pid, signal.SIGSTOP)

    def abort():
        os.kill(pid, signal.SIGABRT)
        os.kill(pid, signal.SIGCONT)

    box = _while_request_pending(model, abort)
    err = box.get("error")
    assert isinstance(err, explorer.errors.ModelFormatError), box
    assert str(model.path) in str(err)
    assert "crashed TensorFlow (SIGABRT" in str(err) and "this one is unharmed" in str(err)
    # The next model gets a fresh worker and goes through.
    with explorer.ModelSession(model) as s:
        assert s.tensor("probs:0") is not None
    assert isolation.worker_pid() not in (None, pid)


def test_a_hang_in_the_worker_is_a_model_format_error_and_the_worker_is_stopped(
    mlp_paths, tmp_path
):
    pid = _worker_ready(mlp_paths)
    model = _fresh_graph(mlp_paths, tmp_path, "hang_me")
    os.kill(pid, signal.SIGSTOP)
    with pytest.raises(
        explorer.errors.ModelFormatError,
        match=r"hang_me\.pb: importing the graph did not finish within 1 s",
    ):
        isolation.preflight(model, timeout=1)
    assert isolation.worker_pid() is None  # stopped and killed
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_unexpected_import_exception_is_a_model_format_error(mlp_paths, tmp_path):
    """A MetaGraph whose variables collection names a missing tensor makes import_meta_graph raise
    KeyError; the worker reports it and the user's process never imports the graph."""
    meta = meta_naming_a_missing_op(mlp_paths, tmp_path)
    model = explorer.load(meta)
    with pytest.raises(
        explorer.errors.ModelFormatError,
        match=r"model\.meta: the graph does not import \(KeyError: .*not_here.*re-export it",
    ):
        explorer.ModelSession(model)


def test_unexpected_import_exception_without_isolation(mlp_paths, tmp_path):
    """The same corrupt MetaGraph imported in-process (isolation off) is the same error."""
    meta = meta_naming_a_missing_op(mlp_paths, tmp_path)
    was = isolation.is_enabled()
    isolation.configure(enabled=False)
    try:
        with pytest.raises(
            explorer.errors.ModelFormatError,
            match=r"model\.meta: the graph does not import \(KeyError: .*not_here.*re-export it",
        ):
            explorer.ModelSession(explorer.load(meta))
    finally:
        isolation.configure(enabled=was)


def test_checked_graphs_are_not_sent_again(mlp_paths):
    model = explorer.load(mlp_paths["saved_model"])
    explorer.ModelSession(model).close()
    before = isolation.stats()["requests"]
    explorer.ModelSession(explorer.load(mlp_paths["saved_model"])).close()
    assert isolation.stats()["requests"] == before


def test_isolation_can_be_turned_off(mlp_paths, tmp_path):
    model = _fresh_graph(mlp_paths, tmp_path, "in_process")
    before = isolation.stats()["requests"]
    isolation.configure(enabled=False)
    try:
        assert not isolation.is_enabled()
        with explorer.ModelSession(model) as s:
            assert s.tensor("probs:0") is not None
        assert isolation.stats()["requests"] == before
    finally:
        isolation.configure(enabled=True)
    with pytest.raises(ValueError, match="timeout must be > 0"):
        isolation.configure(timeout=0)


def test_checkpoint_mismatch_is_conservative():
    """Only a same-named variable of another shape, or no overlap at all, counts as foreign."""
    from explorer.graph.specs import Variable

    graph = [
        Variable("w/part_0", "float32", (5, 10), "ref"),
        Variable("b", "float32", (10,), "ref"),
    ]
    assert isolation.checkpoint_mismatch(graph, {"w": [10, 10], "b": [10]}) is None
    assert isolation.checkpoint_mismatch(graph, {"b": [10], "extra": [3]}) is None
    assert "b is [3] there but [10]" in isolation.checkpoint_mismatch(graph, {"b": [3]})
    assert "none of the graph's 2 variables" in isolation.checkpoint_mismatch(graph, {"z": [1]})
    object_based = {"_CHECKPOINTABLE_OBJECT_GRAPH": [], "layer/.ATTRIBUTES/VARIABLE_VALUE": [4]}
    assert isolation.checkpoint_mismatch(graph, object_based) is None
    assert isolation.checkpoint_mismatch([], {"z": [1]}) is None


def test_initialize_runs_the_init_op_in_the_worker(tmp_path):
    """With ``initialize=True`` the worker runs the model's init op (the table initialisers,
    fed the asset files): here it writes a file, which appears although this process ran
    nothing. A crash there (a table filled from a huge file) kills the worker, not us."""
    import tensorflow as tf

    v1 = tf.compat.v1
    witness = tmp_path / "init_ran_in_the_worker.txt"
    folder = tmp_path / "sm"
    g = tf.Graph()
    with g.as_default(), v1.Session(graph=g) as s:
        x = v1.placeholder(tf.float32, [None], name="x")
        y = tf.identity(x * 2.0, name="y")
        init = tf.io.write_file(str(witness), "ran", name="witness")
        b = v1.saved_model.Builder(str(folder))
        sig = v1.saved_model.predict_signature_def(inputs={"x": x}, outputs={"y": y})
        b.add_meta_graph_and_variables(
            s, ["serve"], signature_def_map={"serving_default": sig}, main_op=init
        )
        b.save()
    model = explorer.load(folder)
    isolation.preflight(model, initialize=False)
    assert not witness.exists()
    isolation.preflight(model, initialize=True)
    assert witness.read_text() == "ran"
