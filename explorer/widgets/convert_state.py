"""State behind the convert view (plain Python): convert, save, load back through parity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from explorer.errors import ConversionError, ExplorerError, OutputExistsError
from explorer.loading.model import as_model
from explorer.output_policy import check_output, default_output_dir, is_output
from explorer.widgets._observable import Observable, recorded, script
from explorer.widgets.pick_state import Selection


class ConverterState(Observable):
    """Convert, save, load back. ``to``: ``saved_model`` or ``onnx`` (``onnx_problem``: why not);
    ``progress``: 0..1; ``out_problem``: why not ``out_dir``."""

    FIELDS = ("selection", "to", "freeze", "out_dir", "overwrite", "stage", "progress", "v2")
    FIELDS += ("saved", "check", "out_problem", "failed")
    WIDGET = "Converter"

    def __init__(self, model: Any, selection: Selection | None = None, out_dir: str = "") -> None:
        from explorer.conversion.onnx import onnx_missing  # lazy: it imports numpy

        super().__init__()
        self.model, self.selection = as_model(model), selection or Selection()
        self.freeze, self.overwrite, self.to = False, False, "saved_model"
        self.onnx_problem = onnx_missing()
        self.out_dir = out_dir or str(default_output_dir(self.model))
        self.stage, self.progress = "", 0.0
        self.v2 = self.saved = self.check = None  # V2Model, its folder, signature -> report
        self.out_problem = self.failed = ""
        self.observe(self._stale, ("selection", "to"))
        self.observe(self._check_out, ("out_dir", "overwrite"))
        self._check_out()

    def _check_to(self, value: Any) -> str:
        from explorer.conversion.onnx import check_target

        if value != "onnx":
            check_target(value)  # an unknown target: one line naming the known ones
        elif self.onnx_problem:
            raise ConversionError(self.onnx_problem)
        return value

    def _stale(self, _: Any = None) -> None:
        """Results gone, and the output folder checked again (it may hold them now)."""
        self.v2 = self.saved = self.check = None
        self.failed, self.progress = "", 0.0
        self._check_out()

    def _check_out(self, _: Any = None) -> ExplorerError | None:
        """``out_problem`` by the output policy: only an earlier output is replaced."""
        try:
            if not self.out_dir.strip():
                raise ConversionError("no output folder given: type a folder for the TF2 model")
            target = check_output(self.out_dir, self.model, overwrite=True)
            if target.exists() and not self.overwrite:
                what = "an earlier output of tf1-explorer" if is_output(target) else "empty"
                raise OutputExistsError(
                    f"{target} is {what}: tick “overwrite” to replace it, or type another folder"
                )
        except ExplorerError as e:
            self.out_problem = str(e)
            return e
        self.out_problem = ""
        return None

    def _step(self, stage: str, progress: float) -> None:
        self.stage, self.progress = stage, progress

    @recorded
    def convert(self) -> Path:
        """Convert and save to ``out_dir`` (refused first by :meth:`_check_out`)."""
        from explorer.conversion.build import convert

        self._stale()  # a failed conversion must not leave the last one's results on show
        try:
            kwargs = self.selection.kwargs(convert=True)
            if problem := self._check_out():  # before the long work
                raise problem
            self._step("converting", 0.1)
            self.v2 = convert(self.model, freeze=self.freeze, to=self.to, **kwargs)
            self._step("saving", 0.6)
            self.saved = self.v2.save(self.out_dir, overwrite=self.overwrite)
            self._step("", 1.0)
        except BaseException:
            self._stale()  # converted but not saved is not a result either
            self._step("", 0.0)
            raise
        return self.saved

    @recorded
    def load_back(self, batch: int = 2, seed: int = 0) -> dict[str, Any]:
        """Parity of the saved folder against v1 on one sampled batch: signature -> report."""
        from explorer.comparing.parity_check import Sampled, parity

        if self.saved is None:
            raise ConversionError("nothing saved yet: press convert first")
        kwargs: dict[str, Any] = self.selection.kwargs()
        if "outputs" not in kwargs:  # no signatures: the default inputs/outputs, serving_default
            names = list(self.v2.signatures)
            kwargs = {"signatures": names} if set(names) <= set(self.model.signatures) else {}
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

    def code(self) -> str:  # the explorer API calls that reproduce the conversion and the check
        kwargs = self.selection.kwargs(convert=True)
        args = "".join(f", {k}={v!r}" for k, v in kwargs.items())
        if self.freeze:
            args += ", freeze=True"
        if self.to != "saved_model":
            args += f", to={self.to!r}"
        again = self.overwrite or self.saved is not None  # runnable after the folder was written
        save = f"out = v2.save({self.out_dir!r}{', overwrite=True' if again else ''})"
        lines = [f"v2 = explorer.convert(model{args})", save]
        if self.to == "onnx":
            lines += [
                "# run it with onnxruntime (a .onnx file per signature):",
                "import onnxruntime",
            ]
            load = "session = onnxruntime.InferenceSession(str(next(out.glob('*.onnx'))))"
            return script(self.model.path, [*lines, load])
        lines += ["# load it back with plain TensorFlow:", "import tensorflow as tf"]
        return script(self.model.path, [*lines, "loaded = tf.saved_model.load(str(out))"])
