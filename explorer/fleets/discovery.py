"""What a fleet holds: the models under a folder tree or in a list file (by the loader's rules),
per-model options from a config file, a fingerprint and a safe unique output name per model."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from explorer.errors import ExplorerError, ModelNotFoundError
from explorer.loading.model import is_model_folder, model_files_in

LIST_SUFFIXES = (".list", ".txt")
DEFAULT_TIMEOUT_S = 1800.0


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
