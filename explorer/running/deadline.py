"""Bounded runs (:func:`bounded`): past ``TF1_EXPLORER_RUN_TIMEOUT`` s (default 600) a call is
abandoned with a ``SessionError``."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from explorer.errors import SessionError
from explorer.graph.runtime import env_number

T = TypeVar("T")


_STATE: dict[str, Any] = {"timeout": max(env_number("TF1_EXPLORER_RUN_TIMEOUT", 600.0), 0) or None}
_LOCK = threading.Lock()


def _worker() -> queue.SimpleQueue[Any]:
    """The queue of a new daemon thread running calls in turn (a stuck call never blocks exit)."""
    calls: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def loop() -> None:
        while True:
            fn, box, done = calls.get()
            try:
                box.append((True, fn()))
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                box.append((False, e))
            done.set()

    threading.Thread(target=loop, name="explorer-bounded", daemon=True).start()
    return calls


_WORKERS: list[queue.SimpleQueue[Any]] = []
_ABANDONED: list[threading.Event] = []


def configure(timeout: float | None = None, *, unlimited: bool = False) -> dict[str, Any]:
    """Set the default limit in seconds (``unlimited=True``: none); returns the settings."""
    if unlimited:
        _STATE["timeout"] = None
    elif timeout is not None:
        if timeout <= 0:
            raise ValueError("timeout must be > 0 seconds")
        _STATE["timeout"] = float(timeout)
    return dict(_STATE)


def default_timeout() -> float | None:
    """The limit used when a call gives none (``None``: unbounded)."""
    return _STATE["timeout"]


def abandoned() -> int:
    """How many calls are still running after their deadline passed."""
    return sum(1 for done in _ABANDONED if not done.is_set())


def bounded(fn: Callable[[], T], timeout: float | None, what: str, where: object) -> T:
    """``fn()``, or :class:`SessionError` when it runs past ``timeout`` s (``<= 0``: none)."""
    limit = default_timeout() if timeout is None else (timeout if timeout > 0 else None)
    if limit is None or threading.current_thread().name.startswith("explorer-bounded"):
        return fn()  # unbounded, or already bounded by the caller
    with _LOCK:
        if not _WORKERS:
            _WORKERS.append(_worker())
        worker = _WORKERS[0]
    box: list[tuple[bool, Any]] = []
    done = threading.Event()
    worker.put((fn, box, done))
    try:
        done.wait(limit)
    finally:  # interrupted (the CLI exits at once) or past the limit: the call runs on, abandoned
        if not done.is_set():
            with _LOCK:
                _ABANDONED.append(done)
                if _WORKERS and _WORKERS[0] is worker:
                    _WORKERS.clear()  # its thread is busy: the next call gets a fresh one
    if not done.is_set():
        raise SessionError(
            f"{where}: {what} did not finish within {limit:g} s (an endless loop, or a reader or "
            "queue waiting for data) and was abandoned: feed the tensors after the reader, or "
            "raise the limit if the model is just slow (CLI: --timeout S; API: timeout=)"
        ) from None
    ok, value = box[0]
    if not ok:
        raise value
    return value
