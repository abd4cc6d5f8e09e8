"""State behind the pick view (plain Python): :class:`Selection` and :class:`PickerState`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import cached_property, partialmethod
from os import PathLike

from explorer.errors import OutputChoiceError, TensorNotFoundError
from explorer.feeding.shape_inference import feed_shapes
from explorer.inspection.suggestions import Validation, default_io, suggest
from explorer.loading.model import V1Model
from explorer.widgets._observable import Change, Observable, model_and_catalog, script


@dataclass(frozen=True)
class Selection:
    """What to run (an :class:`IOPicker`'s choice): a signature name, or input and output tensor
    names; ``problem``: why it cannot run (one line), which every step refuses it with."""

    signature: str | None = None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    problem: str = field(default="", repr=False)

    def kwargs(self, convert: bool = False) -> dict[str, str | list[str]]:
        """``V1Runner`` (``convert``: ``explorer.convert``) keywords, ``{}`` for the default;
        ``OutputChoiceError`` when the choice has a ``problem`` (never a silent default)."""
        if self.problem:
            raise OutputChoiceError(f"{self.problem} (in the pick step)")
        if self.signature is not None:
            return {"signatures": [self.signature]} if convert else {"signature": self.signature}
        if self.outputs:
            return {"inputs": list(self.inputs), "outputs": list(self.outputs)}
        return {}

    def code_args(self) -> str:  # the same as Python source, e.g. ``signature='serving_default'``
        return ", ".join(f"{k}={v!r}" for k, v in self.kwargs().items())


class PickerState(Observable):
    """Which tensors to feed and fetch: ranked suggestions (``limit`` per side), a signature preset
    (``signature``: ``None`` once a tensor is edited) or a custom choice; :attr:`value`."""

    FIELDS = ("signature", "inputs", "outputs", "validation", "message")
    WIDGET = "IOPicker"

    def __init__(self, source: V1Model | str | PathLike[str], limit: int = 20) -> None:
        super().__init__()
        self.model, self.catalog = model_and_catalog(source)
        if self.model is None:
            raise TypeError("PickerState needs a model (V1Model or path), not a bare Catalog")
        self.choice = suggest(self.model, limit=limit)
        self.signature: str | None = None
        self.inputs = self.outputs = ()  # tensor names
        self.validation: Validation | None = None  # of the inputs and outputs; message: its line
        self.message = ""
        self._presetting = False
        self.observe(self._changed, ("inputs", "outputs"))
        sigs = self.model.signatures
        if sigs:
            default = "serving_default" in sigs or len(sigs) == 1
            self.apply_preset(self.model.signature(None).name if default else next(iter(sigs)))
        elif self.choice.outputs:  # the heads run, convert, parity and migrate default to
            inputs, outputs = default_io(self.model)
            self.inputs, self.outputs = tuple(inputs), tuple(outputs)
            self._changed()

    @cached_property
    def feed_shapes(self) -> dict[str, dict[str, object]]:
        """Input candidate -> ``{shape, reasons, notes}`` (``shape_inference.feed_shapes``)."""
        return feed_shapes(self.model, self.choice.inputs)

    @property
    def presets(self) -> list[str]:  # signature names of the model (each a preset)
        return list(self.model.signatures)

    @property
    def value(self) -> Selection:
        """The choice: the preset signature, or the chosen inputs and outputs."""
        if self.signature is not None:
            return Selection(signature=self.signature)
        problem = "" if self.validation else self.message
        return Selection(inputs=self.inputs, outputs=self.outputs, problem=problem)

    def _canon(self, name: str) -> str:
        """The tensor's name; else ``TensorNotFoundError`` with the nearest names of the graph."""
        name = name.strip()
        try:
            return self.catalog.tensor(name).name
        except TensorNotFoundError:
            op, _, idx = name.partition(":")
            names = self.catalog.names
            if op in names:  # the op is there, not that output: its own message says so
                raise
            near = [n for n in names if n.lower() == op.lower()]
            near = near or difflib.get_close_matches(op, names if len(names) < 20_000 else [], 3)
            hint = " or ".join(f"{n}:{idx or 0}" for n in near)
            hint = f"did you mean {hint}?" if near else "find names in the browse tab"
            raise TensorNotFoundError(f"no tensor {name!r} in this model: {hint}") from None

    def _changed(self, change: Change | None = None) -> None:
        if change is not None and not self._presetting:
            self.signature = None
        if not self.outputs:
            self.validation, self.message = None, "choose at least one output"
            return
        self.validation = self.choice.validate([n for n in self.inputs if n], self.outputs)
        self.message = self.validation.message

    def apply_preset(self, name: str | None) -> None:
        """Use a signature's inputs and outputs (``None`` or ``""``: keep the tensors, custom)."""
        if not name:
            self.signature = None
            return
        sig = self.model.signature(name)
        self._presetting = True
        try:
            self.inputs = tuple(t for s in sig.inputs.values() for t in s.tensors)
            self.outputs = tuple(t for s in sig.outputs.values() for t in s.tensors)
            self._changed()
        finally:
            self._presetting = False
        self.signature = sig.name

    def _edit(self, side: str, name: str, *, add: bool) -> None:
        """Add tensor ``name`` to ``side`` or remove it (``TensorNotFoundError`` if unknown)."""
        t, now = self._canon(name), getattr(self, side)
        if not add:
            setattr(self, side, tuple(n for n in now if n != t))
        elif t not in now:
            setattr(self, side, (*now, t))

    add_input = partialmethod(_edit, "inputs", add=True)
    remove_input = partialmethod(_edit, "inputs", add=False)
    add_output = partialmethod(_edit, "outputs", add=True)
    remove_output = partialmethod(_edit, "outputs", add=False)

    def code(self) -> str:  # the explorer API calls that reproduce this choice and check it
        lines = ["choice = explorer.suggest(model)"]
        if self.signature is not None:
            lines.append(f"sig = model.signature({self.signature!r})")
        else:
            lines.append(f"check = choice.validate({list(self.inputs)!r}, {list(self.outputs)!r})")
        lines.append(f"runner = explorer.V1Runner(model, {self.value.code_args()})")
        return script(self.model.path, lines)
