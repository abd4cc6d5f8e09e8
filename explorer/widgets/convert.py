"""Converter: convert to TF2 (options: freeze, output folder, overwrite), progress, a summary of
the converted signatures, and a "load it back" check against the v1 outputs."""

from __future__ import annotations

from typing import Any

import ipywidgets as W

from explorer.widgets._common import CodePane, StatusArea, adopt_state, bind, on_click, table_html
from explorer.widgets.convert_state import ConverterState


class Converter(W.VBox):
    """Options, progress and results of a conversion, over a :class:`ConverterState`.

    Args:
        source: a ``ConverterState``, or what it takes (a ``V1Model`` or path, selection,
            ``out_dir``).
    """

    def __init__(self, source: Any, **kwargs: Any) -> None:
        self.state = s = adopt_state(self, source, ConverterState, **kwargs)
        self.status = StatusArea()
        self.what = W.HTML()
        self.freeze = W.Checkbox(description="freeze variables into constants", indent=False)
        self.out_dir = W.Text(description="output", layout=W.Layout(width="70%"))
        self.overwrite = W.Checkbox(description="overwrite", indent=False)
        self.convert_button = W.Button(description="convert", icon="cogs", button_style="primary")
        self.check_button = W.Button(description="load it back", icon="check")
        self.progress = W.FloatProgress(min=0.0, max=1.0, description="")
        self.summary = W.HTML()
        self.summary.add_class("tf1x-convert-summary")
        self.code = CodePane(s.code)

        bind(s, "freeze", self.freeze, status=self.status)
        bind(s, "out_dir", self.out_dir, status=self.status)
        bind(s, "overwrite", self.overwrite, status=self.status)
        bind(s, "progress", self.progress)
        on_click(
            self.convert_button,
            self.status,
            s.convert,
            done=lambda out: f"saved the TF2 SavedModel to {out}",
        )
        on_click(self.check_button, self.status, self._check)
        s.observe(self._stage, "stage")
        s.observe(lambda _: self._render(), ("v2", "saved", "check", "selection"))
        self._render()
        super().__init__(
            [
                self.what,
                self.out_dir,
                W.HBox([self.freeze, self.overwrite]),
                W.HBox([self.convert_button, self.check_button, self.progress]),
                self.summary,
                self.status,
                self.code,
            ]
        )
        self.add_class("tf1x-converter")

    def _check(self) -> None:
        res = self.state.load_back()
        bad = [k for k, r in res.items() if not r.passed]
        if bad:
            self.status.error(f"loaded back, but outputs differ for {', '.join(bad)}")
        else:
            self.status.ok(f"loaded back with tf.saved_model.load: {len(res)} signature(s) agree")

    def _stage(self, change: Any) -> None:
        if change.new:
            self.status.busy(f"{change.new}…")

    def _render(self) -> None:
        s = self.state
        sel = s.selection
        if sel.signature:
            what = f"signature <code>{sel.signature}</code>"
        elif sel.outputs:
            what = f"{len(sel.inputs)} input(s) → {len(sel.outputs)} output(s) as serving_default"
        else:
            what = "every signature of the model"
        self.what.value = f"converts {what}"
        rows = s.summary_rows()
        if not rows:
            self.summary.value = "<i>not converted yet</i>"
            return
        self.summary.value = f"<div>saved to <code>{s.saved}</code></div>" + table_html(
            ["signature", "inputs", "outputs", "load-back check"],
            rows,
            [
                "" if not r[3] else ("color:#1a7f37" if r[3] == "same outputs" else "color:#d1242f")
                for r in rows
            ],
        )
