"""TensorBrowser: search, filter and page a model's ops (a page: one clickable HTML widget)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import ipywidgets as W

from explorer.reporting.html import esc
from explorer.widgets import _common as C
from explorer.widgets._observable import Change
from explorer.widgets.browse_state import SEARCH_MODES, BrowserState

COLUMNS = [("name", "", "tf1x-mid"), ("op", "24%", ""), ("dtype", "", "tf1x-fit")]
COLUMNS += [("shape", "", "tf1x-fit"), ("consumers", "", "tf1x-fit")]


def _dropdown(options: Sequence[object], label: str, width: str, label_width: str) -> W.Dropdown:
    style = {"description_width": label_width}
    return W.Dropdown(options=options, description=label, layout=W.Layout(width=width), style=style)


class TensorBrowser(C.View):
    """Search, filters, a paged table, the selected op and its drawn neighbourhood (clickable)."""

    def __init__(self, source: object, show_code: bool = True, **kwargs: object) -> None:
        s = self._open(source, BrowserState, **kwargs)
        if s is None:
            return
        self.search_status = C.StatusArea().add_class("tf1x-search-status")
        hint, width = "search ops: dense, */MatMul, re:^logits", W.Layout(width="320px")
        self.search = W.Text(placeholder=hint, layout=width).add_class("tf1x-search")
        self.mode = _dropdown(SEARCH_MODES, "mode", "150px", "40px")
        types = [(f"{t} ({n})", t) for t, n in s.catalog.op_type_counts().items()]
        self.op_type = _dropdown([("any op type", ""), *types], "op", "230px", "24px")
        dtypes = [(f"{d} ({n})", d) for d, n in s.catalog.dtypes().items()]
        self.dtype = _dropdown([("any dtype", ""), *dtypes], "dtype", "200px", "40px")
        self.summary = W.Label()
        self.prev = W.Button(description="◀ prev", layout=W.Layout(width="80px"))
        self.next = W.Button(description="next ▶", layout=W.Layout(width="80px"))
        self.table = C.ClickableHTML().add_class("tf1x-browser-table")
        self.hops = W.IntSlider(min=1, max=4, description="hops", layout=W.Layout(width="240px"))
        self.goto = W.Dropdown(options=[], description="go to", layout=W.Layout(width="95%"))
        self.detail = W.HTML().add_class("tf1x-detail-pane")
        self.drawing = C.ClickableHTML().add_class("tf1x-drawing")
        self.whole_graph = C.whole_graph_box(s.model or s.catalog, selected=lambda: s.selected)
        # the search box reports its own errors right under it, not at the bottom of the view
        searched = {"query": self.search, "mode": self.mode, "op_type": self.op_type}
        C.bind_all(s, {**searched, "dtype": self.dtype}, self.search_status)
        C.bind(s, "hops", self.hops, status=self.status)
        C.on_click(self.prev, self.status, s.prev_page)
        C.on_click(self.next, self.status, s.next_page)
        self.table.on_pick(self._picked)
        self.drawing.on_pick(self._picked)
        self.goto.observe(self._goto_chosen, "value")
        s.observe(lambda _: self._render_table(), ("results", "page", "error", "dtype", *searched))
        s.observe(lambda _: self._render_selection(), ("selected", "hops"))
        s.observe(self._show_error, "error")
        self._syncing = False
        self._render_selection()  # renders the table too
        bar = W.HBox([self.search, self.mode, self.op_type, self.dtype])
        bar.layout.flex_flow = "row wrap"
        pager = W.HBox([self.prev, self.next, self.summary])
        # side by side where both fit; in a narrower notebook the detail goes under the table
        left = W.VBox([pager, self.table], layout=W.Layout(flex="3 1 560px", min_width="0"))
        side = W.Layout(flex="2 1 280px", min_width="0", padding="0 0 0 8px")
        right = W.VBox([self.goto, self.hops, self.detail], layout=side)
        panes = W.HBox([left, right], layout=W.Layout(flex_flow="row wrap"))
        children = [bar, self.search_status, panes, self.drawing, self.whole_graph]
        self._lay_out(children + [self.status], "tf1x-browser", show_code)

    # -- state -> widgets ----------

    def _render_table(self) -> None:
        s = self.state
        rows, empty, self.summary.value = s.page_rows(), s.empty_message(), s.summary()
        cells = [[r[c] for c, _, _ in COLUMNS] for r in rows]
        names = [str(r["name"]) for r in rows]
        self.table.html = C.grid_html(COLUMNS, cells, names, s.selected, empty or "no ops")
        if empty:
            self.search_status.busy(empty)
        elif self.search_status.kind == "busy":
            self.search_status.clear()

    def _render_selection(self) -> None:
        s = self.state
        self._syncing = True
        try:
            C.set_options(self.goto, s.neighbours())
        finally:
            self._syncing = False
        d = s.detail()
        hint = "<i>click a row to see its op's attributes, inputs and consumers</i>"
        self.detail.value = hint if d is None else _detail_html(d)
        self.drawing.html = "" if d is None else s.neighbourhood_svg()
        self._render_table()

    def _show_error(self, change: Change) -> None:
        if change.new:
            self.search_status.error(change.new)
        elif self.search_status.kind == "error":
            self.search_status.clear()

    # -- widgets -> state ----------

    def _picked(self, name: str) -> None:  # A click on a table row or a drawn box: select that op
        if self.status.kind == "error":
            self.status.clear()
        C.guarded(self.status, partial(self.state.select, name))  # an op the page no longer has

    def _goto_chosen(self, change: dict[str, object]) -> None:
        if not self._syncing and change["new"] is not None:
            self._picked(str(change["new"]))


def _detail_html(d: dict) -> str:
    def items(values: list[str]) -> str:
        return ", ".join(f"<code>{esc(v)}</code>" for v in values) or "<i>none</i>"

    attrs = "".join(
        f"<tr><td><code>{esc(k)}</code></td><td style='overflow-wrap:anywhere'>{esc(v)}</td></tr>"
        for k, v in d["attrs"].items()
    )
    outs = ", ".join(
        f"<code>{esc(o['name'])}</code> {esc(o['dtype'])} {esc(o['shape'])}" for o in d["outputs"]
    )
    table = "<table style='font-size:11px;table-layout:fixed;width:100%'><colgroup>"
    table += f"<col style='width:35%'><col></colgroup>{attrs}</table>"
    return (
        "<div class='tf1x-detail' style='overflow-wrap:anywhere;font-size:12px;"
        f"max-height:440px;overflow-y:auto'><b>{esc(d['name'])}</b> "
        f"<i>{esc(d['op'])}</i><br>scope: <code>{esc(d['scope'] or '/')}</code>"
        + (f" · device <code>{esc(d['device'])}</code>" if d["device"] else "")
        + f"<br>inputs: {items(d['inputs'])}"
        + (f"<br>control inputs: {items(d['control_inputs'])}" if d["control_inputs"] else "")
        + f"<br>outputs: {outs or '<i>none</i>'}<br>consumers: {items(d['consumers'])}"
        + (table if attrs else "")
        + "</div>"
    )
