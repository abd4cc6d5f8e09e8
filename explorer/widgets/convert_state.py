"""State behind the convert view (plain Python): :class:`ConverterState` converts, saves, and loads
the saved folder back through ``explorer.parity``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from explorer.errors import ConversionError
from explorer.loading.model import as_model
from explorer.output_policy import check_output, default_output_dir
from explorer.widgets._observable import Observable, script
from explorer.widgets.pick_state import Selection


class ConverterState(Observable):
    """Convert a model to TF2, save it, and check that the saved folder loads back and agrees.

    Fields: ``selection`` (what to convert: its signature, or its inputs/outputs as one
    ``serving_default``; default: every signature), ``freeze``, ``out_dir``, ``overwrite``,
    ``stage`` (what runs now, ``""`` when idle), ``progress`` (0..1), ``v2`` (the
    :class:`~explorer.V2Model`), ``saved`` (the folder written), ``check`` (signature ->
    ``ParityReport`` of the loaded-back model against v1).
    """

    FIELDS = ("selection", "freeze", "out_dir", "overwrite", "stage", "progress", "v2", "saved")
    FIELDS += ("check",)
    WIDGET = "Converter"

    def __init__(self, model: Any, selection: Selection | None = None, out_dir: str = "") -> None:
        super().__init__()
        self.model = as_model(model)
        self.selection = selection or Selection()
        self.freeze, self.overwrite = False, False
        self.out_dir = out_dir or str(default_output_dir(self.model))
        self.stage, self.progress = "", 0.0
        self.v2: Any = None
        self.saved: Path | None = None
        self.check: dict[str, Any] | None = None
        self.observe(self._stale, "selection")

    def _stale(self, _: Any = None) -> None:
        self.v2 = self.saved = self.check = None

    def _step(self, stage: str, progress: float) -> None:
        self.stage, self.progress = stage, progress

    def convert(self) -> Path:
        """Convert and save to ``out_dir``; returns the folder written."""
        from explorer.conversion.converter import convert

        if not self.out_dir.strip():
            raise ConversionError("no output folder given: type a folder to write the TF2 model")
        self._stale()  # a failed conversion must not leave the last one's results on show
        try:
            check_output(self.out_dir, self.model, self.overwrite)  # before the long work
            self._step("converting", 0.1)
            self.v2 = convert(self.model, freeze=self.freeze, **self.selection.kwargs(convert=True))
            self._step("saving", 0.6)
            self.saved = self.v2.save(self.out_dir, overwrite=self.overwrite)
            self._step("", 1.0)
        except BaseException:
            self._stale()  # converted but not saved is not a result either
            self._step("", 0.0)
            raise
        return self.saved

    def load_back(self, batch: int = 2, seed: int = 0) -> dict[str, Any]:
        """Parity of the saved folder against v1 on one sampled batch: signature -> report."""
        from explorer.comparing.parity_check import Sampled, parity

        if self.saved is None:
            raise ConversionError("nothing saved yet: press convert first")
        custom = self.selection.signature is None and self.selection.outputs
        if custom:
            kwargs: dict[str, Any] = self.selection.kwargs()
        elif all(name in self.model.signatures for name in self.v2.signatures):
            kwargs = {"signatures": list(self.v2.signatures)}
        else:  # a model without signatures: its default inputs/outputs as serving_default
            kwargs = {}
        out: dict[str, Any] = {}
        try:
            self._step("loading back and comparing with v1", 0.5)
            summary = parity(self.model, self.saved, source=Sampled(1, seed, batch), **kwargs)
            out = dict(summary.reports)
        finally:
            self._step("", 1.0 if out else 0.0)
        self.check = out
        return out

    def summary_rows(self) -> list[list[Any]]:
        """Per converted signature: name, inputs, outputs, and the load-back result if checked."""
        if self.v2 is None:
            return []
        rows = []
        for name, sig in self.v2.signatures.items():
            rep = (self.check or {}).get(name)
            res = "" if rep is None else "same outputs" if rep.passed else rep.status
            rows.append([name, ", ".join(sig.inputs), ", ".join(sig.outputs), res])
        return rows

    def code(self) -> str:
        """The explorer API calls that reproduce the conversion and the check."""
        kwargs = self.selection.kwargs(convert=True)
        args = "".join(f", {k}={v!r}" for k, v in kwargs.items())
        if self.freeze:
            args += ", freeze=True"
        lines = [
            f"v2 = explorer.convert(model{args})",
            f"out = v2.save({self.out_dir!r}{', overwrite=True' if self.overwrite else ''})",
            "# load it back with plain TensorFlow:",
            "import tensorflow as tf",
            "loaded = tf.saved_model.load(str(out))",
        ]
        return script(self.model.path, lines)
