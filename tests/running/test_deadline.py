"""Bounded runs: a call past its deadline ends in one SessionError and is abandoned."""

from __future__ import annotations

import threading
import time

import pytest

from explorer.errors import SessionError
from explorer.running import deadline


def test_bounded_returns_raises_and_abandons():
    assert deadline.bounded(lambda: 3, 5, "x", "m") == 3
    with pytest.raises(ZeroDivisionError):
        deadline.bounded(lambda: 1 / 0, 5, "x", "m")
    release = threading.Event()
    before = deadline.abandoned()
    t0 = time.monotonic()
    with pytest.raises(SessionError, match=r"^m: session\.run did not finish within 0\.2 s"):
        deadline.bounded(release.wait, 0.2, "session.run", "m")
    assert time.monotonic() - t0 < 5 and deadline.abandoned() == before + 1
    assert deadline.bounded(lambda: 4, 5, "x", "m") == 4  # a fresh worker, not the stuck one
    release.set()


def test_configure_the_default_limit():
    saved = deadline.configure()
    try:
        assert deadline.configure(timeout=7)["timeout"] == 7.0
        assert deadline.default_timeout() == 7.0
        assert deadline.configure(unlimited=True)["timeout"] is None
        with pytest.raises(ValueError, match="> 0"):
            deadline.configure(timeout=0)
    finally:
        deadline.configure(saved["timeout"], unlimited=saved["timeout"] is None)
