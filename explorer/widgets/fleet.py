"""FleetView("OUT_DIR"): a fleet run's report, rows filtered by ``status``, sorted by ``sort``."""

from __future__ import annotations

import os
from typing import Any

import ipywidgets as W
import traitlets as T

from explorer.fleets.report import STATUSES, FleetReport
from explorer.reporting.html import esc
from explorer.widgets import _common as C

COLUMNS = ["name", "status", "proved", "seconds", "exit_code", "cause"]
GRID = [("name", "25%", "tf1x-mid"), ("status", "", "tf1x-fit"), ("proved", "15%", "tf1x-mid")]
GRID += [("seconds", "", "tf1x-fit"), ("exit code", "", "tf1x-fit"), ("cause", "", "")]


class FleetView(W.VBox):
    """The report of the fleet folder (or ``fleet.json``) at ``path``."""

    path = T.Unicode("")
    status = T.Unicode("all")  # "all" or one of STATUSES
    sort = T.Unicode("name")  # a column of COLUMNS
    rows = T.List()  # the rows shown
    summary = T.Unicode("")
    failed = T.Unicode("")  # why the report could not be read

    def __init__(self, path: str | os.PathLike[str] = "", **kwargs: Any) -> None:
        self.report: FleetReport | None = None
        self.head, self.classes = W.HTML(), W.HTML()
        self.table = C.ClickableHTML().add_class("tf1x-fleet-table")  # one line a cell
        self.status_pick = W.Dropdown(options=["all", *STATUSES], description="status")
        sorts = [(c.replace("_", " "), c) for c in COLUMNS]
        self.sort_pick = W.Dropdown(options=sorts, description="sort by")
        super().__init__([self.head, self.classes, W.HBox([self.status_pick, self.sort_pick])])
        self.children += (self.table,)
        self.add_class("tf1x-fleet")
        T.link((self, "status"), (self.status_pick, "value"))
        T.link((self, "sort"), (self.sort_pick, "value"))
        self.observe(lambda _: self._read(), "path")
        self.observe(lambda _: self._filter(), ("status", "sort"))
        self.observe(lambda _: self._render(), ("rows", "summary", "failed"))
        self.set_trait("path", str(path))
        for k, v in kwargs.items():
            setattr(self, k, v)

    def _read(self) -> None:
        try:
            self.report, self.failed = FleetReport.read(self.path), ""
        except (OSError, ValueError, KeyError, TypeError) as e:
            self.report, self.failed = None, f"{self.path}: no fleet report ({C.error_line(e)})"
        self.summary = self.report.summary() if self.report else ""
        self._filter()

    def _filter(self) -> None:
        rows = self.report.rows() if self.report else []
        rows = [r for r in rows if self.status == "all" or r["status"].startswith(self.status)]
        numeric = self.sort in ("seconds", "exit_code")

        def key(r: dict[str, Any]) -> Any:
            v = r[self.sort]
            return (v == "", v if v != "" else 0) if numeric else str(v)

        self.rows = sorted(rows, key=key)

    def _render(self) -> None:
        self.head.value = f"<b>{esc(self.failed or self.summary)}</b>"
        classes = self.report.classes if self.report else {}
        self.classes.value = C.table_html(["failure class", "models"], list(classes.items()))
        body = [[r[c] for c in COLUMNS] for r in self.rows]
        names = [r["model"] for r in self.rows]
        self.table.html = C.grid_html(GRID, body, names, empty=self.failed and "no models")
