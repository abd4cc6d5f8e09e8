"""The typed parity results: records that are truthy when they pass and round-trip through JSON."""

from __future__ import annotations

import json

from explorer import compare
from explorer.comparing.records import OutputComparison, ParitySummary
from explorer.records import ParityReport
from tests.helpers import pair


def test_report_json_round_trip_is_exact():
    a, b = pair()
    b[0, 0] += 1
    report = compare({"y": a, "z": a}, {"y": b, "z": a}, name="serving_default")
    report.notes.append("a note")
    obj = json.loads(report.dumps())
    assert obj["outputs"]["y"]["passed"] is False and obj["outputs"]["z"]["equal"] is True
    back = ParityReport.from_json(obj)
    assert back.to_json() == report.to_json() and back.outputs == report.outputs
    rec = OutputComparison.from_json(report.outputs["y"].to_json())
    assert rec == report.outputs["y"]


def test_summary_json_has_the_cli_shape():
    a, _ = pair()
    summary = ParitySummary({"sig": compare({"y": a}, {"y": a}, name="sig")}, {"tensorflow": "x"})
    obj = summary.to_json()
    assert obj["passed"] is True and obj["environment"] == {"tensorflow": "x"}
    out = obj["signatures"]["sig"]["outputs"]["y"]
    assert {"max_abs", "max_rel", "mismatch_fraction", "equal"} <= set(out)
    assert obj["signatures"]["sig"]["nondeterministic"] is False
    assert ParitySummary.from_json(json.dumps(obj)).to_json() == obj
    assert not ParitySummary({})  # no signatures compared is never a pass


def test_tolerance_is_validated_with_one_line():
    import math

    import pytest

    from explorer.comparing.records import Tolerance, ToleranceError
    from explorer.errors import ParityError

    t = Tolerance(1e-3, 0, per_output={"y": {"atol": 1e-1}, "z": (0, 1e-2)})
    assert t.of("y") == (1e-1, 0.0) and t.of("z") == (0.0, 1e-2) and t.of("w") == (1e-3, 0.0)
    for bad in (-1.0, math.nan, math.inf, "x"):
        with pytest.raises(ToleranceError, match="atol"):
            Tolerance(atol=bad)
    with pytest.raises(ValueError, match="rtol of y = -1 is not a tolerance"):
        Tolerance(per_output={"y": (0, -1)})
    with pytest.raises(ParityError, match="not both"):
        compare({"y": pair()[0]}, {"y": pair()[0]}, Tolerance(), atol=1e-3)
