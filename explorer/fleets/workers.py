"""The fleet run: the models under a folder tree or in a list file (by the loader's rules), each
with its options (a config file), fingerprint and safe output name; each model's ``tf1-explorer
migrate`` in its own process (a crash or hang costs that model only) on Dask. ``OUT_DIR`` (marked
as a fleet's) holds the fleet report and a folder per model (``saved_model/``, ``report.html``,
``result.json``, ``stderr.txt``, replaced whole)."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from explorer.errors import ExplorerError, ModelNotFoundError, OutputExistsError, first_line, plain
from explorer.fleets.report import FleetReport, ModelResult, parity_cause
from explorer.loading.model import is_model_folder, model_files_in
from explorer.output_policy import MARKER, check_output, staged_folder

LIST_SUFFIXES = (".list", ".txt")
DEFAULT_TIMEOUT_S = 1800.0
KIND = "fleet"
RESULT = "result.json"
ERROR_LINE = re.compile(r"tf1-explorer( migrate)?: (?!note: )")  # the CLI's one error line


@dataclass
class Job:
    """One model of the fleet: where it is, its output name, ``migrate`` options, timeout."""

    model: Path
    name: str
    options: list[str] = field(default_factory=list)
    timeout: float = DEFAULT_TIMEOUT_S

    def fingerprint(self) -> str:
        """A hash of the model's files (path, size, mtime) and the options: unchanged, skipped."""
        h = hashlib.sha256(json.dumps([self.options, self.timeout]).encode())
        for f in source_files(self.model):
            st = f.stat()
            h.update(f"{f}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return h.hexdigest()[:16]


def discover(root: str | os.PathLike[str]) -> list[Path]:
    """Every model under ``root`` (each once, sorted): a model folder is one model; other folders
    give their model files and are walked, linked ones too (each real folder once). ``root`` may
    be one model, or a ``.list``/``.txt`` file of paths (one a line, ``#`` comments)."""
    root = Path(root).expanduser().absolute()
    if not root.exists():
        raise ModelNotFoundError(f"{root} does not exist: give a folder of models or a list file")
    if root.is_file():
        listed = _listed(root)
        return [root] if listed is None else _once([m for e in listed for m in discover(e)])
    found: list[Path] = []
    seen: set[str] = set()  # real folders walked: a linked folder once, no link loop
    for here, dirs, _files in os.walk(root, followlinks=True):
        d = Path(here)
        if (real := os.path.realpath(d)) in seen:
            dirs.clear()
            continue
        seen.add(real)
        if is_model_folder(d):
            found.append(d)
            dirs.clear()
            continue
        dirs[:] = sorted(x for x in dirs if not x.startswith("."))
        found += model_files_in(d)
    return _once(found)


def _once(models: list[Path]) -> list[Path]:
    """``models`` sorted, each real file or folder once (by the path first found)."""
    return sorted({p.resolve(): p for p in reversed(models)}.values())


def _listed(path: Path) -> list[Path] | None:
    """The paths a list file names, or ``None`` when ``path`` is no list file (a model file)."""
    if path.suffix not in LIST_SUFFIXES:
        return None
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    entries = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    paths = [(path.parent / e).expanduser() for e in entries]
    return paths if paths and all(p.exists() for p in paths) else None


def source_files(model: Path) -> list[Path]:
    """The files a model is made of: all under a model folder; else the files sharing its stem
    (a checkpoint's ``.index``/``.data-*``) and ``checkpoint``."""
    if model.is_dir():
        return sorted(p for p in model.rglob("*") if p.is_file())
    stem = model.name.removesuffix(model.suffix)
    near = [p for p in model.parent.glob(f"{glob.escape(stem)}*") if p.is_file()]
    state = model.parent / "checkpoint"
    return sorted(set(near + ([state] if state.is_file() else [])))


def names(models: list[Path]) -> dict[Path, str]:
    """A safe, unique folder name per model: its path below the models' common folder, ``/`` as
    ``__``, anything but letters, digits, ``.-_`` as ``_``; a short hash added where two meet."""
    base = Path(os.path.commonpath(models)) if models else Path()
    if base in models:
        base = base.parent
    out: dict[Path, str] = {}
    for m in models:
        rel = "__".join(m.relative_to(base).parts)
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", rel).lstrip(".")[:120] or "model"
        if name in out.values():
            name += "_" + hashlib.sha256(str(m).encode()).hexdigest()[:8]
        out[m] = name
    return out


def read_config(path: str | os.PathLike[str] | None) -> dict:
    """A fleet config (TOML or JSON): ``options`` and ``timeout`` for every model, and ``models``:
    model path (relative to the config's folder) -> its own ``options``, ``timeout``."""
    if path is None:
        return {}
    p = Path(path).expanduser()
    try:
        text = p.read_text()
        conf = tomllib.loads(text) if p.suffix == ".toml" else json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ExplorerError(
            f"{p}: cannot read the fleet config ({e}): fix it or leave it out"
        ) from None
    models = conf.get("models") or {}
    return {**conf, "models": {(p.parent / k).expanduser().resolve(): v for k, v in models.items()}}


def jobs(
    models: list[Path], options: list[str], config: dict, timeout: float | None = None
) -> list[Job]:
    """A :class:`Job` per model: ``options`` then the config's, then the model's own."""
    named = names(models)
    out = []
    for m in models:
        own = config.get("models", {}).get(m.resolve(), {})
        opts = [*options, *config.get("options", []), *own.get("options", [])]
        t = own.get("timeout", config.get("timeout", timeout or DEFAULT_TIMEOUT_S))
        out.append(Job(m, named[m], [str(o) for o in opts], float(t)))
    return out


def fleet(
    root: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    options: Sequence[str] = (),
    *,
    config: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    timeout: float | None = None,
    progress: Callable[[ModelResult, int, int], None] | None = None,
) -> FleetReport:
    """Migrate every model under ``root`` (a folder tree or list file) into ``out_dir``, each by
    ``tf1-explorer migrate MODEL OUT --json --report ... *options``, ``workers`` at once or on the
    Dask ``scheduler``; a model unchanged since the last run (files, options, timeout) is skipped.
    ``config``: TOML/JSON options and ``timeout`` (s; 1800) for all and per model."""
    t0 = time.perf_counter()
    top = Path(root).expanduser().resolve()
    target = Path(out_dir).expanduser().resolve()
    found = [m for m in discover(top) if target not in (r := m.resolve(), *r.parents)]
    if not found:  # (what a fleet wrote under ROOT is no model of it)
        raise ExplorerError(f"{top} holds no TF1 model: give a folder of models or a list file")
    todo = jobs(found, list(options), read_config(config), timeout)
    if not target.exists():  # made empty and marked; else it must be a fleet's
        with staged_folder(target, kind=KIND) as staging:
            staging.publish()
    else:
        try:
            kind = json.loads((target / MARKER).read_text())["kind"]
        except (OSError, ValueError, KeyError, TypeError):
            kind = None
        if kind != KIND:
            raise OutputExistsError(
                f"{target} exists and is no fleet's output folder: choose a new folder"
            )
        check_output(target, None, overwrite=True)
    done: list[ModelResult] = []

    def finished(res: ModelResult) -> None:
        done.append(res)
        if progress:
            progress(res, len(done), len(todo))

    fresh: list[tuple[Job, str, str]] = []  # migrate_one's arguments
    for job in todo:
        folder, fp = target / job.name, job.fingerprint()
        try:  # the result a run of the same fingerprint kept: skipped
            old = ModelResult.from_json(json.loads((folder / RESULT).read_text()))
        except (OSError, ValueError, TypeError, KeyError):
            old = None
        if old is None or old.fingerprint != fp:
            fresh.append((job, fp, str(folder)))
        else:
            old.skipped = True
            finished(old)
    n = 0  # Dask workers used
    if fresh:
        from distributed import as_completed

        from explorer.comparing.parity_check import cluster

        local = None if scheduler else (workers or "auto")
        with cluster(local, scheduler, most=len(fresh)) as client:
            keys = [f"migrate-{job.name}" for job, *_ in fresh]
            for future in as_completed(client.map(migrate_one, fresh, key=keys)):
                finished(future.result())  # each ends in a result: a failure is one model's
            n = len(client.scheduler_info()["workers"])
    order = {j.name: i for i, j in enumerate(todo)}
    done.sort(key=lambda r: order[r.name])
    report = FleetReport(str(top), str(target), done, time.perf_counter() - t0, n, scheduler)
    report.write(target)
    return report


def migrate_one(arg: tuple[Job, str, str]) -> ModelResult:
    """One Dask task: ``migrate`` ``job`` in a new process group, killed at its timeout, into a
    staged folder published at ``target`` whatever the outcome (its ``result.json`` says it)."""
    job, fingerprint, target = arg
    res = ModelResult(str(job.model), job.name, "crashed", fingerprint=fingerprint)
    try:
        with staged_folder(target, None, overwrite=True, kind="fleet model") as staging:
            _migrate(job, staging.path, res)
            (staging.path / RESULT).write_text(json.dumps(res.to_json(), indent=2) + "\n")
            staging.publish()
    except (ExplorerError, OSError) as e:
        res.status, res.cause = "failed", first_line(e)
    return res


def _migrate(job: Job, folder: Path, res: ModelResult) -> None:
    cmd = [sys.executable, "-m", "explorer", "--quiet", "migrate", str(job.model)]
    cmd += [str(folder / "saved_model"), "--json", "--report", str(folder / "report.html")]
    t0 = time.perf_counter()
    with subprocess.Popen(
        [*cmd, *job.options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=folder,
        start_new_session=True,  # its own process group: a timeout kills its workers too
    ) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=job.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            res.status, res.cause = "timed out", f"did not finish within {job.timeout:g} s"
    res.seconds = time.perf_counter() - t0
    (folder / "stderr.txt").write_bytes(stderr)
    res.exit_code = proc.returncode
    if res.status == "timed out":
        return
    lines = [plain(ln) for ln in stderr.decode(errors="replace").splitlines()]
    said = next((ln for ln in reversed(lines) if ERROR_LINE.match(ln)), "")
    try:
        data = json.loads(stdout)
    except ValueError:
        data = {}
    res.proved = data.get("proved") or {}
    if proc.returncode == 0:
        res.status = "migrated"
    elif proc.returncode == 1 and data:
        res.status, res.cause = "failed", parity_cause(data)
    elif proc.returncode == 2 and said:
        res.status = "failed" if ": unexpected " in said else "refused"
        res.cause = ERROR_LINE.sub("", said, count=1)
    else:
        code = proc.returncode
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
        last = said or (lines[-1] if lines else "no output")
        res.status, res.cause = "crashed", f"migrate {how}: {last[:300]}"
