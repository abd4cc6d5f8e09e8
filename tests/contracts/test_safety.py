"""Nothing runs behind the user's back: a model with file-system or PyFunc ops is refused before
its graph is imported or run, unless the user passes ``allow_unsafe=True`` / ``--allow-unsafe``.

The hostile model here writes a file when its output is computed: the test checks that the file
appears only when the user allowed it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import explorer
from explorer.cli import main
from explorer.loading import isolation

X = np.ones((2, 4), np.float32)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    """A SavedModel whose ``y = 2x`` writes ``target`` first; and a GraphDef calling a PyFunc."""
    import tensorflow as tf

    v1 = tf.compat.v1
    root = tmp_path_factory.mktemp("hostile")
    target = root / "written_by_the_model.txt"
    g = tf.Graph()
    with g.as_default(), v1.Session(graph=g) as s:
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        write = tf.io.write_file(str(target), "the model ran", name="leak/WriteFile")
        with tf.control_dependencies([write]):
            y = tf.identity(x * 2.0, name="y")
        b = v1.saved_model.Builder(str(root / "writer"))
        sig = v1.saved_model.predict_signature_def(inputs={"x": x}, outputs={"y": y})
        b.add_meta_graph_and_variables(s, ["serve"], signature_def_map={"serving_default": sig})
        b.save()
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        v1.py_func(lambda a: a, [x], tf.float32, name="call_python")
    pyfunc = root / "pyfunc.pb"
    pyfunc.write_bytes(g.as_graph_def().SerializeToString())
    return {"writer": root / "writer", "target": target, "pyfunc": pyfunc}


def test_scan_lists_the_unsafe_ops(hostile):
    findings = explorer.scan(explorer.load(hostile["writer"]))
    nodes = [n for f in findings.unsafe for n in f.nodes]
    assert "leak/WriteFile" in nodes
    py = [n for f in explorer.scan(explorer.load(hostile["pyfunc"])).unsafe for n in f.nodes]
    assert "call_python" in py


def test_session_refuses_before_import_and_lists_the_ops(hostile):
    model = explorer.load(hostile["writer"])
    sent = isolation.stats()["requests"]
    with pytest.raises(
        explorer.errors.UnsafeModelError,
        match=r"writer holds ops .*leak/WriteFile.*allow_unsafe=True",
    ):
        explorer.ModelSession(model)
    assert isolation.stats()["requests"] == sent  # not even imported in the worker
    assert not hostile["target"].exists()
    with pytest.raises(
        explorer.errors.UnsafeModelError, match=r"pyfunc\.pb holds ops .*call_python"
    ):
        explorer.ModelSession(explorer.load(hostile["pyfunc"]))


def test_runner_refuses_then_runs_when_allowed(hostile):
    with (
        pytest.raises(explorer.errors.UnsafeModelError, match="leak/WriteFile"),
        explorer.V1Runner(explorer.load(hostile["writer"])) as r,
    ):
        r.infer({"x": X})
    assert not hostile["target"].exists()
    with explorer.V1Runner(explorer.load(hostile["writer"]), allow_unsafe=True) as r:
        out = r.infer({"x": X})
    np.testing.assert_allclose(out["y"], 2 * X)
    assert hostile["target"].read_text() == "the model ran"  # the gate was what stopped it
    hostile["target"].unlink()


def test_cli_run_needs_allow_unsafe(hostile, capsys):
    assert main(["run", str(hostile["writer"])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tf1-explorer run: ")
    assert "leak/WriteFile" in err[0] and "allow_unsafe=True" in err[0]
    assert not hostile["target"].exists()
    assert main(["run", str(hostile["writer"]), "--allow-unsafe", "--json"]) == 0
    assert hostile["target"].exists()
    hostile["target"].unlink()


def test_convert_parity_and_migrate_refuse_then_run_when_allowed(hostile, tmp_path, capsys):
    with pytest.raises(explorer.errors.UnsafeModelError, match="leak/WriteFile"):
        explorer.convert(hostile["writer"])
    out = tmp_path / "converted"
    for argv in (
        ["convert", str(hostile["writer"]), str(out)],
        ["parity", str(hostile["writer"]), "--batches", "1"],
        ["migrate", str(hostile["writer"]), str(out)],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "leak/WriteFile" in err[0], argv
    assert not hostile["target"].exists() and not out.exists()
    assert main(["migrate", str(hostile["writer"]), str(out), "--allow-unsafe", "--json"]) == 0
    assert out.is_dir() and hostile["target"].read_text() == "the model ran"
    hostile["target"].unlink()
