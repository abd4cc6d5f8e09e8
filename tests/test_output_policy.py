"""The one output policy (explorer.output_policy): never into, over or above the model (judged on
real paths); ``overwrite`` replaces only an earlier output of explorer or an empty folder, and a
file only with ``overwrite``; files and folders are staged and published whole, under a lock, with
signals held; what dead runs left is cleared (or put back) by the next run. Every writer goes
through it: convert, migrate, rewrite, run --save, parity --report, the API and the widgets."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import explorer
from explorer import output_policy as op
from explorer.cli import main
from explorer.errors import ConversionError, OutputExistsError
from explorer.feeding.feeds import Feeds

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}


def snapshot(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root``."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _publish(out: Path, text: str, overwrite: bool = False) -> Path:
    with op.staged_folder(out, None, overwrite, "test") as staging:
        (staging.path / "f").write_text(text)
        return staging.publish()


@pytest.fixture
def site(tmp_path, mlp_paths) -> dict[str, Path]:
    """Private copies of the MLP's SavedModel, frozen graph and checkpoint under ``models/``."""
    models = tmp_path / "models"
    for fmt in ("saved_model", "frozen_pb", "checkpoint_v2"):
        src = mlp_paths[fmt]
        folder = src if src.is_dir() else src.parent
        shutil.copytree(folder, models / fmt)
    return {
        "root": tmp_path,
        "models": models,
        "saved_model": models / "saved_model",
        "frozen_pb": models / "frozen_pb" / mlp_paths["frozen_pb"].name,
        "checkpoint_v2": models / "checkpoint_v2" / mlp_paths["checkpoint_v2"].name,
    }


# -- where: beside the model, never into, over or above it ---------------------------------------


def test_beside_a_frozen_graph_or_meta_file_in_its_folder_is_fine(mlp_paths):
    frozen = explorer.load(mlp_paths["frozen_pb"])
    folder = mlp_paths["frozen_pb"].parent
    assert op.output_problem(frozen, folder / "v2") is None
    assert op.output_problem(frozen, folder / "sub" / "v2") is None
    ckpt = explorer.load(mlp_paths["checkpoint_v2"])
    assert op.output_problem(ckpt, mlp_paths["checkpoint_v2"].parent / "v2") is None
    assert op.output_problem(ckpt, op.default_output_dir(ckpt)) is None


def test_the_models_files_and_folders_holding_them_are_refused(mlp_paths):
    frozen = explorer.load(mlp_paths["frozen_pb"])
    assert "is a file of the model" in op.output_problem(frozen, mlp_paths["frozen_pb"])
    assert "holds the model's file frozen.pb" in op.output_problem(
        frozen, mlp_paths["frozen_pb"].parent
    )
    ckpt = explorer.load(mlp_paths["checkpoint_v2"])
    names = {p.name for p in op.model_files(ckpt)}
    assert {"model.meta", "model.index", "checkpoint"} <= names
    assert any(n.startswith("model.data-") for n in names)
    for f in op.model_files(ckpt):
        with pytest.raises(ConversionError, match="is a file of the model"):
            op.check_output(f, ckpt, overwrite=True)
        with pytest.raises(ConversionError, match="is a file of the model"):
            op.check_output(f, ckpt, overwrite=True, folder=False)
    v1 = explorer.load(mlp_paths["checkpoint_v1"])
    assert v1.checkpoint_prefix and op.output_problem(v1, v1.checkpoint_prefix)


def test_nothing_goes_into_or_above_a_saved_model_folder(mlp_paths):
    sm = explorer.load(mlp_paths["saved_model"])
    for out in (mlp_paths["saved_model"], mlp_paths["saved_model"] / "variables"):
        assert "inside the source model" in op.output_problem(sm, out)
    assert op.output_problem(sm, mlp_paths["saved_model"].parent / "v2") is None
    for above in (mlp_paths["saved_model"].parent, mlp_paths["saved_model"].parent.parent, "/"):
        assert "holds the model's file" in op.output_problem(sm, above)


def test_symlinks_are_judged_by_where_they_lead(site):
    sm = explorer.load(site["saved_model"])
    (site["root"] / "link").symlink_to(site["saved_model"])
    (site["root"] / "up").symlink_to(site["models"])
    (site["root"] / "nothing").symlink_to(site["root"] / "missing")
    with pytest.raises(ConversionError, match="inside the source model"):
        op.check_output(site["root"] / "link", sm, overwrite=True)
    with pytest.raises(ConversionError, match="holds the model's file"):
        op.check_output(site["root"] / "up", sm, overwrite=True)
    with pytest.raises(ConversionError, match="symlink to nothing"):
        op.check_output(site["root"] / "nothing", sm, overwrite=True, folder=False)


def test_dot_when_the_model_lies_below_and_the_home_folder_are_refused(site, monkeypatch):
    sm = explorer.load(site["saved_model"])
    monkeypatch.chdir(site["models"])
    with pytest.raises(ConversionError, match="holds the model's file"):
        op.check_output(".", sm, overwrite=True)
    monkeypatch.setenv("HOME", str(site["root"] / "home"))
    (site["root"] / "home").mkdir()
    for out in ("~", site["root"] / "home", site["root"] / "home" / ".."):
        with pytest.raises(ConversionError, match="your home folder or above"):
            op.check_output(out, None, overwrite=True)


def test_default_output_dir_is_in_the_working_folder_numbered_never_inside(site, monkeypatch):
    sm = explorer.load(site["saved_model"])
    work = site["root"] / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert op.default_output_dir(sm) == work / "saved_model_tf2"
    (work / "saved_model_tf2").mkdir()
    (work / "saved_model_tf2_2").write_text("taken")
    assert op.default_output_dir(sm) == work / "saved_model_tf2_3"
    monkeypatch.chdir(site["saved_model"])  # the working folder is the model: beside it instead
    assert op.default_output_dir(sm) == site["models"] / "saved_model_tf2"
    frozen = explorer.load(site["frozen_pb"])
    assert op.default_output_dir(frozen).name == "frozen_tf2"


# -- what is there: overwrite replaces only explorer's outputs or an empty folder ---------------


def test_overwrite_replaces_only_an_earlier_output_or_an_empty_folder(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("main.py", "util.py"):
        (project / name).write_text("print(1)")
    before = snapshot(project)
    with pytest.raises(OutputExistsError) as e:
        _publish(project, "new", overwrite=True)
    assert str(e.value) == (
        f"{project} holds 2 entries not written by tf1-explorer (e.g. main.py): choose "
        "another folder"
    )
    assert snapshot(project) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(OutputExistsError, match="exists: pass overwrite=True"):
        _publish(empty, "new")
    _publish(empty, "new", overwrite=True)
    assert op.is_output(empty) and (empty / "f").read_text() == "new"
    marker = json.loads((empty / op.MARKER).read_text())
    assert marker["tool"] == "tf1-explorer" and marker["kind"] == "test" and marker["version"]
    _publish(empty, "newer", overwrite=True)
    assert (empty / "f").read_text() == "newer"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "project"]  # no leftovers


def test_a_file_is_never_replaced_by_a_folder_nor_a_folder_by_a_file(tmp_path):
    (tmp_path / "file").write_text("mine")
    (tmp_path / "dir").mkdir()
    with pytest.raises(ConversionError, match="is a file: a folder is never written"):
        _publish(tmp_path / "file", "x", overwrite=True)
    with pytest.raises(ConversionError, match="is a folder: a file is never written"):
        op.write_file(tmp_path / "dir", lambda f: f.write(b"x"), overwrite=True)
    assert (tmp_path / "file").read_text() == "mine" and (tmp_path / "dir").is_dir()


def test_files_are_staged_refused_without_overwrite_and_a_full_disk_keeps_the_old(tmp_path):
    path = tmp_path / "out.npz"
    op.write_file(path, lambda f: f.write(b"old"))
    with pytest.raises(OutputExistsError, match="exists: pass overwrite=True"):
        op.write_file(path, lambda f: f.write(b"new"))

    def full(f):
        f.write(b"partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(ConversionError, match="No space left on device"):
        op.write_file(path, full, overwrite=True)
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["out.npz"]
    op.write_file(path, lambda f: f.write(b"new"), overwrite=True)
    assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["out.npz"]
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# -- leftovers, races and signals ---------------------------------------------------------------


def test_leftovers_of_dead_runs_are_cleared_and_a_moved_aside_output_put_back(tmp_path):
    dead = tmp_path / f".out.tmp-{_dead_pid()}-abc"
    dead_file = tmp_path / f".out.tmp-{_dead_pid()}-f"
    live = tmp_path / f".out.tmp-{os.getpid()}-xyz"
    other = tmp_path / f".other.tmp-{_dead_pid()}-q"
    old = tmp_path / f".out.old-{_dead_pid()}-0"
    not_ours = tmp_path / f".out.tmp-{_dead_pid()}-user"
    for p in (dead, live, other, old, not_ours):
        p.mkdir()
    dead_file.write_text("half")
    (old / "f").write_text("old")
    (dead / op.MARKER).write_text('{"tool": "tf1-explorer"}')
    (not_ours / "notes.txt").write_text("mine")  # unmarked, not empty: never removed
    assert sorted(op.remove_stale(tmp_path, "out")) == sorted([dead, dead_file, old])
    assert live.is_dir() and other.is_dir() and (tmp_path / "out" / "f").read_text() == "old"
    assert (not_ours / "notes.txt").read_text() == "mine"
    again = tmp_path / f".out.old-{_dead_pid()}-1"
    again.mkdir()
    assert op.remove_stale(tmp_path, "out") == [again] and not again.exists()  # out is there


def test_a_failed_run_leaves_no_staging_folder(tmp_path, mlp_paths):
    killed = tmp_path / f".converted.tmp-{_dead_pid()}-k1"
    (killed / "variables").mkdir(parents=True)
    (killed / op.MARKER).write_text('{"tool": "tf1-explorer"}')  # a staging folder is marked
    with pytest.raises(RuntimeError), op.staged_folder(tmp_path / "converted") as staging:
        (staging.path / "half").write_text("x")
        raise RuntimeError("failed half way")
    assert list(tmp_path.iterdir()) == []
    explorer.convert(mlp_paths["saved_model"]).save(tmp_path / "converted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["converted"]


CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    from explorer import output_policy as op

    out, when, sig, how = Path(sys.argv[1]), sys.argv[2], getattr(signal, sys.argv[3]), sys.argv[4]

    def around(real):
        calls = []

        def hooked(src, dst):
            calls.append(src)
            if when == "before-aside" and len(calls) == 1:
                os.kill(os.getpid(), sig)
            done = real(src, dst)
            if when == "after-aside" and len(calls) == 1:
                os.kill(os.getpid(), sig)
            return done

        return hooked

    if how == "renames":  # a file system without RENAME_EXCHANGE
        op._exchange = lambda a, b: False
        op.os.rename = around(os.rename)
    else:
        op._exchange = around(op._exchange)
    with op.staged_folder(out, None, True, "test") as staging:
        (staging.path / "f").write_text("new")
        if when == "writing":
            os.kill(os.getpid(), sig)
            time.sleep(5)
        staging.publish()
    print("published")
    """
)


def _child(out: Path, when: str, sig: str, how: str = "exchange") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(out), when, sig, how],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )


@pytest.mark.parametrize("how", ["exchange", "renames"])
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("when", ["before-aside", "after-aside"])
def test_a_signal_during_publish_leaves_the_new_output_whole(tmp_path, when, sig, how):
    out = tmp_path / "out"
    _publish(out, "old")
    done = _child(out, when, sig, how)
    assert done.returncode != 0 and "published" not in done.stdout  # the signal did end it
    assert (out / "f").read_text() == "new" and op.is_output(out)
    assert os.listdir(tmp_path) == ["out"]  # nothing moved aside, no lock, no staging


def test_a_kill_after_the_old_output_was_moved_aside_is_undone_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    _publish(out, "old")
    assert _child(out, "after-aside", "SIGKILL", "renames").returncode == -signal.SIGKILL
    assert not out.exists()  # killed outright between the two renames
    with pytest.raises(OutputExistsError, match="exists"):  # the next run puts it back
        op.check_output(out)
    assert (out / "f").read_text() == "old" and os.listdir(tmp_path) == ["out"]
    assert _child(out, "before-aside", "SIGKILL", "renames").returncode == -signal.SIGKILL
    assert (out / "f").read_text() == "old"
    _publish(out, "newest", overwrite=True)
    assert (out / "f").read_text() == "newest" and os.listdir(tmp_path) == ["out"]


def test_a_kill_right_after_the_exchange_leaves_the_new_output_and_a_leftover_cleared(tmp_path):
    out = tmp_path / "out"
    _publish(out, "old")
    assert _child(out, "after-aside", "SIGKILL").returncode == -signal.SIGKILL
    assert (out / "f").read_text() == "new"  # never a moment without an output under the name
    (left,) = [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp-")]
    assert (left / "f").read_text() == "old"  # the old output, swapped into the staging folder
    with pytest.raises(OutputExistsError, match="exists"):
        op.check_output(out)  # the next run clears it
    assert os.listdir(tmp_path) == ["out"] and (out / "f").read_text() == "new"


def test_sigterm_while_writing_removes_the_staging_folder(tmp_path):
    out = tmp_path / "out"
    done = _child(out, "writing", "SIGTERM")
    assert done.returncode != 0 and "KeyboardInterrupt: SIGTERM" in done.stderr
    assert os.listdir(tmp_path) == []


def test_a_signal_the_moment_a_temp_folder_is_made_leaves_none(tmp_path, monkeypatch):
    """The window ``tempfile.TemporaryDirectory`` leaves open: a signal after the folder is made
    but before its removal is due (CI saw a ``tf1-parity-*`` folder outlive a SIGINT)."""
    made, mkdtemp = [], op.tempfile.mkdtemp

    def signalled(prefix: str) -> str:
        made.append(Path(mkdtemp(prefix=prefix, dir=tmp_path)))
        signal.raise_signal(signal.SIGTERM)  # as if sent the instant the folder appeared
        return str(made[-1])

    monkeypatch.setattr(op.tempfile, "mkdtemp", signalled)
    with (
        pytest.raises(KeyboardInterrupt, match="SIGTERM"),
        op.signals(hold=False),
        op.temp_folder("tf1-test-"),
    ):
        pytest.fail("the block ran after the signal")
    assert len(made) == 1 and os.listdir(tmp_path) == []


class _DiesSignalled:
    """On its deletion SIGTERM lands inside its ``__del__``, where Python only reports the
    ``KeyboardInterrupt`` (as TensorFlow's ``BaseSession.__del__`` or JAX's gc callback in CI)."""

    def __del__(self) -> None:
        signal.raise_signal(signal.SIGTERM)
        for _ in range(100):  # the handler runs here, inside __del__
            pass


def test_a_command_line_run_raises_a_swallowed_interrupt_again_and_clears_its_temp(
    tmp_path, monkeypatch, capfd
):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(op.tempfile, "tempdir", None)
    made = []
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"), op.command_line_run() as root:
        assert Path(op.tempfile.gettempdir()) == root and root.parent == tmp_path
        made.append(Path(op.tempfile.mkstemp(prefix="a-library-")[1]))  # its removal never due
        _DiesSignalled()
        until = time.monotonic() + 10  # delivered again from a thread: within ms
        while time.monotonic() < until:
            pass
        pytest.fail("the swallowed interrupt was not raised again")
    assert made[0].parent == root and os.listdir(tmp_path) == []
    assert op.os.environ["TMPDIR"] == str(tmp_path) and op.tempfile.tempdir is None
    assert capfd.readouterr().err == ""  # no "Exception ignored in ..." report


@pytest.mark.parametrize("library", ["turns it into an error", "catches it"])
def test_an_interrupt_a_library_hides_still_ends_the_run_as_interrupted(
    mlp_paths, monkeypatch, capfd, library
):
    """pybind11 turned a SIGINT raised while it handled a TensorFlow error into ``RuntimeError:
    MISMATCH of original and normalized active exception types`` (CI: exit 2, "unexpected")."""
    from explorer.cli import inspect as inspect_verb

    def problems(*_args: object, **_kw: object) -> list:
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt as e:
            if library == "turns it into an error":
                raise RuntimeError("MISMATCH of original and normalized exception types") from e
        return []

    monkeypatch.setattr(inspect_verb, "problems", problems)
    assert main(["inspect", str(mlp_paths["frozen_pb"])]) == 130
    said = "tf1-explorer inspect: interrupted by SIGINT; nothing half-written was left"
    assert capfd.readouterr().err.splitlines() == [said]


RACER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from explorer import output_policy as op
    from explorer.errors import ExplorerError

    out, start = Path(sys.argv[1]), float(sys.argv[2])
    try:
        with op.staged_folder(out, None, False, "test") as staging:
            (staging.path / "f").write_text(sys.argv[3] * 100000)
            time.sleep(max(0.0, start - time.time()))
            staging.publish()
        print("published")
    except ExplorerError as e:
        print("refused:", e)
    """
)


def test_a_race_of_two_runs_ends_with_one_output_and_one_refusal(tmp_path):

    out = tmp_path / "out"
    start = str(time.time() + 3.0)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(out), start, tag],
            stdout=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        for tag in "ab"
    ]
    lines = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert lines[0] == "published" and lines[1].startswith(f"refused: {out} exists")
    assert (out / "f").read_text() in ("a" * 100000, "b" * 100000)
    assert os.listdir(tmp_path) == ["out"]


# -- every writer --------------------------------------------------------------------------------


def test_rewrite_model_dir_into_itself_with_overwrite_is_refused(site):
    before = snapshot(site["models"])
    sm = site["saved_model"]
    frozen_dir = site["frozen_pb"].parent
    cases = [
        ([str(sm), str(sm)], "inside the source model"),
        ([str(sm), str(sm / "variables")], "inside the source model"),
        ([str(sm), str(site["models"])], "holds the model's file"),
        ([str(site["frozen_pb"]), str(frozen_dir)], "holds the model's file frozen.pb"),
    ]
    for argv, why in cases:
        done = subprocess.run(
            [sys.executable, "-m", "explorer", "rewrite", *argv, "--overwrite", "--no-check"],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=300,
        )
        err = done.stderr.strip()
        assert done.returncode == 2 and why in err and "\n" not in err, err
    assert snapshot(site["models"]) == before


def test_convert_never_replaces_a_folder_of_source_code_or_the_home_folder(
    site, monkeypatch, capsys
):
    home = site["root"] / "home"
    project = home / "project"
    project.mkdir(parents=True)
    (project / "main.py").write_text("print('mine')")
    monkeypatch.setenv("HOME", str(home))
    (site["root"] / "a_file").write_text("mine")
    before = snapshot(site["root"])
    model = str(site["frozen_pb"])
    for out, why in (
        ("~/project", "not written by tf1-explorer (e.g. main.py)"),
        ("~", "your home folder"),
    ):
        assert main(["convert", model, out, "--overwrite"]) == 2
        err = capsys.readouterr().err.strip()
        assert why in err and "\n" not in err
    monkeypatch.chdir(site["frozen_pb"].parent)
    assert main(["convert", model, ".", "--overwrite"]) == 2
    assert "holds the model's file" in capsys.readouterr().err
    assert main(["convert", model, str(site["root"] / "a_file"), "--overwrite"]) == 2
    assert "a folder is never written over it" in capsys.readouterr().err
    assert snapshot(site["root"]) == before
    out = site["root"] / "v2"
    assert main(["convert", model, str(out)]) == 0 and op.is_output(out)
    assert main(["convert", model, str(out), "--overwrite"]) == 0  # its own earlier output


def test_api_save_and_rewrite_follow_the_policy(site):
    sm = explorer.load(site["saved_model"])
    before = snapshot(site["models"])
    v2 = explorer.convert(sm)
    for out in (site["saved_model"], site["models"]):
        with pytest.raises(ConversionError, match="model"):
            v2.save(out, overwrite=True)
    rw = explorer.to_keras(sm, check=False)
    with pytest.raises(ConversionError, match="inside the source model"):
        rw.save(site["saved_model"], overwrite=True)
    assert snapshot(site["models"]) == before
    out = rw.save(site["root"] / "keras")
    assert op.is_output(out) and json.loads((out / op.MARKER).read_text())["kind"] == (
        "Keras rewrite"
    )
    (site["root"] / "mine").mkdir()
    (site["root"] / "mine" / "notes.txt").write_text("x")
    with pytest.raises(OutputExistsError, match=r"\(e.g. notes.txt\)"):
        rw.save(site["root"] / "mine", overwrite=True)


def test_api_feeds_and_reports_refuse_the_models_folder_when_given_the_model(site):
    from explorer.reporting.html import write_html, write_json

    sm = explorer.load(site["saved_model"])
    before = snapshot(site["models"])
    feeds = Feeds({"x:0": np.zeros((2, 3), np.float32)})
    inside = site["saved_model"] / "variables" / "f.npz"
    with pytest.raises(ConversionError, match="model"):
        feeds.save(inside, overwrite=True, model=sm)
    with pytest.raises(ConversionError, match="model"):
        write_json(site["saved_model"] / "r.json", {"a": 1}, True, sm)
    summary = explorer.parity(sm, explorer.convert(sm), source=explorer.Sampled(batches=1))
    with pytest.raises(ConversionError, match="model"):
        write_html(site["saved_model"] / "r.html", summary, True, sm, plots=False)
    assert snapshot(site["models"]) == before
    assert feeds.save(site["root"] / "f.npz", model=sm).is_file()


def test_migrate_refuses_the_models_folder_and_an_existing_report(site, capsys):
    before = snapshot(site["models"])
    sm = str(site["saved_model"])
    assert main(["migrate", sm, sm, "--overwrite"]) == 2
    assert "inside the source model" in capsys.readouterr().err
    report = site["root"] / "r.html"
    report.write_text("mine")
    assert main(["migrate", sm, str(site["root"] / "v2"), "--report", str(report)]) == 2
    assert "r.html exists: pass overwrite=True" in capsys.readouterr().err
    assert report.read_text() == "mine" and snapshot(site["models"]) == before
    assert not (site["root"] / "v2").exists()


def test_parity_report_refuses_an_existing_file_without_overwrite(site, capsys):
    report = site["root"] / "r.html"
    report.write_text("mine")
    argv = ["parity", str(site["saved_model"]), "--batches", "1", "--report", str(report)]
    assert main(argv) == 2
    assert "r.html exists: pass overwrite=True (CLI: --overwrite)" in capsys.readouterr().err
    assert report.read_text() == "mine"
    assert main([*argv, "--overwrite"]) == 0
    assert "parity-json" in report.read_text()
    assert sorted(os.listdir(site["root"])) == ["models", "r.html"]


def test_run_save_refuses_existing_files_and_the_models_own(site, capsys):
    model = str(site["frozen_pb"])
    base = ["run", model, "--inputs", "x:0", "--outputs", "probs:0"]
    out = site["root"] / "out.npz"
    out.write_bytes(b"mine")
    assert main([*base, "--save", str(out)]) == 2
    assert "out.npz exists: pass overwrite=True" in capsys.readouterr().err
    assert out.read_bytes() == b"mine"
    link = site["root"] / "link.npz"
    link.symlink_to(site["frozen_pb"])
    before = snapshot(site["models"])
    assert main([*base, "--save", str(link), "--overwrite"]) == 2
    assert "is a file of the model" in capsys.readouterr().err
    assert snapshot(site["models"]) == before
    assert main([*base, "--save", str(out), "--overwrite"]) == 0
    assert set(Feeds.load(out)) == {"probs:0"}
    feeds = Feeds({"x": np.ones(3, np.float32)})
    with pytest.raises(OutputExistsError):
        feeds.save(out)
    assert feeds.save(out, overwrite=True) == out


def test_the_converter_widget_follows_the_policy(site, monkeypatch):
    from explorer.widgets import ConverterState

    work = site["root"] / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    c = ConverterState(explorer.load(site["frozen_pb"]))
    assert c.out_dir == str(work / "frozen_tf2")  # proposed in the working folder
    (work / "frozen_tf2").mkdir()
    (work / "frozen_tf2" / "main.py").write_text("mine")
    assert ConverterState(c.model).out_dir == str(work / "frozen_tf2_2")  # never an existing one
    c.overwrite = True
    with pytest.raises(OutputExistsError, match=r"not written by tf1-explorer"):
        c.convert()
    c.out_dir = str(site["frozen_pb"].parent)
    with pytest.raises(ConversionError, match="holds the model's file frozen.pb"):
        c.convert()
    assert (work / "frozen_tf2" / "main.py").read_text() == "mine"
    assert sorted(os.listdir(work)) == ["frozen_tf2"]
