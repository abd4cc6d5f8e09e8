"""The "whole graph" button of the TensorBrowser and the ParityView: the model in Google's Model
Explorer under it (:func:`~explorer.reporting.model_explorer.view_graph`), one server at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as W

from explorer.reporting.model_explorer import GraphView, view_graph
from explorer.widgets._common import StatusArea, classed, on_click


def whole_graph_box(
    source: Any, result: Callable[[], Any] = list, selected: Callable[[], Any] = str
) -> W.VBox:
    """ "whole graph" opens ``source`` (a ``V1Model`` or ``Catalog``) in Model Explorer with the
    overlays of ``result()`` and the op ``selected()`` selected, in place of the one open (the
    box's ``view``); "close" stops its server."""
    button = W.Button(description="whole graph", icon="sitemap", layout=W.Layout(width="auto"))
    close = W.Button(description="close", icon="times", layout=W.Layout(display="none"))
    frame, status = W.HTML(), StatusArea()
    status.remove_class("tf1x-status").add_class("tf1x-graph-status")  # the view's own stays one
    box = classed(W.VBox([W.HBox([button, close]), status, frame]), "tf1x-whole-graph")
    box.view = None

    def show(view: GraphView | None) -> GraphView | None:
        if box.view is not None:
            box.view.stop()
        box.view, frame.value = view, "" if view is None else view._repr_html_()
        close.layout.display = "none" if view is None else ""
        return view

    def opened() -> GraphView | None:
        return show(view_graph(source, result(), select=selected() or None))

    busy = "starting Model Explorer with the whole graph…"
    on_click(button, status, opened, busy, lambda v: f"Model Explorer at {v.url.split('/?')[0]}")
    on_click(close, status, lambda: show(None), None, lambda _: "Model Explorer closed")
    return box
