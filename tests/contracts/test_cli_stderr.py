"""What a terminal and a CI log read: the CLI run as a real process, stderr read at the file
descriptor (a pipe), so TensorFlow's native log lines would show here if any escaped.

* every bad input of the table in ``error_cases.py`` (rendered in docs/security.md): exit 2 and
  exactly one stderr line ``tf1-explorer VERB: message``, nothing on stdout;
* success on the shared models: exit 0 and an empty stderr;
* ``inspect``/``suggest``/``scan`` import no TensorFlow;
* the user's own ``TF_CPP_MIN_LOG_LEVEL`` wins; progress shows only on a terminal.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer import _tf
from explorer.graph.runtime import CACHE_ENV
from tests.conftest import shared_model
from tests.contracts import error_cases
from tests.contracts import test_bad_inputs as bad
from tests.helpers import meta_naming_a_missing_op
from tests.shared_models import params

ROOT = Path(__file__).resolve().parents[2]
NATIVE = re.compile(
    r"^[IWEF]\d{4} \d\d:\d\d:\d+(?:\.\d+)?\s+\d+\s+\S+:\d+\]|absl::InitializeLog|oneDNN|cuInit|"
    r"cuda drivers|cpu_feature_guard",
    re.M,
)


class Cli:
    """``cli(*args, cwd=, env=)``: ``python -m explorer ARGS`` in a fresh process, stderr a pipe;
    ``cli.python(code)``: ``python -c CODE``. Without the test process's ``TF_CPP_MIN_LOG_LEVEL``
    (conftest sets one), with one op table (``cache``) for all of them."""

    def __init__(self, cache: Path, cwd: Path) -> None:
        self.cache, self.cwd = cache, cwd

    def env(self, extra: dict | None = None) -> dict:
        e = {k: v for k, v in os.environ.items() if k not in (_tf.LEVEL_ENV, _tf.VERBOSE_ENV)}
        e.update({"PYTHONPATH": str(ROOT), CACHE_ENV: str(self.cache)})
        e.update(extra or {})
        return e

    def __call__(self, *args, cwd=None, env=None, timeout=300) -> subprocess.CompletedProcess:
        return self._run(["-m", "explorer", *map(str, args)], cwd, env, timeout)

    def python(self, code: str, env=None, timeout=300, args=()) -> subprocess.CompletedProcess:
        return self._run(["-c", code, *args], None, env, timeout)

    def _run(self, argv, cwd, env, timeout) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *argv],
            capture_output=True,
            text=True,
            cwd=str(cwd or self.cwd),
            env=self.env(env),
            stdin=subprocess.DEVNULL,
            timeout=timeout,
        )


@pytest.fixture(scope="module")
def cli(tmp_path_factory) -> Cli:
    return Cli(tmp_path_factory.mktemp("op_table"), tmp_path_factory.mktemp("cwd"))


def one_error_line(proc, verb: str) -> str:
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"tf1-explorer {verb}: "), lines[0]
    assert not NATIVE.search(proc.stderr)
    return lines[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory, mlp_paths) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bad")
    return {cid: build(root, mlp_paths) for cid, build, *_ in bad.CASES}


# -- the table of bad inputs, one process per bad input ------------------------------------------


@pytest.mark.parametrize(
    ("cid", "tags", "step", "pattern"),
    [(c[0], c[2], c[3], c[5]) for c in bad.CASES],
    ids=bad.IDS,
)
def test_each_bad_input_is_one_stderr_line_and_exit_2(cli, built, cid, tags, step, pattern):
    verb = "inspect" if step == "load" else "run"
    proc = cli(verb, built[cid], *(["--tags", ",".join(tags)] if tags else []))
    assert re.search(pattern, one_error_line(proc, verb))
    assert proc.stdout == ""


@pytest.fixture(scope="module")
def hooks(tmp_path_factory) -> Path:
    """A ``sitecustomize`` that makes the import worker abort or hang on request: what a
    TensorFlow CHECK failure (SIGABRT) or a stuck import does, in the real worker process."""
    d = tmp_path_factory.mktemp("hooks")
    (d / "sitecustomize.py").write_text(
        "import os, time\n"
        "how = os.environ.get('TF1_TEST_WORKER')\n"
        "if how:\n"
        "    import explorer.loading.isolation as iso\n"
        "    iso._child_import = (lambda *a, **k: os.abort()) if how == 'abort' else (\n"
        "        lambda *a, **k: time.sleep(120))\n"
    )
    return d


@pytest.mark.slow
@pytest.mark.parametrize(
    ("how", "extra", "pattern"),
    [
        ("abort", {}, r"importing the graph crashed TensorFlow \(SIGABRT"),
        ("hang", {"TF1_EXPLORER_IMPORT_TIMEOUT": "2"}, r"did not finish within 2 s"),
    ],
)
def test_a_worker_crash_or_hang_is_one_line(cli, mlp_paths, hooks, how, extra, pattern):
    env = {"TF1_TEST_WORKER": how, "PYTHONPATH": f"{hooks}{os.pathsep}{ROOT}", **extra}
    proc = cli("run", mlp_paths["frozen_pb"], env=env)
    assert re.search(pattern, one_error_line(proc, "run"))


@pytest.fixture(scope="module")
def writer(tmp_path_factory) -> Path:
    """A GraphDef whose output depends on a WriteFile op (a file-system op)."""
    from explorer._tf import tf

    v1 = tf().compat.v1
    root = tmp_path_factory.mktemp("writer")
    g = tf().Graph()
    with g.as_default():
        x = v1.placeholder(tf().float32, [None, 4], name="x")
        write = tf().io.write_file(str(root / "leak.txt"), "ran", name="leak/WriteFile")
        with tf().control_dependencies([write]):
            tf().identity(x * 2.0, name="y")
    p = root / "writer.pb"
    p.write_bytes(g.as_graph_def().SerializeToString())
    return p


def test_unsafe_feed_and_output_errors_are_one_line(cli, writer, mlp_paths, tmp_path):
    line = one_error_line(cli("run", writer, "--inputs", "x:0", "--outputs", "y:0"), "run")
    assert "leak/WriteFile" in line and "allow_unsafe" in line
    assert not (writer.parent / "leak.txt").exists()
    feeds = tmp_path / "bad_feeds.npz"
    np.savez(feeds, **{"x": np.zeros((2, 3), np.int32)})
    line = one_error_line(cli("run", mlp_paths["saved_model"], "--feed", feeds), "run")
    assert re.search(r"\bx\b.*(dtype|shape)", line), line
    out = tmp_path / "exists"
    out.mkdir()
    line = one_error_line(cli("convert", mlp_paths["saved_model"], out), "convert")
    assert re.search(r"exists: pass overwrite=True \(CLI: --overwrite\)", line)


@pytest.mark.slow
def test_a_bad_record_in_data_is_one_line(cli, tmp_path):
    from explorer.examples.models import build_example_parser_model
    from tests.feeding.data.files import parser_example, write_tfrecord

    model = build_example_parser_model(tmp_path / "model")
    bad = write_tfrecord(tmp_path / "bad.tfrecord", [parser_example(0), b"\x0a\xff\xff"])
    proc = cli("parity", model, "--signature", "regress", "--data", bad)
    assert "bad.tfrecord: record 1: " in one_error_line(proc, "parity")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from tests.contracts.hostile_models import Site

    return Site(tmp_path_factory.mktemp("site"))


HOSTILE = [(h.id, h.extra, h.pattern) for h in error_cases.HOSTILE]  # (builder, args, message)


@pytest.mark.slow
@pytest.mark.parametrize(("name", "extra", "pattern"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_models_are_one_line(cli, site, name, extra, pattern):
    from tests.contracts import hostile_models

    path = getattr(hostile_models, name)(site)
    assert re.search(pattern, one_error_line(cli("run", path, *extra), "run"))


@pytest.mark.slow
def test_a_bad_csv_cell_and_a_metagraph_naming_a_missing_op_are_one_line(cli, mlp_paths, tmp_path):
    from tests.feeding.data.files import write_csv

    bad = write_csv(
        tmp_path / "bad.csv", ["x[0]", "x[1]", "x[2]", "x[3]"], [[1, 2, 3, 4], [1, "abc", 3, 4]]
    )
    proc = cli("parity", mlp_paths["saved_model"], "--data", bad)
    assert "bad.csv: line 3: column for input 'x'" in one_error_line(proc, "parity")
    meta = meta_naming_a_missing_op(mlp_paths, tmp_path)
    line = one_error_line(cli("run", meta), "run")
    assert re.search(r"model\.meta: the graph does not import \(KeyError: .*not_here", line), line


def test_dev_zero_is_one_line(cli, site):
    from tests.contracts.hostile_models import frozen_symlink_to

    path = frozen_symlink_to(site, "/dev/zero")
    assert "model.pb" in one_error_line(cli("inspect", path), "inspect")


def test_usage_errors_are_one_line(cli):
    assert "MODEL" in one_error_line(cli("inspect"), "inspect")
    proc = cli("nosuchverb")
    assert proc.returncode == 2 and len(proc.stderr.splitlines()) == 1, proc.stderr


# -- success: quiet ------------------------------------------------------------------------------


QUICK = """\
import json, sys
from explorer.cli import main
from explorer.inspection.suggestions import suggest
from explorer.loading.model import load
paths = sys.argv[1:-1]
wrong = {p: [] for p in paths}  # per model: what went wrong
for p in paths:  # every model's quick verbs before any CLI suggest imports TensorFlow
    try:
        wrong[p] += [verb for verb in ('inspect', 'scan') if main([verb, p]) != 0]
        suggest(load(p))  # the ranking; the CLI's feed shapes import the graph
    except Exception as e:
        wrong[p].append(repr(e))
    if 'tensorflow' in sys.modules:
        wrong[p].append('TensorFlow was imported')
for p in paths:
    try:
        wrong[p] += ['suggest'] if main(['suggest', p]) != 0 else []
    except Exception as e:
        wrong[p].append(repr(e))
with open(sys.argv[-1], 'w') as f:
    json.dump(wrong, f)
"""


@pytest.fixture(scope="module")
def quick(cli, tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict[str, list[str]]]:
    """One process runs ``inspect``, ``scan`` and the ranking on every shared model, then the
    CLI's ``suggest`` on each: the process, and per model what went wrong."""
    out = tmp_path_factory.mktemp("quick") / "wrong.json"
    paths = [str(p.values[0].path) for p in params()]
    proc = cli.python(QUICK, timeout=900, args=[*paths, str(out)])  # the first builds the op table
    return proc, json.loads(out.read_text()) if out.is_file() else {}


@pytest.mark.slow
@pytest.mark.parametrize("shared", params())
def test_quick_verbs_on_shared_models_are_quiet_and_import_no_tensorflow(quick, shared):
    proc, wrong = quick
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert wrong[str(shared.path)] == []


@pytest.mark.slow
def test_runtime_verbs_are_quiet_and_migrate_prints_its_steps(cli, tmp_path):
    model = shared_model("serving_half_plus_two")
    for args in (
        ("run", model),
        ("migrate", model, tmp_path / "migrated", "--batches", "1"),
    ):
        proc = cli(*args)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == "", proc.stderr
    steps = [m.group(1) for m in re.finditer(r"^\[\d/7\] (\w+) ", proc.stdout, re.M)]
    assert steps == ["inspect", "suggest", "scan", "convert", "save", "parity", "latency"], (
        proc.stdout
    )


@pytest.mark.slow
def test_convert_a_frozen_graph_from_its_own_folder(cli, tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(shared_model("tf2onnx_fc_layers_frozen") / "frozen.pb", models / "frozen.pb")
    proc = cli("convert", "frozen.pb", "v2", cwd=models)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert (models / "v2" / "saved_model.pb").is_file()
    assert (models / "frozen.pb").read_bytes() == (
        shared_model("tf2onnx_fc_layers_frozen") / "frozen.pb"
    ).read_bytes()
    # ... but never over the model's own file, nor into the folder holding it.
    line = one_error_line(cli("convert", "frozen.pb", "frozen.pb", cwd=models), "convert")
    assert "is a file of the model" in line
    line = one_error_line(cli("convert", "frozen.pb", ".", "--overwrite", cwd=models), "convert")
    assert "holds the model's file frozen.pb" in line


@pytest.mark.slow
def test_the_users_own_log_level_wins(cli, mlp_paths):
    loud = cli("run", mlp_paths["frozen_pb"], env={_tf.LEVEL_ENV: "0"})
    assert loud.returncode == 0
    assert NATIVE.search(loud.stderr), loud.stderr  # TensorFlow's own start-up lines


@pytest.mark.slow
def test_tensorflows_python_warnings_stay_quiet_even_after_absl_resets_its_level(cli):
    code = (
        "import logging, explorer\n"
        "from explorer._tf import tf\n"
        "tf().get_logger().warning('tf noise')\n"
        "logging.getLogger('absl').setLevel(logging.WARNING)  # what parsing absl flags does\n"
        "from absl import logging as absl_logging\n"
        "absl_logging.warning('absl noise')\n"
        "absl_logging.error('kept')\n"
    )
    proc = cli.python(code)
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == ["ERROR:absl:kept"], proc.stderr


def test_kept_lines_drop_native_start_up_lines_below_the_level():
    captured = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1796118043.685397    8908 port.cc:153] oneDNN custom operations are on.\n"
        "I0000 00:00:1796118072.851696   10624 cpu_feature_guard.cc:227] This TensorFlow binary\n"
        "To enable the following instructions: AVX2 FMA, in other operations, rebuild.\n"
        "E0000 00:00:1796118106.403852   11545 cuda_platform.cc:52] failed call to cuInit\n"
        "/x/y.py:3: UserWarning: something the user should see\n"
        "  warnings.warn('something')\n"
    )
    python_lines = [
        "/x/y.py:3: UserWarning: something the user should see",
        "  warnings.warn('something')",
    ]
    assert _tf.kept_lines(captured, 3) == python_lines
    assert _tf.kept_lines(captured, 2) == [captured.splitlines()[4], *python_lines]
    assert _tf.kept_lines(captured, 0) == captured.splitlines()


def _on_a_terminal(cli, *args) -> str:
    """stderr of the CLI when it is a terminal (a pty), as text."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "explorer", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env=cli.env({"TERM": "xterm", "COLUMNS": "100"}),
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(60)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


def test_progress_shows_on_a_terminal_only_without_quiet(cli):
    model = shared_model("tfx_chicago_taxi_serving")
    assert "ranking inputs and outputs" in _on_a_terminal(cli, "suggest", model)
    assert _on_a_terminal(cli, "--quiet", "suggest", model) == ""
    proc = cli("suggest", model)  # a pipe: no progress
    assert proc.returncode == 0 and proc.stderr == ""
