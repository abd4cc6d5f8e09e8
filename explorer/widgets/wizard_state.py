"""The wizard's state (plain Python): five steps sharing one model and one choice of tensors."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

from explorer.errors import TensorNotFoundError
from explorer.loading.model import V1Model, as_model
from explorer.widgets._observable import Change, Observable
from explorer.widgets.browse_state import BrowserState
from explorer.widgets.compare_state import ParityState
from explorer.widgets.convert_state import ConverterState
from explorer.widgets.pick_state import PickerState
from explorer.widgets.run_state import RunnerState, save_run

STEPS = ("browse", "pick", "run", "convert", "compare")
MARKS = {"done": "✔", "failed": "✘", "needs re-run": "↻"}


class WizardState(Observable):
    """The five steps' states of one model (the picker's choice flows to run, convert and parity;
    the conversion to parity). ``step``: the tab shown; ``marks``: per step ``""``, ``done``,
    ``failed`` or ``needs re-run``; ``saved_run``: the folder :meth:`save` wrote."""

    FIELDS = ("step", "marks", "saved_run")
    WIDGET = "MigrationWizard"

    def __init__(self, model: V1Model | str | PathLike[str], out_dir: str = "") -> None:
        super().__init__()
        self.model = as_model(model)
        self.step, self.marks, self.saved_run = 0, ("",) * len(STEPS), None
        self._tried: set[int] = set()
        self.browser, self.picker = BrowserState(self.model), PickerState(self.model)
        sel = self.picker.value
        self.runner = RunnerState(self.model, sel)
        self.converter = ConverterState(self.model, sel, out_dir=out_dir)
        self.parity = ParityState(self.model, signature=sel.signature)
        self.picker.observe(self._choice, ("signature", "inputs", "outputs"))
        self.converter.observe(self._converted, "saved")
        self.parity.observe(lambda _: setattr(self, "saved_run", None), "summary")
        self.browser.observe(self._mark, "selected")
        self.picker.observe(self._mark, ("validation", "signature"))
        self.runner.observe(self._mark, ("outputs", "failed"))
        self.converter.observe(self._mark, ("saved", "failed"))
        self.parity.observe(self._mark, ("summary", "failed"))
        self._choice()

    def _choice(self, _: Change | None = None) -> None:
        sel = self.picker.value
        self.runner.selection = self.converter.selection = self.parity.choice = sel
        # a custom choice is compared as such (the converter made only its serving_default)
        custom = sel.signature is None and bool(sel.outputs)
        self.parity.signature = sel.signature
        self.parity.inputs = sel.inputs if custom else ()
        self.parity.outputs = sel.outputs if custom else ()
        self._mark()

    def _converted(self, change: Change) -> None:
        # in memory, not the folder: first_divergence needs it for tables/assets (Estimators)
        self.parity.v2 = self.converter.v2 if change.new is not None else None

    def _mark(self, _: Change | None = None) -> None:
        marks = ["" if self.browser.selected is None else "done"]
        marks.append("failed" if self.picker.value.problem else "done")
        states = (self.runner, self.converter, self.parity)
        results = (self.runner.outputs, self.converter.saved, self.parity.summary)
        for i, (state, result) in enumerate(zip(states, results)):
            failed = state.failed or not getattr(result, "passed", True)  # or a failed verdict
            self._tried |= {i} if failed or result is not None else set()
            again = "needs re-run" if i in self._tried else ""
            marks.append("failed" if failed else "done" if result is not None else again)
        self.marks = tuple(marks)

    def header(self) -> str:
        """One line: the model, its format, TF version, node count and the tensors in use."""
        m, p = self.model, self.picker
        version = f"TF {m.tf_version}" if m.tf_version[:1].isdigit() else m.tf_version
        use = f"{p.signature or 'custom'}: {_few(p.inputs)} → {_few(p.outputs)}"
        return f"{Path(m.path).name} · {m.format} · {version} · {len(p.catalog):,} nodes · {use}"

    def use_selected(self, side: str) -> str:
        """Add the browser's selected op's output 0 to the picker's ``side``; returns its name."""
        if self.browser.selected is None:
            raise TensorNotFoundError("no op selected in the browser: select one first")
        if side not in ("inputs", "outputs"):
            raise ValueError(f"side must be 'inputs' or 'outputs', not {side!r}")
        name = f"{self.browser.selected}:0"
        (self.picker.add_input if side == "inputs" else self.picker.add_output)(name)
        return name

    def save(self, out: str | PathLike[str] | None = None, overwrite: bool = False) -> Path:
        """Save the last comparison (:func:`~explorer.widgets.run_state.save_run`)."""
        self.saved_run = save_run(self.parity, out, overwrite)
        return self.saved_run

    def code(self) -> str:  # the explorer API calls for every step done so far, as one script
        parts = [self.picker.code()]
        if self.runner.outputs is not None:  # the runner's script makes its own runner
            parts = [_drop(parts[0], "runner = "), self.runner.code()]
        if self.converter.saved is not None:
            parts.append(self.converter.code())
        if self.parity.summary is not None:
            saved = self.converter.saved is not None  # the converter's script defines v2
            parts.append(_drop(self.parity.code(), "v2 = ") if saved else self.parity.code())
        once = ("import ", "model = explorer.load(")  # each script's head, once
        lines = []
        for line in "\n".join(parts).splitlines():
            if line and not (line.startswith(once) and line in lines):
                lines.append(line)
        return "\n".join(lines)


def _drop(script: str, prefix: str) -> str:
    return "\n".join(ln for ln in script.splitlines() if not ln.startswith(prefix))


def _few(names: tuple[str, ...]) -> str:
    return ", ".join(names[:3]) + (f" +{len(names) - 3} more" if len(names) > 3 else "") or "none"
