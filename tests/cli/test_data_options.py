"""The ``--data`` options' own parts: progress lines and the image options."""

from __future__ import annotations

import argparse
import io

import pytest

from explorer.cli import _common as _data


def test_progress_prints_at_most_every_few_seconds_and_at_the_end(monkeypatch):
    clock = iter([0.0, 0.5, 3.0, 3.1, 3.2])
    monkeypatch.setattr(_data.time, "perf_counter", lambda: next(clock))
    out = io.StringIO()
    p = _data.Progress(out)
    p("sig", 100, None)  # first call: the rate starts here
    p("sig", 200, None)  # 0.5 s later: quiet
    p("sig", 300, None)  # 3 s later: a line, 200 examples in 3 s
    p("sig", 400, None)  # quiet again
    p("sig", 400, 400)  # the end
    assert out.getvalue().splitlines() == [
        "parity sig: 300 examples (67/s)",
        "parity sig: 400 of 400 examples (94/s)",
    ]


def test_image_options_parse():
    assert _data._size("28x28") == (28, 28) and _data._range("-1,1") == (-1.0, 1.0)
    with pytest.raises(argparse.ArgumentTypeError, match="give HxW"):
        _data._size("28")
