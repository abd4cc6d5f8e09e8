"""Progress of long CLI steps on stderr (``with step("converting"): ...``): a ``rich`` spinner with
the step's name and elapsed time, only when stderr is a terminal and ``--quiet`` is not given."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

_STATE: dict[str, Any] = {"enabled": True, "status": None}


def configure(enabled: bool) -> None:
    """Turn the display on or off (``--quiet`` turns it off)."""
    _STATE["enabled"] = bool(enabled)


def shown() -> bool:
    """Whether progress is drawn: enabled, and stderr is a terminal."""
    try:
        return bool(_STATE["enabled"]) and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def step(text: str) -> Iterator[None]:
    """Show ``text`` with a spinner and the elapsed seconds while the block runs."""
    if not shown():
        yield
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    status = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    status.add_task(text, total=None)
    _STATE["status"] = status
    status.start()
    try:
        yield
    finally:
        status.stop()
        _STATE["status"] = None


def stop() -> None:
    """Clear a spinner still drawn (before an error line is printed)."""
    status = _STATE.get("status")
    if status is not None:
        with contextlib.suppress(Exception):
            status.stop()
        _STATE["status"] = None
