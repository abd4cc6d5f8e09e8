"""``import explorer`` stays cheap: no TensorFlow, no widgets, no matplotlib."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("tensorflow", "keras", "ipywidgets", "matplotlib", "numpy")


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_explorer_is_cheap():
    res = _run(
        "import sys, time, json; t = time.perf_counter(); import explorer, explorer.cli; "
        "dt = time.perf_counter() - t; "
        f"print(json.dumps({{'dt': dt, 'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))"
    )
    assert res["heavy"] == []
    assert res["dt"] < 0.3, f"import explorer took {res['dt']:.3f}s"


def test_cli_help_does_not_import_tensorflow():
    res = _run(
        "import sys, json, contextlib, io\n"
        "from explorer.cli import build_parser\n"
        "build_parser().format_help()\n"
        "print(json.dumps({'tf': 'tensorflow' in sys.modules}))"
    )
    assert res == {"tf": False}
