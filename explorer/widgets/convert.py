"""Converter: convert to a TF2 SavedModel or ONNX, with progress, and "load it back" parity."""

from __future__ import annotations

import threading
from typing import Any

import ipywidgets as W

from explorer.errors import ParityError
from explorer.reporting.html import esc
from explorer.widgets import _common as C
from explorer.widgets.compare_state import causes
from explorer.widgets.convert_state import ConverterState

TICK_S = 0.15  # how often the progress bar creeps on while a step runs
STAGE_CAP = {"converting": 0.58, "saving": 0.97}  # the bar's cap in a stage (the state: its start)
DEFAULT_CAP = 0.95


class _Creep:
    """Moves a progress bar towards a cap while a call runs (conversion reports no progress)."""

    def __init__(self, bar: W.FloatProgress) -> None:
        self.bar, self._stop = bar, threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, cap: float) -> None:
        self.stop()
        stop = self._stop = threading.Event()

        def run() -> None:
            while not stop.wait(TICK_S):
                if (value := self.bar.value) < cap:
                    self.bar.value = value + max((cap - value) * 0.06, 0.002)

        self._thread = threading.Thread(target=run, name="tf1x-progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


class Converter(C.View):
    """Options, progress and results of a conversion, over a :class:`ConverterState`."""

    def __init__(self, source: Any, show_code: bool = True, **kwargs: Any) -> None:
        s = self._open(source, ConverterState, **kwargs)
        if s is None:
            return
        self.what = W.HTML()
        formats = [("TF2 SavedModel", "saved_model"), ("ONNX", "onnx")]
        flex = W.Layout(display="flex")  # the label beside the buttons, not above them
        self.to = W.ToggleButtons(options=formats, description="to", layout=flex)
        self.onnx_note = W.HTML().add_class("tf1x-onnx-note")  # why ONNX is not offered
        if s.onnx_problem:
            self.onnx_note.value = f"<small style='color:#57606a'>{esc(s.onnx_problem)}</small>"
        self.freeze = W.Checkbox(description="freeze variables into constants", indent=False)
        self.out_dir = W.Text(description="output", layout=W.Layout(width="70%"))
        self.out_problem = W.HTML().add_class("tf1x-out-problem")
        self.overwrite = W.Checkbox(description="overwrite", indent=False)
        self.convert_button = W.Button(description="convert", icon="cogs", button_style="primary")
        self.check_button = W.Button(description="load it back", icon="check")
        self.progress = W.FloatProgress(min=0.0, max=1.0, description="")
        self.summary = W.HTML().add_class("tf1x-convert-summary")
        self._creep = _Creep(self.progress)
        fields = {"freeze": self.freeze, "out_dir": self.out_dir, "overwrite": self.overwrite}
        C.bind_all(s, fields | {"to": self.to}, self.status)
        C.bind(s, "progress", self.progress)

        def saved(out: Any) -> str:
            return f"saved the {'ONNX model' if s.to == 'onnx' else 'TF2 SavedModel'} to {out}"

        C.on_click(self.convert_button, self.status, s.convert, "converting…", saved)
        C.on_click(self.check_button, self.status, self._check, busy="loading it back…")
        C.enter_clicks(self.out_dir, self.convert_button)
        s.observe(self._stage, "stage")
        watch = ("v2", "saved", "check", "selection", "out_problem", "to")
        s.observe(lambda _: self._render(), watch)
        C.clear_on(s, self.status, ("selection", "to", "freeze", "out_dir", "overwrite"))
        self._render()
        buttons = W.HBox([self.convert_button, self.check_button, self.progress])
        children = [self.what, W.HBox([self.to, self.onnx_note]), self.out_dir, self.out_problem]
        children += [W.HBox([self.freeze, self.overwrite]), buttons, self.summary, self.status]
        self._lay_out(children, "tf1x-converter", show_code)

    def _check(self) -> None:
        res = self.state.load_back()
        bad = [f"{k} is {r.status}: {causes(r)[0]}" for k, r in res.items() if not r.passed]
        if bad:  # raised: on_click shows it (a status set here would be cleared)
            raise ParityError(f"loaded back, but {'; '.join(bad)}")
        how = "onnxruntime" if self.state.to == "onnx" else "tf.saved_model.load"
        self.status.ok(f"loaded back with {how}: {len(res)} signature(s) agree")

    def _stage(self, change: Any) -> None:
        self._creep.stop()
        if change.new:
            self.status.busy(f"{change.new}…")
            self._creep.start(STAGE_CAP.get(change.new, DEFAULT_CAP))
        elif self.status.kind == "busy":  # done, also when called from code: no "saving…" left
            self.status.clear()

    def _render(self) -> None:
        s, sel = self.state, self.state.selection
        problem = f"<span style='color:#d1242f'>✘ {esc(s.out_problem)}</span>"
        self.out_problem.value = problem if s.out_problem else ""
        if sel.problem:
            what = f"nothing: {esc(sel.problem)} (in the pick step)"
        elif sel.signature:
            what = f"signature <code>{esc(sel.signature)}</code>"
        elif sel.outputs:
            what = f"{len(sel.inputs)} input(s) → {len(sel.outputs)} output(s) as serving_default"
        else:
            what = "every signature of the model"
        to = "ONNX" if s.to == "onnx" else "a TF2 SavedModel"
        self.what.value = f"converts {what} to {to}"
        rows = s.summary_rows()
        if not rows:
            self.summary.value = "<i>not converted yet</i>"
            return
        colour = {"": "", "same outputs": "color:#1a7f37"}  # else a failed check: red
        colours = [colour.get(r[3], "color:#d1242f") for r in rows]
        header = ["signature", "inputs", "outputs", "load-back check"]
        saved = f"<div>saved to <code>{esc(s.saved)}</code></div>"
        self.summary.value = saved + C.table_html(header, rows, colours)
