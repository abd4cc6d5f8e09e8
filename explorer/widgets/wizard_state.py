"""The migration wizard's state: the five flow steps sharing one model and one choice of tensors.
Plain Python (no ipywidgets); the view is ``wizard.py``."""

from __future__ import annotations

from os import PathLike
from typing import TYPE_CHECKING

from explorer.errors import TensorNotFoundError
from explorer.loading.model import as_model
from explorer.widgets._observable import Change, Observable
from explorer.widgets.browse_state import BrowserState
from explorer.widgets.compare_state import ParityState
from explorer.widgets.convert_state import ConverterState
from explorer.widgets.pick_state import PickerState
from explorer.widgets.run_state import RunnerState

if TYPE_CHECKING:
    from explorer.loading.model import V1Model

STEPS = ("browse", "pick", "run", "convert", "compare")


class WizardState(Observable):
    """The five steps of a migration (``browser``, ``picker``, ``runner``, ``converter``,
    ``parity`` states) sharing one model (or path) and one choice of tensors: the picker's choice
    flows to the runner, converter and parity, the converter's conversion to parity. ``step``:
    the index of the step shown; ``out_dir``: where the converter writes (default: beside the
    model, ``<name>_tf2``)."""

    FIELDS = ("step",)
    WIDGET = "MigrationWizard"

    def __init__(self, model: V1Model | str | PathLike[str], out_dir: str = "") -> None:
        super().__init__()
        self.model = as_model(model)
        self.step = 0
        self.browser = BrowserState(self.model)
        self.picker = PickerState(self.model)
        sel = self.picker.value
        self.runner = RunnerState(self.model, sel)
        self.converter = ConverterState(self.model, sel, out_dir=out_dir)
        self.parity = ParityState(self.model, signature=sel.signature)
        self.picker.observe(self._choice, ("signature", "inputs", "outputs"))
        self.converter.observe(self._converted, "saved")

    def _choice(self, _: Change | None = None) -> None:
        sel = self.runner.selection = self.converter.selection = self.picker.value
        # a custom choice is compared as such (the converter made only its serving_default)
        custom = sel.signature is None and bool(sel.outputs)
        self.parity.signature = sel.signature
        self.parity.inputs = sel.inputs if custom else ()
        self.parity.outputs = sel.outputs if custom else ()

    def _converted(self, change: Change) -> None:
        # in memory, not the folder: first_divergence needs it for tables/assets (Estimators)
        self.parity.v2 = self.converter.v2 if change.new is not None else None

    def use_selected(self, side: str) -> str:
        """Add the browser's selected op's output 0 to the picker's ``side``; returns its name."""
        if self.browser.selected is None:
            raise TensorNotFoundError("no op selected in the browser: select one first")
        if side not in ("inputs", "outputs"):
            raise ValueError(f"side must be 'inputs' or 'outputs', not {side!r}")
        name = f"{self.browser.selected}:0"
        (self.picker.add_input if side == "inputs" else self.picker.add_output)(name)
        return name

    def code(self) -> str:
        """The explorer API calls for every step done so far, as one script."""
        parts = [self.picker.code()]
        if self.runner.outputs is not None:  # the runner's script makes its own runner
            picked = parts[0].splitlines()
            parts = ["\n".join(ln for ln in picked if not ln.startswith("runner = "))]
            parts.append(self.runner.code())
        if self.converter.saved is not None:
            parts.append(self.converter.code())
        if self.parity.summary is not None:
            lines = self.parity.code().splitlines()
            if self.converter.saved is not None:  # the converter's script defines v2
                lines = [ln for ln in lines if not ln.startswith("v2 = ")]
            parts.append("\n".join(lines))
        seen: set[str] = set()
        lines = []
        for part in parts:
            for line in part.splitlines():
                if not line or line.startswith(("import ", "model = explorer.load(")):
                    if not line or line in seen:
                        continue
                    seen.add(line)
                lines.append(line)
        return "\n".join(lines)
