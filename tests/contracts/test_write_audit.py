"""The write side of issue 23 where the other tests stop: two real CLI runs racing into one folder,
``write_file`` killed while staging outside the CLI, the wizard's save path, signals while a temp
folder exists, every verb quiet with model keys escaped, ``..`` and symlinks to the user's folder
or file, and a full disk under ``run --save`` and ``parity --report``."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import explorer
from explorer import _tf
from explorer.cli import main
from explorer.errors import ConversionError, OutputExistsError
from explorer.output_policy import MARKER, is_output
from explorer.widgets import WizardState
from tests.helpers import snapshot
from tests.model_builders.keyed import build_keyed

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (_tf.LEVEL_ENV, _tf.VERBOSE_ENV)}
    env.update(PYTHONPATH=str(ROOT), TMPDIR=str(tmp))
    return env


def test_two_cli_converts_racing_into_one_folder_end_in_one_output_and_one_refusal(
    tmp_path, mlp_paths
):
    (tmp_path / "tmp").mkdir()
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "explorer", "convert", str(mlp_paths["saved_model"]), str(out)]
    env = _env(tmp_path / "tmp")
    procs = [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    ends = sorted((p.wait(timeout=300), *p.communicate()) for p in procs)
    (won, _, won_err), (lost, _, lost_err) = ends
    assert won == 0 and won_err == "", won_err
    assert lost == 2 and lost_err.count("\n") == 1 and "Traceback" not in lost_err
    assert lost_err.startswith("tf1-explorer convert: ") and f"{out} exists" in lost_err
    assert is_output(out) and (out / "saved_model.pb").is_file() and (out / MARKER).is_file()
    assert sorted(os.listdir(tmp_path)) == ["out", "tmp"]  # no staging, no lock, nothing aside
    assert os.listdir(tmp_path / "tmp") == []


WRITER = textwrap.dedent(
    """
    import sys, time
    from explorer import output_policy as op

    def slow(f):
        f.write(b"new" * 1000)
        print("writing", flush=True)
        time.sleep(60)

    op.write_file(sys.argv[1], slow, overwrite=True)
    """
)


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_a_signal_while_write_file_stages_leaves_the_old_file_and_no_staged_one(tmp_path, sig):
    out = tmp_path / "feeds.npz"
    out.write_bytes(b"old")
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
    )  # outside the CLI: SIGTERM's default action would leave .feeds.npz.tmp-PID-*
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    assert out.read_bytes() == b"old" and os.listdir(tmp_path) == ["feeds.npz"]


def test_the_wizards_converter_follows_the_policy(tmp_path, mlp_paths, monkeypatch):
    sm = tmp_path / "sm"
    shutil.copytree(mlp_paths["saved_model"], sm)
    work, home = tmp_path / "work", tmp_path / "home"
    (home / "project").mkdir(parents=True)
    (home / "project" / "main.py").write_text("mine")
    work.mkdir()
    (work / "a_file").write_text("mine")
    (work / "link").symlink_to(sm)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    c = WizardState(explorer.load(sm)).converter
    c.overwrite = True  # the "overwrite" box ticked: still never a user's folder or file
    refusals = {
        str(home / "project"): (OutputExistsError, "not written by tf1-explorer"),
        "~": (ConversionError, "your home folder or above"),
        str(work / "a_file"): (ConversionError, "a folder is never written over it"),
        str(work / "link"): (ConversionError, "inside the source model"),
        str(sm / "variables"): (ConversionError, "inside the source model"),
        str(tmp_path): (ConversionError, "holds the model's file"),
    }
    for out, (error, says) in refusals.items():
        c.out_dir = out
        with pytest.raises(error, match=says):
            c.convert()
    assert (home / "project" / "main.py").read_text() == "mine"
    assert (work / "a_file").read_text() == "mine"
    assert sorted(os.listdir(work)) == ["a_file", "link"]
    c.out_dir = str(work / "v2")
    assert c.convert() == work / "v2" and is_output(work / "v2")


CODES = {"SIGINT": 130, "SIGTERM": 143}
TEMP_VERBS = {  # verbs that make the temp folder tf1-parity-*: their argv after the model
    "parity": ["--batches", "1"],
    "migrate": ["{out}", "--batches", "1"],
}


@pytest.mark.slow
@pytest.mark.parametrize(  # rewrite: test_signals.py kills it during its check, both signals
    ("verb", "sig"), [("parity", "SIGINT"), ("parity", "SIGTERM"), ("migrate", "SIGTERM")]
)
def test_a_signal_while_a_temp_folder_exists_leaves_none(tmp_path, mlp_paths, verb, sig):
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir()
    args = [a.format(out=out) for a in TEMP_VERBS[verb]]
    argv = [sys.executable, "-m", "explorer", verb, str(mlp_paths["saved_model"]), *args]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp)
    )
    while proc.poll() is None and not any(  # in the run's own temporary folder
        n.startswith("tf1-parity-") for _, names, _ in os.walk(tmp) for n in names
    ):
        time.sleep(0.02)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == CODES[sig], err
    assert err.splitlines() == [
        f"tf1-explorer {verb}: interrupted by {sig}; nothing half-written was left"
    ]
    assert os.listdir(tmp) == [] and sorted(os.listdir(tmp_path)) == ["tmp"]


H = "\x1b[31m\x1b]0;title\x07\r\nx"  # ANSI colour, OSC title, carriage return, newline


@pytest.fixture(scope="module")
def escapes(tmp_path_factory) -> Path:
    """A SavedModel whose signature, input and output keys end in :data:`H`."""
    return build_keyed(tmp_path_factory.mktemp("escapes") / "m", "s" + H, "x" + H, "y" + H)


ESCAPE_VERBS = {
    "scan": [],
    "inspect": [],
    "suggest": [],
    "run": [],
    "convert": ["{out}"],
    "parity": ["--batches", "1"],
    "migrate": ["{out}", "--batches", "1"],
    "rewrite": ["{out}", "--backends", "tensorflow"],
}


@pytest.mark.slow
@pytest.mark.parametrize("json", [False, True], ids=["text", "json"])
def test_every_verb_is_quiet_and_prints_model_keys_escaped(escapes, tmp_path, capfd, json):
    for verb, args in ESCAPE_VERBS.items():
        out = tmp_path / f"{verb}-{json}"
        argv = [verb, str(escapes), *(a.format(out=out) for a in args), *(["--json"] * json)]
        assert main(argv) == 0, capfd.readouterr()
        shown, err = capfd.readouterr()
        assert err == "", (verb, err)  # a successful run stays quiet
        assert not set("\x1b\x07\r") & set(shown), (verb, shown)
        if not json and verb in ("inspect", "run", "parity"):
            assert r"\x1b[31m\x1b]0;title\x07\r\nx" in shown, (verb, shown)


@pytest.fixture
def work(tmp_path, mlp_paths, monkeypatch) -> Path:
    """``models/sm``, ``home/project/main.py`` (HOME), ``mine.txt``, and the working folder
    ``work/`` holding ``to_project`` and ``to_mine`` (symlinks to the user's folder and file)."""
    shutil.copytree(mlp_paths["saved_model"], tmp_path / "models" / "sm")
    (tmp_path / "home" / "project").mkdir(parents=True)
    (tmp_path / "home" / "project" / "main.py").write_text("mine")
    (tmp_path / "mine.txt").write_text("mine")
    (tmp_path / "work" / "tmp").mkdir(parents=True)
    (tmp_path / "work" / "to_project").symlink_to(tmp_path / "home" / "project")
    (tmp_path / "work" / "to_mine").symlink_to(tmp_path / "mine.txt")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "work" / "tmp"))
    monkeypatch.chdir(tmp_path / "work")
    return tmp_path


def test_dotdot_and_symlinks_to_the_users_folder_or_file_are_refused(work, capsys):
    before, sm = snapshot(work), str(work / "models" / "sm")
    refusals = {
        "..": "holds the model's file",
        "to_project": "not written by tf1-explorer (e.g. main.py)",
        "to_mine": "a folder is never written over it",
    }
    for verb, extra in {
        "convert": [],
        "rewrite": ["--no-check"],
        "migrate": ["--batches", "1"],
    }.items():
        for out, why in refusals.items():
            assert main([verb, sm, out, "--overwrite", *extra]) == 2, (verb, out)
            err = capsys.readouterr().err.strip()
            assert err.startswith(f"tf1-explorer {verb}: ") and why in err and "\n" not in err
    for argv in (["run", sm, "--save", "to_mine"], ["parity", sm, "--report", "to_mine"]):
        assert main(argv) == 2, argv  # through a symlink to a file: no flag, no write
        assert "mine.txt exists: pass overwrite=True" in capsys.readouterr().err
    assert snapshot(work) == before and os.listdir("tmp") == []


def _full_disk() -> None:
    """In the child: files may not grow past 200 bytes (writes then fail as on a full disk)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))


@pytest.mark.slow
def test_a_full_disk_leaves_the_old_save_and_report_whole(work):
    sm = str(work / "models" / "sm")
    for name, argv, what in (
        ("out.npz", ["run", sm, "--save", "out.npz"], "the outputs"),
        ("r.html", ["parity", sm, "--batches", "1", "--report", "r.html"], "the report"),
    ):
        Path(name).write_text("old")
        done = subprocess.run(
            [sys.executable, "-m", "explorer", *argv, "--overwrite"],
            capture_output=True,
            text=True,
            env=_env(work / "work" / "tmp"),
            preexec_fn=_full_disk,
            timeout=300,
        )
        err = done.stderr
        assert done.returncode == 2 and err.count("\n") == 1, err
        assert f"cannot write {what} {work / 'work' / name} (File too large)" in err
        assert Path(name).read_text() == "old"
    assert sorted(os.listdir()) == ["out.npz", "r.html", "tmp", "to_mine", "to_project"]
    assert os.listdir("tmp") == []
