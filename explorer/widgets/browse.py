"""TensorBrowser: search, filter and page through a model's ops; inspect one and its neighbours.

A view over :class:`~explorer.widgets.state.BrowserState`. The table is one ``HTML`` widget
rendering one page (never a widget per row), so it stays responsive on 100,000-node graphs.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as W

from explorer.widgets._common import CodePane, StatusArea, adopt_state, bind, on_click, table_html
from explorer.widgets.browse_state import SEARCH_MODES, BrowserState


class TensorBrowser(W.VBox):
    """Search box, op-type and dtype filters, a paged table, a detail pane with click-through to
    neighbours, and a drawing of the selected op's neighbourhood.

    Args:
        source: a ``BrowserState``, or what it takes (``V1Model``, ``Catalog``, model path).
    """

    def __init__(self, source: Any, **kwargs: Any) -> None:
        self.state = s = adopt_state(self, source, BrowserState, **kwargs)
        self._syncing = False
        self.status = StatusArea()
        self.search = W.Text(
            placeholder="search ops: dense, */MatMul, re:^logits", continuous_update=True
        )
        self.search.add_class("tf1x-search")
        self.mode = W.Dropdown(
            options=SEARCH_MODES, description="mode", layout=W.Layout(width="160px")
        )
        types = [("any op type", "")] + [
            (f"{t} ({n})", t) for t, n in s.catalog.op_type_counts().items()
        ]
        self.op_type = W.Dropdown(options=types, description="op", layout=W.Layout(width="230px"))
        dtypes = [("any dtype", "")] + [(f"{d} ({n})", d) for d, n in s.catalog.dtypes().items()]
        self.dtype = W.Dropdown(options=dtypes, description="dtype", layout=W.Layout(width="220px"))
        self.summary = W.Label()
        self.prev = W.Button(description="◀ prev", layout=W.Layout(width="80px"))
        self.next = W.Button(description="next ▶", layout=W.Layout(width="80px"))
        self.table = W.HTML()
        self.rows = W.Select(options=[], value=None, rows=12, description="select")
        self.hops = W.IntSlider(min=1, max=4, description="hops", layout=W.Layout(width="260px"))
        self.goto = W.Dropdown(options=[], value=None, description="go to")
        self.detail = W.HTML()
        self.drawing = W.HTML()
        self.drawing.add_class("tf1x-drawing")
        self.code = CodePane(s.code)

        bind(s, "query", self.search, status=self.status)
        bind(s, "mode", self.mode, status=self.status)
        bind(s, "op_type", self.op_type, status=self.status)
        bind(s, "dtype", self.dtype, status=self.status)
        bind(s, "hops", self.hops, status=self.status)
        on_click(self.prev, self.status, s.prev_page)
        on_click(self.next, self.status, s.next_page)
        self.rows.observe(self._row_chosen, "value")
        self.goto.observe(self._goto_chosen, "value")
        s.observe(lambda _: self._render_table(), ("results", "page"))
        s.observe(lambda _: self._render_selection(), ("selected", "hops"))
        s.observe(self._show_error, "error")
        self._render_table()
        self._render_selection()

        bar = W.HBox([self.search, self.mode, self.op_type, self.dtype])
        pager = W.HBox([self.prev, self.next, self.summary])
        left = W.VBox([pager, self.table], layout=W.Layout(width="55%"))
        right = W.VBox([self.rows, self.goto, self.hops, self.detail], layout=W.Layout(width="45%"))
        super().__init__([bar, W.HBox([left, right]), self.drawing, self.status, self.code])
        self.add_class("tf1x-browser")

    # -- state -> widgets ----------

    def _render_table(self) -> None:
        s = self.state
        rows = s.page_rows()
        self.summary.value = s.summary()
        self.table.value = table_html(
            ["name", "op", "dtype", "shape", "consumers"],
            [[r["name"], r["op"], r["dtype"], r["shape"], r["consumers"]] for r in rows],
            ["background:#ddf4ff" if r["name"] == s.selected else "" for r in rows],
        )
        self._set_quietly(self.rows, [r["name"] for r in rows], s.selected)

    def _render_selection(self) -> None:
        s = self.state
        self._set_quietly(self.goto, s.neighbours(), None)
        d = s.detail()
        if d is None:
            self.detail.value = "<i>select an op to see its attributes, inputs and consumers</i>"
            self.drawing.value = ""
        else:
            self.detail.value = _detail_html(d)
            self.drawing.value = s.neighbourhood_svg()
        self._render_table()

    def _set_quietly(self, widget: W.Widget, options: list[str], value: str | None) -> None:
        self._syncing = True
        try:
            if list(widget.options) != options:
                widget.options = options
            widget.value = value if value in options else None
        finally:
            self._syncing = False

    def _show_error(self, change: Any) -> None:
        if change.new:
            self.status.error(change.new)
        elif self.status.kind == "error":
            self.status.clear()

    # -- widgets -> state ----------

    def _row_chosen(self, change: dict[str, Any]) -> None:
        if self._syncing or change["new"] is None:
            return
        self.state.select(change["new"])

    def _goto_chosen(self, change: dict[str, Any]) -> None:
        if self._syncing or change["new"] is None:
            return
        self.state.select(change["new"])


def _detail_html(d: dict[str, Any]) -> str:
    def items(values: list[str]) -> str:
        return ", ".join(f"<code>{html.escape(v)}</code>" for v in values) or "<i>none</i>"

    attrs = "".join(
        f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(v)}</td></tr>"
        for k, v in d["attrs"].items()
    )
    outs = ", ".join(
        f"<code>{html.escape(o['name'])}</code> {html.escape(o['dtype'])} {html.escape(o['shape'])}"
        for o in d["outputs"]
    )
    return (
        f"<div class='tf1x-detail'><b>{html.escape(d['name'])}</b> "
        f"<i>{html.escape(d['op'])}</i><br>scope: <code>{html.escape(d['scope'] or '/')}</code>"
        + (f" · device <code>{html.escape(d['device'])}</code>" if d["device"] else "")
        + f"<br>inputs: {items(d['inputs'])}"
        + (f"<br>control inputs: {items(d['control_inputs'])}" if d["control_inputs"] else "")
        + f"<br>outputs: {outs or '<i>none</i>'}<br>consumers: {items(d['consumers'])}"
        + (f"<table style='font-size:11px'>{attrs}</table>" if attrs else "")
        + "</div>"
    )
