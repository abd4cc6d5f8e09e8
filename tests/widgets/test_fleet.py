"""FleetView: a fleet report's table in the notebook, filtered and sorted by its traitlets."""

from __future__ import annotations

from explorer.widgets import FleetView
from tests.fleets.test_report import fleet_report


def test_fleet_view_reads_filters_and_sorts(tmp_path):
    fleet_report().write(tmp_path)
    view = FleetView(tmp_path)
    assert view.summary.startswith("5 models: 1 migrated") and len(view.rows) == 5
    assert "failure class" in view.classes.value and "&lt;script&gt;" in view.table.value
    view.status = "refused"
    assert [r["name"] for r in view.rows] == ["b", "c"] and view.status_pick.value == "refused"
    view.status_pick.value = "all"
    view.sort = "seconds"
    assert [r["seconds"] for r in view.rows] == [1.0, 1.5, 2.0, 3.5, 9.0]
    assert view.table.value.index(">b<") < view.table.value.index(">d<")
    view.path = str(tmp_path / "nothing")
    assert view.rows == [] and "no fleet report" in view.failed and "no fleet" in view.head.value
