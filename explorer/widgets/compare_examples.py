"""The worst examples of a parity run on the user's data, in the ParityView: a list mirroring
``state.worst_rows()`` whose value is ``state.example`` (output key, source index), both ways, and
the picked example's source, inputs and both outputs. Hidden until a run has per-example figures."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as W

from explorer.widgets._common import classed


def _label(row: dict[str, Any]) -> str:
    err = "-" if row["max_abs"] is None else f"{row['max_abs']:.3g}"
    return f"{row['output']}: #{row['index']} {row['where']}  max abs {err}"


def detail_html(row: dict[str, Any] | None) -> str:
    """One worst example as HTML: where it came from, its inputs, v1 and v2 side by side."""
    if row is None:
        return ""
    e = html.escape
    return (
        f"<b>#{row['index']}</b> {e(row['where'])} · {e(row['output'])} · "
        f"{row['mismatches']} elements differ<br><small>{e(row['inputs'])}</small>"
        f"<table><tr><th>v1</th><th>v2</th></tr>"
        f"<tr><td><code>{e(repr(row['v1']))}</code></td>"
        f"<td><code>{e(repr(row['v2']))}</code></td></tr></table>"
    )


def worst_examples_box(state: Any) -> W.VBox:
    """The box for ``state`` (a ParityState); it updates itself when the state changes."""
    pick = W.Select(options=[], value=None, rows=5, description="worst")
    detail = W.HTML()
    box = classed(W.VBox([pick, detail]), "tf1x-worst-examples")

    def render(_: Any = None) -> None:
        rows = state.worst_rows()
        options = [(_label(r), (r["output"], r["index"])) for r in rows]
        if list(pick.options) != options:
            pick.options = options
        values = [v for _, v in options]
        pick.value = state.example if state.example in values else None
        detail.value = detail_html(state.example_detail())
        box.layout.display = "" if rows else "none"

    def picked(change: dict[str, Any]) -> None:
        state.example = change["new"]

    pick.observe(picked, "value")
    state.observe(render, ("summary", "shown", "example"))
    render()
    return box
