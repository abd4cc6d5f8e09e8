"""ParityView: parity, worst examples, first divergence, latency and the training-step check."""

from __future__ import annotations

from typing import Any

import ipywidgets as W

from explorer.errors import plain
from explorer.graph.names import num_text
from explorer.reporting.html import data_uri, esc, latency_rows, serve_line
from explorer.reporting.plots import divergence_plot, figure_png_bytes
from explorer.widgets import _common as C
from explorer.widgets.compare_state import ParityState, causes

BACKGROUNDS = {"passed": "#dafbe1", "failed": "#ffebe9", "nondeterministic": "#fff8c5"}
COLOURS = {"passed": "#1a7f37", "failed": "#d1242f", "nondeterministic": "#9a6700"}
TABLE = ("signature", "output", "status", "max_abs", "max_rel", "mismatch")  # ParityState.rows
TRAINING = ("backend", "step", "loss", "gradients", "weights", "slots", "verdict")


def _lines(lines: list[str]) -> str:
    """Each on one line of its own, cut with an ellipsis, whole on hover."""
    cut = "white-space:nowrap;overflow:hidden;text-overflow:ellipsis;color:#57606a"
    line = '<div class="tf1x-line" title="{0}" style="' + cut + '">{0}</div>'
    each = "".join(line.format(esc(t)) for t in lines)
    return f'<div style="width:0;min-width:100%">{each}</div>'  # the lines never widen the page


def _head(status: str, text: str, lines: list[str]) -> str:
    """``text`` in bold in the colour of ``status``, over :func:`_lines`."""
    return f'<b style="color:{COLOURS[status]}">{esc(text)}</b>' + _lines(lines)


def _img(title: str, fig: Any) -> str:
    t, src = esc(title), data_uri(figure_png_bytes(fig, 70))
    return f'<img title="{t}" alt="{t}" style="max-width:100%" src="{src}"/>'


def detail_html(row: dict[str, Any] | None) -> str:
    """A ``ParityState.worst_rows()`` row as HTML: where from, its inputs, v1 and v2."""
    if row is None:
        return ""
    return (
        f"<b>#{row['index']}</b> {esc(row['where'])} · {esc(row['output'])} · "
        f"{row['mismatches']} elements differ<br><small>{esc(row['inputs'])}</small>"
        f"<table><tr><th>v1</th><th>v2</th></tr>"
        f"<tr><td><code>{esc(repr(row['v1']))}</code></td>"
        f"<td><code>{esc(repr(row['v2']))}</code></td></tr></table>"
    )


def worst_examples_box(state: ParityState) -> W.VBox:
    """``state.worst_rows()`` to pick ``state.example`` from, and its detail (hidden: none)."""
    pick, detail = W.Select(options=[], value=None, rows=5, description="worst"), W.HTML()
    box = W.VBox([pick, detail]).add_class("tf1x-worst-examples")

    def label(r: dict[str, Any]) -> str:
        err = num_text(r["max_abs"])
        return plain(f"{r['output']}: #{r['index']} {r['where']}  max abs {err}")

    def render(_: Any = None) -> None:
        rows = state.worst_rows()
        keys = [(r["output"], r["index"]) for r in rows]
        picked = state.example if state.example in keys else None
        C.set_options(pick, list(zip(map(label, rows), keys)), picked)
        detail.value = detail_html(state.example_detail())
        box.layout.display = "" if rows else "none"

    pick.observe(lambda change: setattr(state, "example", change["new"]), "value")
    state.observe(render, ("summary", "shown", "example"))
    render()
    return box


class ParityView(C.View):
    """Parity and what follows it over a :class:`ParityState`; :attr:`panels`: name -> widget
    (``verdict``: a cause line per output not passed, and ``pin_button``)."""

    def __init__(self, source: Any, *args: Any, show_code: bool = True, **kwargs: Any) -> None:
        s = self._open(source, ParityState, *args, **kwargs)
        if s is None:
            return
        self.batches = W.BoundedIntText(min=1, max=1000, description="batches")
        self.seed = W.IntText(description="seed")
        self.atol, self.rtol = W.FloatText(description="atol"), W.FloatText(description="rtol")
        self.accept_nonfinite = W.Checkbox(description="accept matching NaN/Inf", indent=False)
        self.accept_nonfinite.layout.width = "auto"  # sized to its label, wraps
        self.run_button = W.Button(description="run parity", icon="balance-scale")
        self.run_button.button_style = "primary"
        self.divergence_button = C.button("first divergence", "search")
        self.pin_button = C.button("pin randomness", "thumb-tack", align_self="flex-start")
        self.speed_button = C.button("measure speed", "tachometer")
        self.training_button = C.button("check training", "graduation-cap")
        self.shown = W.Dropdown(options=[], value=None, description="plots of")
        self.verdict = W.HTML().add_class("tf1x-verdict")
        self.table = W.HTML().add_class("tf1x-parity-table")
        self.plots = W.HTML().add_class("tf1x-plots")
        self.drawing = W.HTML().add_class("tf1x-divergence")
        self.speed = W.HTML().add_class("tf1x-speed")
        self.training = W.HTML().add_class("tf1x-training")
        watch = (s, ("summary", "divergence"))
        box = C.whole_graph_box(s.model, lambda: [s.summary, s.divergence], str, s.need_v2, watch)
        self.panels: dict[str, W.Widget] = {
            "verdict": W.VBox([self.verdict, self.pin_button]),
            "table": self.table,
            "plots": W.VBox([self.shown, self.plots]),
            "worst examples": worst_examples_box(s),
            "divergence": self.drawing,
            "speed": self.speed,
            "training": self.training,
            "whole graph": box,
        }
        for field in ("batches", "seed", "atol", "rtol", "accept_nonfinite", "shown"):
            C.bind(s, field, getattr(self, field), status=self.status)
        said, st = "parity: {0.verdict}".format, self.status
        C.on_click(self.run_button, st, s.run, "running v1 and v2 on the same feeds…", said)
        busy = "running again with random ops seeded and keep_prob-like inputs neutral…"
        C.on_click(self.pin_button, st, s.pin_randomness, busy, said)
        busy = "fetching every shared tensor on both sides…"
        C.on_click(self.divergence_button, st, s.find_divergence, busy, lambda d: d.verdict)
        busy = "timing the v1 session and the proven artifact at batch 1 and 32…"
        C.on_click(self.speed_button, st, s.measure_speed, busy, serve_line)
        busy = "running TF1 training steps and the same Keras 3 steps on the rewrite…"
        verdict = s.training_verdict
        C.on_click(self.training_button, st, s.check_training, busy, lambda _: verdict())
        C.clear_on(s, self.status, s.INPUTS)  # "busy" is a click's own line
        renders = {("summary", "shown"): self._render, "divergence": self._render_divergence}
        renders |= {"speed": self._render_speed, "training": self._render_training}
        for fields, render in renders.items():
            s.observe(lambda _, render=render: render(), fields)
            render()
        buttons = [self.run_button, self.divergence_button, self.speed_button]
        controls = [W.HBox([self.batches, self.seed])]
        tolerance = [self.atol, self.rtol, self.accept_nonfinite]
        controls += [W.HBox(tolerance, layout=W.Layout(flex_flow="wrap"))]
        controls += [W.HBox([*buttons, self.training_button])]
        panels = list(self.panels.values())
        self._lay_out(controls + panels + [self.status], "tf1x-parity", show_code)

    def _render(self) -> None:
        s = self.state
        names = list(s.summary.reports) if s.summary is not None else []
        C.set_options(self.shown, names, s.shown if s.shown in names else None)
        self.pin_button.layout.display = "" if s.pinnable() else "none"
        proven = s.summary is not None and s.summary.passed
        self.speed_button.layout.display = "" if proven else "none"
        if s.summary is None:
            self.verdict.value = "<i>not compared yet: press run parity</i>"
            self.table.value = self.plots.value = ""
            return
        rows, several = s.rows(), len(s.summary.reports) > 1
        equal = bool(rows) and all(r["max_abs"] == 0 for r in rows)
        note = f": all {len(rows)} outputs exactly equal" if equal else ""
        lines = [
            f"{name}/{c}" if several else c
            for name, rep in s.summary.reports.items()
            for c in causes(rep) + ([f"remedy: {rep.remedy}"] if rep.remedy else [])
        ]
        self.verdict.value = _head(s.summary.status, s.summary.verdict + note, lines)
        shown = {"max_abs": num_text, "max_rel": num_text, "mismatch": "{:.1%}".format}
        cells = [[shown.get(k, str)(r[k]) for k in TABLE] for r in rows]
        styles = [f"background:{BACKGROUNDS[r['status']]}" for r in rows]
        self.table.value = C.table_html([k.replace("_", " ") for k in TABLE], cells, styles)
        self.plots.value = "".join(_img(name, fig) for name, fig in s.figures().items())

    def _render_divergence(self) -> None:
        s, d = self.state, self.state.divergence
        if d is None:
            self.drawing.value = ""
            return
        skipped = "; ".join(f"{t} ({why})" for t, why in d.skipped.items())
        lines = [f"{len(d.skipped)} tensors not judged: {skipped}"] if skipped else []
        plot = _img("divergence", divergence_plot(d))
        self.drawing.value = f"{_head(d.status, d.verdict, lines)}{s.divergence_svg()}<br>{plot}"

    def _render_speed(self) -> None:
        table = self.state.speed
        if table is None:
            self.speed.value = ""
            return
        header, rows = latency_rows(table)
        line = f"<b>{esc(serve_line(table))}</b><br><small>median per call of interleaved rounds"
        self.speed.value = f"{line}, after warm-up calls</small>{C.table_html(header, rows)}"

    def _render_training(self) -> None:
        s = self.state
        t, why = s.training, s.not_training()
        self.training_button.layout.display = "none" if why else ""
        if t is None:
            self.training.value = _lines([f"no training check: {why}"]) if why else ""
            return
        lines = [f"proved: {', '.join(t['proved'])}"]
        lines += [f"not covered: {n}" for n in t["not_covered"]]
        head = _head("passed" if t["passed"] else "failed", s.training_verdict(), lines)
        rows = s.training_rows()
        cells = [[r.get(k, "") for k in TRAINING] for r in rows]
        cells = [[num_text(v) if isinstance(v, float) else v for v in row] for row in cells]
        ok = [r["verdict"] == "passed" for r in rows]
        styles = [f"background:{BACKGROUNDS['passed' if p else 'failed']}" for p in ok]
        self.training.value = head + C.table_html(list(TRAINING), cells, styles)
