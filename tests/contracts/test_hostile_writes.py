"""Writes a careful attacker or a hurried user asks for: every writing verb (convert, rewrite,
migrate, ``run --save``, ``parity --report``) aimed at the model's folder, inside it or above it,
``.`` below which the model lies, the home folder, a folder of source code, a symlink into any of
those or a plain file is refused in one line (exit 2), ``--overwrite`` or not; everything in the
site (the models, a secret beside them, a watched folder, a fake home) is unchanged byte for byte,
and no temporary folder remains."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import _tf
from explorer.cli import main
from tests.helpers import snapshot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def site(tmp_path, mlp_paths, monkeypatch) -> dict[str, Path]:
    """``models/sm`` (SavedModel), ``models/frozen/frozen.pb``, ``secret.txt``, ``watched/``,
    ``home/project/main.py`` (HOME), ``work/`` (the working folder, with symlinks and a file)."""
    sm, frozen = tmp_path / "models" / "sm", tmp_path / "models" / "frozen"
    shutil.copytree(mlp_paths["saved_model"], sm)
    shutil.copytree(mlp_paths["frozen_pb"].parent, frozen)
    (tmp_path / "secret.txt").write_text("secret")
    (tmp_path / "watched").mkdir()
    (tmp_path / "watched" / "w.txt").write_text("watched")
    (tmp_path / "home" / "project").mkdir(parents=True)
    (tmp_path / "home" / "project" / "main.py").write_text("print('mine')")
    work = tmp_path / "work"
    work.mkdir()
    (work / "link").symlink_to(sm)
    (work / "up").symlink_to(tmp_path / "models")
    (work / "a_file").write_text("mine")
    (work / "link.npz").symlink_to(sm / "saved_model.pb")
    (work / "tmp").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TMPDIR", str(work / "tmp"))
    monkeypatch.chdir(work)
    return {"root": tmp_path, "sm": sm, "frozen": frozen / mlp_paths["frozen_pb"].name}


TARGETS = {  # out -> what the refusal says
    "sm": "inside the source model",
    "sm/variables": "inside the source model",
    "models": "holds the model's file",
    ".": "holds the model's file",  # run from models/ (below which the model lies)
    "~": "your home folder or above",
    "~/project": "not written by tf1-explorer (e.g. main.py)",
    "work/link": "inside the source model",
    "work/up": "holds the model's file",
    "work/a_file": "a folder is never written over it",
}
VERBS = {"convert": [], "rewrite": ["--no-check"], "migrate": ["--batches", "1"]}


def _out(site: dict[str, Path], name: str) -> str:
    return (
        name if name.startswith(("~", ".")) else str(site["root"] / name.replace("sm", "models/sm"))
    )


@pytest.mark.parametrize("verb", VERBS)
def test_every_folder_writer_refuses_every_hostile_target(site, verb, capsys, monkeypatch):
    before = snapshot(site["root"])
    for name, why in TARGETS.items():
        if name == ".":
            monkeypatch.chdir(site["root"] / "models")
        code = main([verb, str(site["sm"]), _out(site, name), "--overwrite", *VERBS[verb]])
        err = capsys.readouterr().err.strip()
        assert code == 2 and why in err and "\n" not in err, (name, err)
        assert err.startswith(f"tf1-explorer {verb}: ")
        monkeypatch.chdir(site["root"] / "work")
    assert snapshot(site["root"]) == before  # models, secret, watched, home: untouched


def test_the_folder_holding_a_frozen_graph_is_refused(site, capsys):
    before = snapshot(site["root"])
    for verb, extra in VERBS.items():
        argv = [verb, str(site["frozen"]), str(site["frozen"].parent), "--overwrite", *extra]
        if verb != "convert":
            argv += ["--inputs", "x:0", "--outputs", "probs:0"]
        assert main(argv) == 2
        assert "holds the model's file frozen.pb" in capsys.readouterr().err
    assert snapshot(site["root"]) == before


def test_saved_arrays_and_reports_refuse_the_model_and_existing_files(site, capsys):
    before = snapshot(site["root"])
    run = ["run", str(site["sm"])]
    for argv, why in (
        ([*run, "--save", "link.npz", "--overwrite"], "inside the source model"),
        ([*run, "--save", str(site["sm"] / "out.npz")], "inside the source model"),
        ([*run, "--save-feeds", "a_file"], "a_file exists: pass overwrite=True"),
        ([*run, "--save", "up"], "holds the model's file"),
        ([*run, "--save", str(site["root"] / "watched"), "--overwrite"], "a file is never written"),
        (["parity", str(site["sm"]), "--report", "a_file"], "exists: pass overwrite=True"),
        (
            ["parity", str(site["sm"]), "--report", str(site["sm"] / "r.html"), "--overwrite"],
            "inside the source model",
        ),
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert why in err and "\n" not in err, err
    assert snapshot(site["root"]) == before
    assert main([*run, "--save", "a_file", "--overwrite"]) == 0  # the user's own choice
    assert (site["root"] / "work" / "a_file").read_bytes()[:2] == b"PK"  # an .npz now
    assert os.listdir(site["root"] / "work" / "tmp") == []


def test_in_real_processes_refusals_are_one_line_and_nothing_changes(site):
    before = snapshot(site["root"])
    env = {k: v for k, v in os.environ.items() if k not in (_tf.LEVEL_ENV, _tf.VERBOSE_ENV)}
    env["PYTHONPATH"] = str(ROOT)
    for argv in (
        ["rewrite", str(site["sm"]), str(site["sm"]), "--overwrite"],
        ["convert", str(site["sm"]), "~", "--overwrite"],
        ["migrate", str(site["sm"]), str(site["root"] / "work" / "up"), "--overwrite"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "explorer", *argv],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        err = done.stderr.strip()
        assert done.returncode == 2 and "\n" not in err and done.stdout == "", err
    assert snapshot(site["root"]) == before
