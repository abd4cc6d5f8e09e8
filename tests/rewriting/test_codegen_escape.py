"""Model text never becomes code in ``model.py``: hostile signature keys (quotes, newlines, ``\\r``,
ANSI escapes, triple quotes) and a SavedModel folder named with a payload are written as literals;
the rewrite and its check in fresh processes run nothing the model chose (no marker file appears),
``model.py`` parses, and the rewrite still works."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import explorer
from explorer import _tf
from explorer.errors import ConversionError, plain
from explorer.rewriting.translate import verify_source
from tests.helpers import tf_v1

ROOT = Path(__file__).resolve().parents[2]
QUIET = {k: v for k, v in os.environ.items() if k not in (_tf.LEVEL_ENV, _tf.VERBOSE_ENV)}
RUN = 'import os; open("pwned-{}", "w").close()'
IN_KEY = 'x\r\x1b[2J"""; __import__("os").system("touch pwned-in") #'
OUT_KEY = 'y" if __import__("os").system("touch pwned-out") else "y\nimport os; ' + RUN.format(2)
FOLDER = 'm"""+__import__("os").system("touch pwned-folder")+"""\x1b]0;title\x07'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A tf.compat.v1 SavedModel ``y = x @ w`` under FOLDER, keys IN_KEY -> OUT_KEY."""
    tf, v1 = tf_v1()
    folder = tmp_path_factory.mktemp("site") / FOLDER
    g = tf.Graph()
    with g.as_default(), v1.Session(graph=g) as s:
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        w = v1.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="w")
        y = tf.identity(tf.matmul(x, w), name="y")
        s.run(v1.global_variables_initializer())
        b = v1.saved_model.Builder(str(folder))
        sig = v1.saved_model.predict_signature_def(inputs={IN_KEY: x}, outputs={OUT_KEY: y})
        b.add_meta_graph_and_variables(s, ["serve"], signature_def_map={"serving_default": sig})
        b.save()
    return folder


def _pwned(*roots: Path) -> list[Path]:
    return [p for r in roots for p in r.rglob("pwned*")]


def _model_keys(source: str) -> tuple[list[str], list[str]]:
    """The input and output dict keys of ``keras.Model(...)`` in ``source``, as parsed."""
    call = next(
        n
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "Model"
    )
    kw = {k.arg: k.value for k in call.keywords}
    return [k.value for k in kw["inputs"].keys], [k.value for k in kw["outputs"].keys]


def test_the_cli_rewrite_of_a_hostile_model_runs_nothing_and_works(hostile):
    site = hostile.parent
    out = site / "out"
    done = subprocess.run(
        [sys.executable, "-m", "explorer", "rewrite", str(hostile), str(out)]
        + ["--backends", "tensorflow,jax"],
        capture_output=True,
        text=True,
        cwd=site,  # a payload that ran would leave pwned-* here
        env={**QUIET, "PYTHONPATH": str(ROOT)},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""  # quiet on success
    assert "\x1b" not in done.stdout and "\r" not in done.stdout
    assert _pwned(site, ROOT) == []
    source = (out / "model.py").read_text()
    assert _model_keys(source) == ([IN_KEY], [OUT_KEY])  # the keys, exactly, as data
    doc = ast.get_docstring(ast.parse(source))  # the names shown as text, escapes visible
    assert plain(FOLDER) in doc and plain(IN_KEY) in doc and "\x1b" not in doc
    backends = json.loads((out / "parity.json").read_text())["backends"]
    passed = {b: r["passed"] for b, r in backends.items()}
    assert passed == {"tensorflow": True, "jax": True}
    # the folder is self-contained: a fresh process builds and calls it, still running nothing
    code = (
        "import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import model; "
        "m = model.build_model(); "
        "print(sorted(m({sys.argv[2]: np.ones((1, 2), 'float32')})) == [sys.argv[3]])"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["KERAS_BACKEND"] = "jax"
    run = subprocess.run(
        [sys.executable, "-c", code, str(out), IN_KEY, OUT_KEY],
        capture_output=True,
        text=True,
        env=env,
        cwd=site,
        timeout=300,
    )
    assert run.stdout.strip() == "True", run.stderr[-1000:]
    assert _pwned(site, ROOT) == []


def test_the_api_rewrite_builds_in_process_with_the_hostile_keys(hostile, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rw = explorer.to_keras(hostile, check=False)
    assert rw.inputs == {IN_KEY: "x:0"} and list(rw.outputs) == [OUT_KEY]
    m = rw.build()
    got = m({IN_KEY: np.ones((1, 2), np.float32)})
    np.testing.assert_allclose(np.asarray(got[OUT_KEY]), [[3.0, 5.0, 7.0]])
    assert _pwned(tmp_path, hostile.parent) == []


def test_verify_source_refuses_model_text_pasted_as_code():
    key = 'y" if __import__("os").system("id") else "y'
    verify_source(f"d = {{{key!r}: 1}}\n", [key])  # a literal: fine
    with pytest.raises(ConversionError, match="would become code in model.py"):
        verify_source(f'd = {{"{key}": 1}}\n', [key])
    newline = "op\nimport os"
    verify_source(f"# {newline!r}\nx = 1\n", [newline])
    with pytest.raises(ConversionError, match="would become code"):
        verify_source(f"# {newline}\nx = 1\n", [newline])  # a comment broken out of
    with pytest.raises(ConversionError, match="does not parse"):
        verify_source('"""a """ b"""\n', [])
    verify_source("x = dense_1(y)\n", ["dense_1", "y:0", "scope/op"])  # plain names may be code
