"""ParityView: run parity, see a per-output table coloured pass/fail, the plots, and the first
divergence drawn on the graph with ops coloured by their error."""

from __future__ import annotations

from typing import Any

import ipywidgets as W

from explorer.widgets._common import CodePane, StatusArea, adopt_state, bind, on_click, table_html
from explorer.widgets.compare_examples import worst_examples_box
from explorer.widgets.compare_state import ParityState

COLOURS = {
    "passed": "background:#dafbe1",
    "failed": "background:#ffebe9",
    "nondeterministic": "background:#fff8c5",
}


def _fmt(v: Any) -> str:
    return "" if v is None else f"{v:.3g}"


class ParityView(W.VBox):
    """Controls and results of ``explorer.parity`` and ``first_divergence``, over a
    :class:`ParityState`.

    Args:
        source: a ``ParityState``, or what it takes (the v1 model, the v2 model or folder).
    """

    def __init__(self, source: Any, *args: Any, **kwargs: Any) -> None:
        self.state = s = adopt_state(self, source, ParityState, *args, **kwargs)
        self.status = StatusArea()
        self.batches = W.BoundedIntText(min=1, max=1000, description="batches")
        self.seed = W.IntText(description="seed")
        self.atol = W.FloatText(description="atol")
        self.rtol = W.FloatText(description="rtol")
        self.run_button = W.Button(
            description="run parity", icon="balance-scale", button_style="primary"
        )
        self.divergence_button = W.Button(description="first divergence", icon="search")
        self.shown = W.Dropdown(options=[], value=None, description="plots of")
        self.verdict = W.HTML()
        self.table = W.HTML()
        self.table.add_class("tf1x-parity-table")
        self.plots = W.HTML()
        self.drawing = W.HTML()
        self.drawing.add_class("tf1x-divergence")
        self.code = CodePane(s.code)

        for field in ("batches", "seed", "atol", "rtol"):
            bind(s, field, getattr(self, field), status=self.status)
        bind(s, "shown", self.shown, to_widget=lambda v: v, status=self.status)
        on_click(
            self.run_button,
            self.status,
            s.run,
            busy="running v1 and v2 on the same feeds…",
            done=lambda summary: f"parity: {summary.status}",
        )
        on_click(
            self.divergence_button,
            self.status,
            s.find_divergence,
            busy="fetching every shared tensor on both sides…",
            done=lambda d: f"first divergence at {d.op}" if d.found else "no divergence found",
        )
        s.observe(lambda _: self._render(), ("summary", "shown"))
        s.observe(lambda _: self._render_divergence(), "divergence")
        self._render()
        self._render_divergence()
        super().__init__(
            [
                W.HBox([self.batches, self.seed]),
                W.HBox([self.atol, self.rtol]),
                W.HBox([self.run_button, self.divergence_button]),
                self.verdict,
                self.table,
                self.shown,
                self.plots,
                worst_examples_box(s),
                self.drawing,
                self.status,
                self.code,
            ]
        )
        self.add_class("tf1x-parity")

    def _render(self) -> None:
        s = self.state
        names = list(s.summary.reports) if s.summary is not None else []
        if list(self.shown.options) != names:
            self.shown.options = names
        self.shown.value = s.shown if s.shown in names else None
        if s.summary is None:
            self.verdict.value = "<i>not compared yet: press run parity</i>"
            self.table.value = ""
            self.plots.value = ""
            return
        colour = "#1a7f37" if s.summary.passed else "#d1242f"
        self.verdict.value = f'<b style="color:{colour}">{s.summary.status}</b>'
        rows = s.rows()
        self.table.value = table_html(
            ["signature", "output", "status", "max abs", "max rel", "mismatch"],
            [
                [
                    r["signature"],
                    r["output"],
                    r["status"],
                    _fmt(r["max_abs"]),
                    _fmt(r["max_rel"]),
                    f"{r['mismatch']:.1%}",
                ]
                for r in rows
            ],
            [COLOURS.get(r["status"], "") for r in rows],
        )
        from explorer.reporting.html import figure_png

        self.plots.value = "".join(
            f'<img title="{name}" src="{figure_png(fig, dpi=70)}"/>'
            for name, fig in s.figures().items()
        )

    def _render_divergence(self) -> None:
        s = self.state
        if s.divergence is None:
            self.drawing.value = ""
            return
        from explorer.reporting.html import figure_png
        from explorer.reporting.plots import divergence_plot

        self.drawing.value = (
            s.divergence_svg()
            + f'<br><img title="divergence" src="{figure_png(divergence_plot(s.divergence), 70)}"/>'
        )
