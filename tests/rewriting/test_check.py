"""The fresh-process check: several models in one process per backend, and a model that fails
to build reported as one line (the other rewrites still run)."""

from __future__ import annotations

import numpy as np

from explorer.comparing.records import Tolerance
from explorer.rewriting.api import KerasRewrite, _compare_job, check_rewrites

GOOD = """
import keras
def build_model(weights=None):
    x = keras.Input(batch_shape=(None, 2), name="x")
    return keras.Model({"x": x}, {"y": keras.ops.multiply(x, 2.0)})
"""


def _rewrite(source, x, y):
    io = ({"x": "x:0"}, {"y": "y:0"})
    return KerasRewrite(source, b"", [], *io, _feeds=[{"x": x}], _expected=[{"y": y}])


def test_one_process_runs_every_rewrite_and_reports_each():
    bad = "def build_model():\n    raise RuntimeError('no layer X\\nmore')\n"
    x = np.arange(4, dtype=np.float32).reshape(2, 2)
    good, failing = _rewrite(GOOD, x, 2 * x), _rewrite(bad, x, x)
    # the numpy backend: the same runner, without TensorFlow's import time
    check_rewrites([good, failing], backends=("numpy",))
    ok, failed = good.parity["backends"], failing.parity["backends"]
    assert good.passed and not failing.passed
    assert good.parity["per_output"] == {"y": {"numpy": True}}
    assert ok["numpy"]["passed"] and ok["numpy"]["outputs"]["y"]["max_abs"] == 0.0
    assert failed["numpy"] == {
        "passed": False,
        "seconds": failed["numpy"]["seconds"],
        "error": "RuntimeError: no layer X",
        "outputs": {},
    }


class _Got(dict):
    """What ``np.load`` gives the check: arrays by batch and output position (``b0_0``), and
    their names in ``files``."""

    @property
    def files(self):
        return list(self)


def _compare(got, want, atol, rtol):
    res = _compare_job(_Got({"b0_0": got}), [{"y": want}], Tolerance(atol, rtol), 0.0)
    return res["outputs"]["y"]


def test_compare_reports_shape_and_integer_mismatches():
    assert _compare(np.zeros(3), np.zeros(4), 1e-5, 1e-5)["error"] == "shape [3] but v1 gives [4]"
    assert not _compare(np.array([1, 2]), np.array([1, 3]), 1e-5, 1e-5)["passed"]
    close = _compare(np.array([1.0 + 1e-6]), np.array([1.0]), 1e-5, 1e-5)
    assert close["passed"] and 0 < close["max_abs"] < 2e-6
    missing = _compare_job(_Got(), [{"y": np.zeros(2)}], Tolerance(), 0.0)
    assert missing["outputs"]["y"]["error"] == "missing from the Keras outputs"
