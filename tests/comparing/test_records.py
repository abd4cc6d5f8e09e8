"""The typed parity results: records that are truthy when they pass and round-trip through JSON."""

from __future__ import annotations

import json

from explorer import ParityReport, compare
from explorer.comparing.records import OutputComparison, ParitySummary
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
