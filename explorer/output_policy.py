"""The one output policy of every writer: where (:func:`check_output`: never a model's file nor
in or above it or the home folder), what (an output replaced only with ``overwrite``, a folder only
when empty or explorer's own) and how (staged as ``.NAME.tmp-PID-*``, swapped in under the lock
``.NAME.lock`` with signals held: the old or the new output is always under the name)."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import errno
import fcntl
import importlib.metadata
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from explorer.errors import ConversionError, OutputExistsError

if TYPE_CHECKING:
    from explorer.loading.model import V1Model

MARKER = ".tf1-explorer-output"
"""The file in every folder explorer publishes: JSON ``{"tool", "version", "kind"}``."""

PathLike = str | os.PathLike[str]


def model_files(model: V1Model) -> list[Path]:
    """The files (and, for a SavedModel, the folder) that make up ``model``, resolved."""
    src = Path(model.path).expanduser().resolve()
    out = [src]
    if model.format != "saved_model" and model.checkpoint_prefix:
        prefix = Path(model.checkpoint_prefix).expanduser().resolve()
        folder = prefix.parent
        out += [p for p in (prefix, Path(f"{prefix}.index"), folder / "checkpoint") if p.exists()]
        out += sorted(folder.glob(prefix.name + ".data-*"))
    assets = (Path(a).expanduser().resolve() for a in model.assets.values())
    return list(dict.fromkeys(out + [p for p in assets if p.exists()]))


def output_problem(model: V1Model | None, out: PathLike) -> str | None:
    """Why ``out`` may never be written (one line), whatever ``overwrite`` says, else ``None``."""
    given = Path(out).expanduser()
    if given.is_symlink() and not given.exists():
        return f"{given} is a symlink to nothing ({os.readlink(given)}): choose another name"
    target = given.resolve()
    if model is not None:
        src = Path(model.path).expanduser().resolve()
        if model.format == "saved_model" and (target == src or src in target.parents):
            return (
                f"{target} is inside the source model {src} (a SavedModel folder): choose elsewhere"
            )
        for f in model_files(model):
            if target == f:
                return f"{target} is a file of the model {src}: choose another name"
            if target in f.parents:
                return f"{target} holds the model's file {f.name}: choose a new folder beside it"
    home = Path.home().resolve()
    if target == home or target in home.parents:
        return f"{target} is your home folder or above it: choose a new folder"
    return None


def check_output(
    out: PathLike, model: V1Model | None = None, overwrite: bool = False, *, folder: bool = True
) -> Path:
    """``out`` resolved, when a ``folder`` (else a file) may be written there for ``model``; else
    ``ConversionError`` (:func:`output_problem`, a folder for a file or the reverse) or
    ``OutputExistsError`` (exists without ``overwrite``, or a folder holding what is not ours)."""
    problem = output_problem(model, out)
    if problem:
        hint = f", e.g. {default_output_dir(model)}" if model is not None and folder else ""
        raise ConversionError(problem + hint)
    target = Path(out).expanduser().resolve()
    if target.parent.is_dir():  # first bring back or clear what dead runs left under the name
        with _lock(target):
            remove_stale(target.parent, target.name)
    _check_existing(target, overwrite, folder)
    return target


def _check_existing(target: Path, overwrite: bool, folder: bool) -> None:
    if not os.path.lexists(target):
        return
    if target.is_dir() != folder:
        have, want = ("a file", "folder") if folder else ("a folder", "file")
        raise ConversionError(
            f"{target} is {have}: a {want} is never written over it; choose another name"
        )
    if not overwrite:
        what = "folder" if folder else "file name"
        raise OutputExistsError(
            f"{target} exists: pass overwrite=True (CLI: --overwrite) or choose another {what}"
        )
    if folder and not is_output(target) and (names := sorted(p.name for p in target.iterdir())):
        n = len(names)
        raise OutputExistsError(
            f"{target} holds {n} {'entry' if n == 1 else 'entries'} not written by "
            f"tf1-explorer (e.g. {names[0]}): choose another folder"
        )


def default_output_dir(model: V1Model, suffix: str = "_tf2") -> Path:
    """``<name><suffix>`` (``frozen_tf2`` for ``models/frozen.pb``), numbered when taken, in the
    first of the working folder and the model's that is writable (by its mode, even to root) and
    not in or above the model, else in a temporary folder."""
    src = Path(model.path).expanduser().resolve()
    name = f"{src.name if src.is_dir() else src.stem}{suffix}"
    bases = (Path.cwd().resolve(), src.parent)
    fits = (b for b in bases if _writable(b) and not output_problem(model, b / name))
    base = next(fits, Path((_OUTER_TEMP or [tempfile.gettempdir()])[0]) / "tf1-explorer")
    out, n = base / name, 1
    while os.path.lexists(out):
        n += 1
        out = base / f"{name}_{n}"
    return out


def _writable(folder: Path) -> bool:
    try:
        return os.access(folder, os.W_OK) and bool(folder.stat().st_mode & 0o200)
    except OSError:
        return False


def is_output(folder: PathLike) -> bool:
    """Whether ``folder`` is an output explorer published (it holds a readable :data:`MARKER`)."""
    try:
        return json.loads((Path(folder) / MARKER).read_text())["tool"] == "tf1-explorer"
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _unwritable(folder: Path, err: OSError) -> ConversionError:
    return ConversionError(f"cannot write in {folder} ({err.strerror}): choose a writable folder")


def remove_stale(parent: Path, name: str) -> list[Path]:
    """Clear what dead runs left beside ``parent / name`` (``.NAME.tmp-*``; ``.NAME.old-*`` put back
    when nothing is under the name; a folder only when ours or empty); the paths cleared."""
    cleared: list[Path] = []
    pattern = re.compile(rf"^\.{re.escape(name)}\.(tmp|old)-(\d+)-")
    for p in sorted(parent.iterdir()):
        m = pattern.match(p.name)
        if m is None or Path(f"/proc/{m.group(2)}").exists():  # its run is alive
            continue
        target = parent / name
        with contextlib.suppress(OSError):
            if m.group(1) == "old" and p.is_dir() and not os.path.lexists(target):
                os.rename(p, target)
            elif p.is_dir() and not p.is_symlink():
                if not is_output(p) and any(p.iterdir()):
                    continue  # not ours
                shutil.rmtree(p)
            else:
                p.unlink()
        cleared.append(p)
    return cleared


@contextlib.contextmanager
def _lock(target: Path) -> Iterator[None]:
    """Hold ``.NAME.lock`` beside ``target``: an exclusive ``flock`` (another run waits; the
    kernel releases it when a run dies), the file removed on release."""
    lock = target.parent / f".{target.name}.lock"
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        except OSError as err:
            raise _unwritable(target.parent, err) from None
        fcntl.flock(fd, fcntl.LOCK_EX)
        with contextlib.suppress(FileNotFoundError):
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                break  # the file under the name, not one that a releasing run removed
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()
        os.close(fd)


@contextlib.contextmanager
def signals(hold: bool) -> Iterator[None]:
    """In the main thread: with ``hold``, SIGINT and SIGTERM wait until the block is done;
    without, each raises ``KeyboardInterrupt(NAME)``, so cleanup runs (:func:`interrupted`
    remembers it, whatever a library turns it into)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        if hold:
            held.append(signum)
        else:
            _SIGNALLED.append(signal.Signals(signum).name)
            raise KeyboardInterrupt(_SIGNALLED[-1])

    before = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
        for s in held:
            signal.raise_signal(s)


_OUTER_TEMP: list[str] = []  # the temporary folder outside a command-line run's own
_SIGNALLED: list[str] = []  # the signals that raised KeyboardInterrupt in this command-line run


def interrupted() -> str | None:
    """The signal (``"SIGINT"``, ``"SIGTERM"``) that interrupted this command-line run, if any:
    its ``KeyboardInterrupt`` may have surfaced as another error (pybind11 turns one raised
    while it handles a TensorFlow error into a ``RuntimeError``) or been caught by a library."""
    return _SIGNALLED[-1] if _SIGNALLED else None


@contextlib.contextmanager
def command_line_run() -> Iterator[Path]:
    """A whole command-line run. SIGINT and SIGTERM raise ``KeyboardInterrupt(NAME)``, and an
    interrupt that Python swallows (raised inside a ``__del__`` or a gc callback, only reported
    on stderr, while the run goes on) is raised again. Every temporary file of the run goes into
    one folder, removed at the end whatever happens: ``TMPDIR`` points there, so TensorFlow's,
    AutoGraph's and child processes' files are cleared too, even where a signal landed between
    a library making a file and registering its removal. :func:`interrupted` tells whether a
    signal arrived."""
    saved = tempfile.tempdir, os.environ.get("TMPDIR"), sys.unraisablehook
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    again: list[threading.Timer] = []  # deliveries still due; none after the run

    def unraisable(report: sys.UnraisableHookArgs) -> None:
        if isinstance(report.exc_value, KeyboardInterrupt):  # swallowed: delivered again,
            sig = signal.SIGTERM if report.exc_value.args == ("SIGTERM",) else signal.SIGINT
            # a moment later from a thread: its handler then runs once this has returned
            again.append(threading.Timer(0.01, signal.raise_signal, (sig,)))
            again[-1].daemon = True
            again[-1].start()
        else:
            saved[2](report)

    _SIGNALLED.clear()
    with temp_folder("tf1-explorer-run-") as root:
        # removed again at exit: after a signal the interrupted work may write on from its thread
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        _OUTER_TEMP.append(tempfile.gettempdir())
        try:
            tempfile.tempdir = os.environ["TMPDIR"] = str(root)
            sys.unraisablehook = unraisable
            with signals(hold=False):
                yield root
        finally:
            for timer in again:
                timer.cancel()
            if threading.current_thread() is threading.main_thread():
                for s, handler in handlers.items():  # whatever a late-closed block restored
                    if handler is not None:  # None: set outside Python, left as it is
                        signal.signal(s, handler)
            tempfile.tempdir, sys.unraisablehook = saved[0], saved[2]
            if saved[1] is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = saved[1]
            _OUTER_TEMP.pop()


def _pause(step: str) -> None:
    """Tests only: with ``TF1X_TEST_PAUSE=STEP``, say so on stderr and wait 3 s at ``STEP``."""
    if os.environ.get("TF1X_TEST_PAUSE") == step:
        print(f"paused at {step}", file=sys.stderr, flush=True)
        time.sleep(3)


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` at once (``renameat2(RENAME_EXCHANGE)``); ``False`` if unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    if renameat2(-100, os.fsencode(a), -100, os.fsencode(b), 2) == 0:  # AT_FDCWD, RENAME_EXCHANGE
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _write_marker(folder: Path, kind: str) -> None:
    try:
        version = importlib.metadata.version("tf1-explorer")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    marker = {"tool": "tf1-explorer", "version": version, "kind": kind}
    (folder / MARKER).write_text(json.dumps(marker) + "\n")


class Staging:
    """A hidden folder beside an output (:attr:`path`, marked as ours) and its :meth:`publish`."""

    def __init__(self, target: Path, overwrite: bool, kind: str) -> None:
        self.target, self.overwrite, self.kind = target, overwrite, kind
        prefix = f".{target.name}.tmp-{os.getpid()}-"
        self.path = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
        os.umask(mask := os.umask(0))
        self.path.chmod(0o777 & ~mask)  # as mkdir would make it
        _write_marker(self.path, kind)

    def publish(self, built: Path | None = None) -> Path:
        """Put ``built`` (default :attr:`path`, or a folder inside it) under the name, marked as
        explorer's output; returns the name."""
        built = built or self.path
        _write_marker(built, self.kind)
        target = self.target
        _pause("publish")
        with signals(hold=True), _lock(target):  # the lock is gone before a held signal acts
            _check_existing(target, self.overwrite, folder=True)  # another run may have won
            _pause("exchange")
            try:
                if not os.path.lexists(target):
                    os.rename(built, target)
                elif not _exchange(built, target):  # now the old output is at ``built``
                    old = target.parent / f".{target.name}.old-{os.getpid()}-{uuid.uuid4().hex}"
                    os.rename(target, old)
                    try:
                        os.rename(built, target)
                    except BaseException:
                        os.rename(old, target)
                        raise
                    built = old
            except OSError as err:
                raise _unwritable(target.parent, err) from None
            shutil.rmtree(built, ignore_errors=True)
        return target


@contextlib.contextmanager
def staged_folder(
    out: PathLike, model: V1Model | None = None, overwrite: bool = False, kind: str = "output"
) -> Iterator[Staging]:
    """A :class:`Staging` for the folder ``out`` (:func:`check_output` first), removed on leaving
    whatever happens inside (SIGTERM raises ``KeyboardInterrupt`` there, as SIGINT)."""
    target = check_output(out, model, overwrite)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Staging(target, overwrite, kind)
    except OSError as err:
        raise _unwritable(target.parent, err) from None
    try:
        with signals(hold=False):
            yield staging
    finally:
        shutil.rmtree(staging.path, ignore_errors=True)


@contextlib.contextmanager
def temp_folder(prefix: str) -> Iterator[Path]:
    """A new temporary folder, removed on leaving whatever happens inside. It is made with
    SIGINT and SIGTERM held, so a signal cannot land between its making and its removal being
    due (``tempfile.TemporaryDirectory`` leaves it then)."""
    path = None
    try:
        with signals(hold=True):
            path = Path(tempfile.mkdtemp(prefix=prefix))
        yield path
    finally:
        if path is not None:
            shutil.rmtree(path, ignore_errors=True)


def write_file(
    path: PathLike,
    write: Callable[[IO[bytes]], object],
    model: V1Model | None = None,
    overwrite: bool = False,
    what: str = "the file",
) -> Path:
    """Write the file ``path`` through ``write(fileobj)``, all or nothing (refused as by
    :func:`check_output`; ``ConversionError``: cannot be written, the old file left whole)."""
    target = check_output(path, model, overwrite, folder=False)
    tmp: Path | None = None
    try:
        with signals(hold=False):
            target.parent.mkdir(parents=True, exist_ok=True)
            prefix = f".{target.name}.tmp-{os.getpid()}-"
            fd, name = tempfile.mkstemp(prefix=prefix, dir=target.parent)
            tmp = Path(name)
            os.umask(mask := os.umask(0))
            os.fchmod(fd, 0o666 & ~mask)  # as open() would make it
            with os.fdopen(fd, "wb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
            with signals(hold=True), _lock(target):
                _check_existing(target, overwrite, folder=False)
                os.replace(tmp, target)
    except OSError as err:
        raise ConversionError(
            f"cannot write {what} {target} ({err.strerror or err}): choose a writable path"
        ) from None
    finally:
        if tmp is not None and os.path.lexists(tmp):
            tmp.unlink()
    return target
