"""The "whole graph" buttons of the TensorBrowser and the ParityView: the model (or its conversion)
in Google's Model Explorer under them (:func:`~explorer.reporting.model_explorer.view_graph`),
one server at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as W

from explorer.reporting.model_explorer import GraphView, view_graph
from explorer.widgets._common import StatusArea, classed, guarded, on_click
from explorer.widgets._observable import Observable


def whole_graph_box(
    source: Any,
    result: Callable[[], Any] = list,
    selected: Callable[[], Any] = str,
    converted: Callable[[], Any] | None = None,
    watch: tuple[Observable, tuple[str, ...]] | None = None,
) -> W.VBox:
    """ "whole graph" opens ``source`` (a ``V1Model`` or ``Catalog``) in Model Explorer with the
    overlays of ``result()``, the scope of the op ``selected()`` open, in place of the one open
    (the box's ``view``); "converted graph" (with ``converted``) opens ``converted()``, the
    V2Model; "close" stops the server. A change of ``watch``'s (state, fields) opens the view
    again with the new results (closes it while there are none)."""
    wide = W.Layout(width="auto")
    button = W.Button(description="whole graph", icon="sitemap", layout=wide)
    v2_button = W.Button(description="converted graph", icon="sitemap", layout=wide)
    v2_button.layout.display = "none" if converted is None else ""
    close = W.Button(description="close", icon="times", layout=W.Layout(display="none"))
    frame, status = W.HTML(), StatusArea()
    status.remove_class("tf1x-status").add_class("tf1x-graph-status")  # the view's own stays one
    box = classed(W.VBox([W.HBox([button, v2_button, close]), status, frame]), "tf1x-whole-graph")
    box.view = box.opened = None  # the view shown; how it was opened, while wanted

    def show(view: GraphView | None) -> GraphView | None:
        if box.view is not None:
            box.view.stop()
        box.view, frame.value = view, "" if view is None else view._repr_html_()
        close.layout.display = "none" if view is None else ""
        return view

    def opener(v2: Callable[[], Any] | None) -> Callable[[], GraphView | None]:
        def opened() -> GraphView | None:
            box.opened = opened
            kept = selected() or None
            return show(view_graph(source, result(), select=kept, v2=v2 and v2()))

        return opened

    def closed() -> None:
        box.opened = None
        show(None)

    said = "Model Explorer at {0}".format

    def refresh(_: Any) -> None:
        if box.opened is None:
            return
        if not any(r is not None for r in result()):
            show(None)
            status.ok("Model Explorer closed: the results it showed are gone")
        elif guarded(status, box.opened) is not None:
            status.ok(done(box.view) + " (the new results)")

    def done(view: GraphView) -> str:
        return said(view.url.split("/?")[0])

    busy = "starting Model Explorer with the whole graph…"
    on_click(button, status, opener(None), busy, done)
    on_click(v2_button, status, opener(converted), busy.replace("whole", "converted"), done)
    on_click(close, status, closed, None, lambda _: "Model Explorer closed")
    if watch is not None:
        watch[0].observe(refresh, watch[1])
    return box
