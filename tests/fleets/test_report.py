"""The fleet report: counts, failure classes, JSON/CSV/HTML written and read back, model text
escaped everywhere."""

from __future__ import annotations

import csv
import json

from explorer.fleets.report import FleetReport, ModelResult, parity_cause

HOSTILE = "m<script>alert(1)</script>\x1b[31m"


def fleet_report(root: str = "/zoo") -> FleetReport:
    proved = {"serving_default": {"outputs": ["y:0"], "inputs": ["x:0"]}}
    results = [
        ModelResult("/zoo/a.pb", "a.pb", "migrated", 3.5, 0, proved=proved),
        ModelResult("/zoo/b", "b", "refused", 1.0, 2, "/zoo/b holds 'Op 7' of 3 kinds: fix it"),
        ModelResult("/zoo/c", "c", "refused", 1.5, 2, "/zoo/c holds 'Op 9' of 4 kinds: fix it"),
        ModelResult(f"/zoo/{HOSTILE}", "d", "timed out", 9.0, -9, "did not finish within 9 s"),
        ModelResult("/zoo/e", "e", "crashed", 2.0, -6, f"migrate killed by SIGABRT: {HOSTILE}"),
    ]
    results[0].skipped = True
    return FleetReport(root, "/out", results, 12.0, 2, None)


def test_counts_classes_and_summary():
    rep = fleet_report()
    assert rep.counts == {"migrated": 1, "refused": 2, "timed out": 1, "crashed": 1}
    assert rep.classes == {
        "refused: … holds … of … kinds: fix it": 2,
        "timed out": 1,
        "crashed: migrate killed by SIGABRT: …": 1,
    }
    assert rep.summary() == (
        "5 models: 1 migrated, 2 refused, 1 timed out, 1 crashed (1 skipped: unchanged) in 12.0 s"
    )
    assert not rep.passed and rep.results[0].proved_text() == "y:0"


def test_written_files_escape_model_text_and_read_back(tmp_path):
    rep = fleet_report()
    paths = rep.write(tmp_path)
    assert [p.name for p in paths] == ["fleet.json", "fleet.csv", "fleet.html"]
    data = json.loads(paths[0].read_text())
    assert data["counts"] == rep.counts and data["models"][3]["cause_class"] == "timed out"
    back = FleetReport.read(tmp_path)
    assert [r.to_json() for r in back.results] == [r.to_json() for r in rep.results]
    rows = list(csv.DictReader(paths[1].open()))
    assert rows[0]["status"] == "migrated, skipped (unchanged)" and rows[0]["proved"] == "y:0"
    assert "\x1b" not in paths[1].read_text() and "\\x1b" in rows[4]["cause"]
    html = paths[2].read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html and "\x1b" not in html
    assert html.count("<tr class=") == 5 and "onclick='sortBy(0)'" in html
    assert "function sortBy" in html and "1 timed out" in html
    rep.write(tmp_path)  # a second run replaces the report files
    assert json.loads(paths[0].read_text())["summary"] == rep.summary()


def test_parity_cause_names_the_first_output_not_passed_and_its_reason():
    why = "TF1 leaves its value open: it reads t, which A updates in the same call"
    outs = {"y": {"status": "passed"}, "m/value": {"status": "nondeterministic", "reason": why}}
    outs["n/value"] = {"status": "failed"}
    data = {"status": "nondeterministic", "signatures": {"eval": {"outputs": outs}}}
    assert parity_cause(data) == f"parity nondeterministic: m/value (and 1 more): {why}"
    assert parity_cause({"status": "failed"}) == "parity failed"
