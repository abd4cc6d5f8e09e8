"""Buttons that show the model, or its conversion, in Google's Model Explorer under a view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as W

from explorer.reporting.model_explorer import GraphView, view_graph
from explorer.widgets._common import StatusArea, guarded, on_click
from explorer.widgets._common import button as make_button
from explorer.widgets._observable import Observable


def whole_graph_box(
    source: Any,
    result: Callable[[], Any] = list,
    selected: Callable[[], Any] = str,
    converted: Callable[[], Any] | None = None,
    watch: tuple[Observable, tuple[str, ...]] | None = None,
) -> W.VBox:
    """ "whole graph" opens ``source`` (``V1Model``/``Catalog``), "converted graph" ``converted()``
    (a ``V2Model``), with ``result()`` overlaid and ``selected()``'s scope open, in place of the
    box's ``view``; "close" stops it. A change of ``watch`` (state, fields) reopens it."""
    button = make_button("whole graph", "sitemap")  # each its own layout
    v2_button = make_button("converted graph", "sitemap", display="" if converted else "none")
    close = W.Button(description="close", icon="times", layout=W.Layout(display="none"))
    frame, status = W.HTML(), StatusArea()
    status.remove_class("tf1x-status").add_class("tf1x-graph-status")  # the view's own stays one
    box = W.VBox([W.HBox([button, v2_button, close]), status, frame]).add_class("tf1x-whole-graph")
    box.view = box.opened = None  # the view shown; the button that opened it, until "close"

    def show(view: GraphView | None = None, opened: Any = None) -> GraphView | None:
        if box.view is not None:
            box.view.stop()
        box.view, box.opened, frame.value = view, opened, view._repr_html_() if view else ""
        close.layout.display = "none" if view is None else ""
        return view

    def opener(v2: Callable[[], Any] | None) -> Callable[[], GraphView | None]:
        def opened() -> GraphView | None:
            kept, v2_model = selected() or None, v2() if v2 is not None else None
            return show(view_graph(source, result(), select=kept, v2=v2_model), opened)

        return opened

    def said(view: GraphView, new: str = "") -> str:
        return f"Model Explorer at {view.url.split('/?')[0]}{new}"

    def refresh(_: Any) -> None:
        if box.opened is not None and not any(r is not None for r in result()):
            show(None, box.opened)  # opened again by the next results
            status.ok("Model Explorer closed: the results it showed are gone")
        elif box.opened is not None and guarded(status, box.opened) is not None:
            status.ok(said(box.view, " (the new results)"))

    busy = "starting Model Explorer with the whole graph…"
    on_click(button, status, opener(None), busy, said)
    on_click(v2_button, status, opener(converted), busy.replace("whole", "converted"), said)
    on_click(close, status, show, None, lambda _: "Model Explorer closed")
    if watch is not None:
        watch[0].observe(refresh, watch[1])
    return box
