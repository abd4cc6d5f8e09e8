"""FleetView: a fleet report's table in the notebook, filtered and sorted by its traitlets."""

from __future__ import annotations

from explorer.widgets import FleetView
from tests.fleets.test_report import fleet_report


def test_fleet_view_reads_filters_and_sorts(tmp_path):
    fleet_report().write(tmp_path)
    view = FleetView(tmp_path)
    assert view.summary.startswith("5 models: 1 migrated") and len(view.rows) == 5
    assert "failure class" in view.classes.value and "&lt;script&gt;" in view.table.html
    assert "tf1x-fleet" in view._dom_classes and "'tf1x-fit'>exit code</th>" in view.table.html
    assert '<td title="/zoo/b holds &#x27;Op 7&#x27; of 3 kinds: fix it">' in view.table.html
    view.status = "refused"
    assert [r["name"] for r in view.rows] == ["b", "c"] and view.status_pick.value == "refused"
    view.status_pick.value = "all"
    view.sort = "seconds"
    assert [r["seconds"] for r in view.rows] == [1.0, 1.5, 2.0, 3.5, 9.0]
    assert view.table.html.index('data-name="/zoo/b"') < view.table.html.index("/zoo/e")
    view.path = str(tmp_path / "nothing")
    assert view.rows == [] and "no fleet" in view.head.value and "no models" in view.table.html
    assert view.failed == (
        f"{tmp_path / 'nothing'}: no fleet report (cannot use {tmp_path / 'nothing'}: "
        "No such file or directory)"
    )  # widget words: no "[Errno 2]"
