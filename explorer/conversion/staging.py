"""All or nothing: outputs are built in a hidden folder beside their destination and renamed into
place only when every step worked.

``stage(out)`` makes ``.<name>.tmp-<pid>-<random>`` in ``out``'s parent (first removing what a
killed run of explorer left there: staging folders whose process is gone); ``publish(tmp, out,
overwrite)`` renames it to ``out`` (an existing ``out`` is moved aside as ``.<name>.old-<pid>-…``
and removed after). A failure in between leaves at most the hidden folder, and only when the
process was killed outright; the next run into the same parent removes it.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from explorer.errors import OutputExistsError

STALE_AFTER_S = 3600.0
"""A staging folder without a process id in its name is stale after this long."""
_uid = itertools.count()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(parent: Path, name: str) -> list[Path]:
    """Remove ``.<name>.tmp-*`` / ``.<name>.old-*`` folders of dead runs in ``parent``; returns
    what was removed. A folder named with a live process id (another run at work) is kept."""
    removed: list[Path] = []
    if not parent.is_dir():
        return removed
    with_pid = re.compile(rf"^\.{re.escape(name)}\.(?:tmp|old)-(\d+)-")
    any_run = re.compile(rf"^\.{re.escape(name)}\.(?:tmp|old)-")
    for p in parent.iterdir():
        if not any_run.match(p.name) or not p.is_dir() or p.is_symlink():
            continue
        m = with_pid.match(p.name)
        if m is not None:
            stale = not _alive(int(m.group(1)))
        else:  # an older run's name (no process id): judged by age
            try:
                stale = time.time() - p.stat().st_mtime > STALE_AFTER_S
            except OSError:
                continue
        if stale:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def check_target(out: Path, overwrite: bool) -> None:
    """Raise :class:`OutputExistsError` when ``out`` exists and ``overwrite`` is false."""
    if out.exists() and not overwrite:
        raise OutputExistsError(
            f"{out} exists: pass overwrite=True (CLI: --overwrite) or choose another folder"
        )


def stage(out: Path) -> Path:
    """A new, empty hidden folder beside ``out`` (stale ones of dead runs removed first)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(out.parent, out.name)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))


def publish(tmp: Path, out: Path, overwrite: bool) -> Path:
    """Rename the staged ``tmp`` to ``out`` (replacing it only with ``overwrite``)."""
    check_target(out, overwrite)
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}-{next(_uid)}"
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)
    return out
