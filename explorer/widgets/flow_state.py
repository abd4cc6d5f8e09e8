"""State objects behind the run, convert and compare views, and the wizard that chains them.

Plain Python (no ipywidgets): each holds its inputs as observable fields, does its work in one
method per button, keeps the results, and says in :meth:`code` which explorer calls do the same.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ..errors import ConversionError, FeedError
from ._observable import Observable
from .state import Selection

PREVIEW_ITEMS = 6  # values shown per output


def _load(model: Any) -> Any:
    from ..loader import V1Model, load

    return model if isinstance(model, V1Model) else load(model)


def output_row(key: str, value: Any) -> dict[str, Any]:
    """Summary of one output value: ``key, dtype, shape, min, max, mean, std, nan, preview``.

    Numbers are floats (``None`` for strings, booleans and empty arrays); a sparse value is
    described by its ``values`` with its dense shape; ``preview`` is the first few items.
    """
    import numpy as np

    from ..sampler import SparseValue

    dense_shape = None
    if isinstance(value, SparseValue):
        dense_shape = [int(d) for d in value.dense_shape]
        value = value.values
    arr = np.asarray(value)
    row: dict[str, Any] = {
        "key": key,
        "dtype": str(arr.dtype) if arr.dtype.kind not in "OSU" else "string",
        "shape": list(arr.shape) if dense_shape is None else dense_shape,
        "min": None,
        "max": None,
        "mean": None,
        "std": None,
        "nan": 0,
    }
    flat = arr.reshape(-1)
    if arr.dtype.kind in "fiuc" and flat.size:
        x = flat.astype(np.float64) if arr.dtype.kind != "c" else np.abs(flat)
        finite = x[np.isfinite(x)]
        row["nan"] = int(np.isnan(x).sum())
        if finite.size:
            row.update(
                min=float(finite.min()),
                max=float(finite.max()),
                mean=float(finite.mean()),
                std=float(finite.std()),
            )
    items = flat[:PREVIEW_ITEMS].tolist()
    row["preview"] = ", ".join(
        (repr(v[:24]) if isinstance(v, bytes) else f"{v:.4g}" if isinstance(v, float) else str(v))
        for v in items
    ) + (" …" if flat.size > PREVIEW_ITEMS else "")
    return row


class RunnerState(Observable):
    """Sample data and one v1 session run of a model.

    Fields: ``selection`` (:class:`Selection`; default: the model's default signature),
    ``batch``, ``seed``, ``low``/``high`` (range floats are drawn from), ``feeds`` (the
    :class:`~explorer.sampler.Feeds` to run, sampled or loaded from ``.npz``), ``feeds_source``
    (``"sampled"`` or the file name), ``outputs`` (output key -> value of the last run),
    ``seconds`` (its run time, feeding excluded).

    The v1 session opens on the first run and stays open (stateful graphs keep their state) until
    the selection changes or :meth:`close`.
    """

    FIELDS = (
        "selection",
        "batch",
        "seed",
        "low",
        "high",
        "feeds",
        "feeds_source",
        "outputs",
        "seconds",
    )
    WIDGET = "session_runner:SessionRunner"

    def __init__(self, model: Any, selection: Selection | None = None) -> None:
        super().__init__()
        self.model = _load(model)
        self.selection = selection or Selection()
        self.batch = 1
        self.seed = 0
        self.low = -1.0
        self.high = 1.0
        self.feeds: Any = None
        self.feeds_source = ""
        self.outputs: dict[str, Any] | None = None
        self.seconds: float | None = None
        self._runner: Any = None
        self.observe(self._reset, ("selection",))
        self.observe(self._stale_feeds, ("batch", "seed", "low", "high"))

    def _reset(self, _: Any = None) -> None:
        self.close()
        self.feeds = None
        self.feeds_source = ""
        self.outputs = None
        self.seconds = None

    def _stale_feeds(self, _: Any = None) -> None:
        if self.feeds_source == "sampled":
            self.feeds = None
            self.feeds_source = ""

    @property
    def runner(self) -> Any:
        """The :class:`~explorer.runners.V1Runner` for the selection (not started until a run)."""
        if self._runner is None:
            from ..runners import V1Runner

            self._runner = V1Runner(self.model, **self.selection.kwargs())
        return self._runner

    def sample(self) -> Any:
        """Draw feeds for the selection's inputs (``batch``, ``seed``, ``[low, high)``)."""
        if not self.low < self.high:
            raise FeedError(f"range [{self.low}, {self.high}) is empty: make low < high")
        self.feeds = self.runner.sample(
            batch=self.batch, seed=self.seed, value_range=(self.low, self.high)
        )
        self.feeds_source = "sampled"
        return self.feeds

    def load_npz(self, data: bytes | str | os.PathLike[str], name: str = "upload.npz") -> Any:
        """Use feeds from an ``.npz`` file (a path, or its bytes as an upload gives them)."""
        from ..sampler import Feeds

        if isinstance(data, (bytes, bytearray, memoryview)):
            with tempfile.TemporaryDirectory() as d:
                p = Path(d) / "feeds.npz"
                p.write_bytes(bytes(data))
                feeds = Feeds.load(p)
        else:
            feeds, name = Feeds.load(data), Path(data).name
        feeds = Feeds(self.runner.check_feeds(feeds))
        self.feeds = feeds
        self.feeds_source = name
        return feeds

    def run(self) -> dict[str, Any]:
        """Run once on ``feeds`` (sampled first when there are none); returns the outputs."""
        if self.feeds is None:
            self.sample()
        runner = self.runner
        if not runner.is_active:
            runner.start()
        outputs = runner.infer(self.feeds)
        self.seconds = runner.last_seconds
        self.outputs = outputs
        return outputs

    def output_rows(self) -> list[dict[str, Any]]:
        """One :func:`output_row` per output of the last run (``[]`` before a run)."""
        return [output_row(k, v) for k, v in (self.outputs or {}).items()]

    def feed_rows(self) -> list[dict[str, Any]]:
        """One :func:`output_row` per feed (what will be fed)."""
        return [output_row(k, v) for k, v in (self.feeds or {}).items()]

    def close(self) -> None:
        """Close the v1 session (the next run opens a new one)."""
        if self._runner is not None and self._runner.is_active:
            self._runner.stop()
        self._runner = None

    def code(self) -> str:
        """The explorer API calls that reproduce the last run."""
        args = self.selection.code_args()
        lines = [
            "import explorer",
            "",
            f"model = explorer.load({str(self.model.path)!r})",
            f"runner = explorer.V1Runner(model{', ' + args if args else ''})",
        ]
        if self.feeds_source and self.feeds_source != "sampled":
            lines.append(f"feeds = explorer.Feeds.load({self.feeds_source!r})")
        else:
            lines.append(
                f"feeds = runner.sample(batch={self.batch}, seed={self.seed}, "
                f"value_range=({self.low}, {self.high}))"
            )
        lines += ["with runner:", "    outputs = runner.infer(feeds)"]
        return "\n".join(lines)


class ConverterState(Observable):
    """Convert a model to TF2, save it, and check that the saved folder loads back and agrees.

    Fields: ``selection`` (signatures to convert come from it: its signature, or its
    inputs/outputs as one ``serving_default``; default: every signature), ``freeze``,
    ``out_dir``, ``overwrite``, ``stage`` (what is running now, ``""`` when idle), ``progress``
    (0..1), ``v2`` (the :class:`~explorer.converter.V2Model`), ``saved`` (the folder written),
    ``check`` (signature -> ``ParityReport`` of the loaded-back model against v1).
    """

    FIELDS = (
        "selection",
        "freeze",
        "out_dir",
        "overwrite",
        "stage",
        "progress",
        "v2",
        "saved",
        "check",
    )
    WIDGET = "converter_view:Converter"

    def __init__(self, model: Any, selection: Selection | None = None, out_dir: str = "") -> None:
        super().__init__()
        self.model = _load(model)
        self.selection = selection or Selection()
        self.freeze = False
        self.out_dir = out_dir or str(_default_out_dir(self.model))
        self.overwrite = False
        self.stage = ""
        self.progress = 0.0
        self.v2: Any = None
        self.saved: Path | None = None
        self.check: dict[str, Any] | None = None
        self.observe(self._stale, "selection")

    def _stale(self, _: Any = None) -> None:
        self.v2 = None
        self.saved = None
        self.check = None

    def _convert_kwargs(self) -> dict[str, Any]:
        sel = self.selection
        if sel.signature is not None:
            return {"signatures": [sel.signature]}
        if sel.outputs:
            return {"inputs": list(sel.inputs), "outputs": list(sel.outputs)}
        return {}

    def _step(self, stage: str, progress: float) -> None:
        self.stage = stage
        self.progress = progress

    def convert(self) -> Path:
        """Convert (``freeze`` as set) and save to ``out_dir`` (``overwrite`` as set).

        Returns the folder written. Raises ``ConversionError``/``OutputExistsError`` with the fix.
        """
        from ..converter import convert

        if not self.out_dir.strip():
            raise ConversionError("no output folder given: type a folder to write the TF2 model")
        self.check = None
        try:
            self._step("converting", 0.1)
            self.v2 = convert(self.model, freeze=self.freeze, **self._convert_kwargs())
            self._step("saving", 0.6)
            self.saved = self.v2.save(self.out_dir, overwrite=self.overwrite)
            self._step("", 1.0)
        except BaseException:
            self._step("", 0.0)
            raise
        return self.saved

    def load_back(self, batch: int = 2, seed: int = 0) -> dict[str, Any]:
        """Load the saved folder with plain TensorFlow and compare each signature with v1 on
        sampled feeds; returns signature -> ``ParityReport`` (also in ``check``)."""
        from ..comparison import compare
        from ..runners import V1Runner
        from ..runners_v2 import V2Runner

        if self.saved is None:
            raise ConversionError("nothing saved yet: press convert first")
        out: dict[str, Any] = {}
        names = list(self.v2.signatures)
        try:
            for i, name in enumerate(names):
                self._step(f"loading back {name}", (i + 0.5) / len(names))
                custom = self.selection.signature is None and self.selection.outputs
                v1_kwargs = (
                    self.selection.kwargs()
                    if custom or name not in self.model.signatures
                    else {"signature": name}
                )
                with (
                    V1Runner(self.model, **v1_kwargs) as r1,
                    V2Runner(self.saved, signature=name) as r2,
                ):
                    feeds = r1.sample(batch=batch, seed=seed)
                    ins = _key_map(r1.input_specs, r2.input_specs)
                    outs = _key_map(r1.output_specs, r2.output_specs)
                    a = r1.infer(feeds)
                    b = r2.infer({ins[k]: v for k, v in feeds.items() if k in ins})
                out[name] = compare(a, {k: b[outs[k]] for k in a if k in outs}, name=name)
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
            res = (
                ""
                if self.check is None or name not in self.check
                else ("same outputs" if self.check[name].passed else self.check[name].status)
            )
            rows.append([name, ", ".join(sig.inputs), ", ".join(sig.outputs), res])
        return rows

    def code(self) -> str:
        """The explorer API calls that reproduce the conversion and the check."""
        kwargs = self._convert_kwargs()
        args = "".join(f", {k}={v!r}" for k, v in kwargs.items())
        if self.freeze:
            args += ", freeze=True"
        lines = [
            "import explorer",
            "",
            f"model = explorer.load({str(self.model.path)!r})",
            f"v2 = explorer.convert(model{args})",
            f"out = v2.save({self.out_dir!r}{', overwrite=True' if self.overwrite else ''})",
            "# load it back with plain TensorFlow:",
            "import tensorflow as tf",
            "loaded = tf.saved_model.load(str(out))",
        ]
        return "\n".join(lines)


def _default_out_dir(model: Any) -> Path:
    src = Path(model.path)
    base = src if src.is_dir() else src.parent
    return base.parent / f"{base.name}_tf2"


def _key_map(v1_specs: dict[str, Any], v2_specs: dict[str, Any]) -> dict[str, str]:
    """v1 key -> v2 key: the same key (signatures), else the same source tensor (a run by tensor
    names keys v1 by ``op:idx`` while the converted signature keys it by op name)."""
    by_tensor = {s.name: k for k, s in v2_specs.items()}
    out = {}
    for k, spec in v1_specs.items():
        if k in v2_specs:
            out[k] = k
        elif spec.name in by_tensor:
            out[k] = by_tensor[spec.name]
    return out


class ParityState(Observable):
    """Parity of a model with its TF2 conversion, and where the two first diverge.

    Fields: ``v2`` (a ``V2Model`` or saved folder; ``None`` until converted), ``signature``
    (the one to compare, ``None`` for all), ``inputs``/``outputs`` (tensor names: with
    ``outputs`` and no ``signature``, that custom choice is compared, against a v2 converted
    with the same inputs/outputs), ``batches``, ``seed``, ``atol``, ``rtol``, ``summary`` (the
    ``ParitySummary`` of :meth:`run`), ``divergence`` (the ``Divergence`` of
    :meth:`find_divergence`), ``shown`` (the signature whose report is shown).
    """

    FIELDS = (
        "v2",
        "signature",
        "inputs",
        "outputs",
        "batches",
        "seed",
        "atol",
        "rtol",
        "summary",
        "divergence",
        "shown",
    )
    WIDGET = "parity_view:ParityView"

    def __init__(
        self,
        model: Any,
        v2: Any = None,
        signature: str | None = None,
        inputs: tuple[str, ...] = (),
        outputs: tuple[str, ...] = (),
    ) -> None:
        from ..comparison import DEFAULT_ATOL, DEFAULT_RTOL

        super().__init__()
        self.model = _load(model)
        self.v2 = v2
        self.signature = signature
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self.batches = 2
        self.seed = 0
        self.atol = DEFAULT_ATOL
        self.rtol = DEFAULT_RTOL
        self.summary: Any = None
        self.divergence: Any = None
        self.shown: str | None = None
        self.observe(self._stale, ("v2", "signature", "inputs", "outputs"))

    def _stale(self, _: Any = None) -> None:
        self.summary = None
        self.divergence = None
        self.shown = None

    def _custom(self) -> dict[str, Any]:
        """``inputs=``/``outputs=`` keywords for a custom choice; ``{}`` for signatures."""
        if self.signature is None and self.outputs:
            return {"inputs": list(self.inputs), "outputs": list(self.outputs)}
        return {}

    def _v1_kwargs(self) -> dict[str, Any]:
        """``V1Runner``/``first_divergence`` keywords for the report shown."""
        custom = self._custom()
        if custom:
            return custom
        name = self.shown or self.signature
        return {"signature": name} if name in self.model.signatures else {}

    def _need_v2(self) -> Any:
        from ..errors import ParityError

        if self.v2 is None:
            raise ParityError("nothing to compare with yet: convert the model first")
        return self.v2

    def run(self) -> Any:
        """``explorer.parity`` over ``batches`` sampled batches; returns the ``ParitySummary``."""
        from ..comparison import parity

        self.summary = parity(
            self.model,
            self._need_v2(),
            signatures=None if self._custom() else self.signature,
            batches=self.batches,
            seed=self.seed,
            atol=self.atol,
            rtol=self.rtol,
            **self._custom(),
        )
        self.shown = next(iter(self.summary.reports))
        return self.summary

    def find_divergence(self) -> Any:
        """``explorer.first_divergence`` on one sampled batch of the shown signature (or of the
        custom inputs/outputs)."""
        from ..comparison import first_divergence
        from ..runners import V1Runner

        v2 = self._need_v2()
        kwargs = self._v1_kwargs()
        feeds = V1Runner(self.model, **kwargs).sample(batch=1, seed=self.seed)
        self.divergence = first_divergence(
            self.model, v2, feeds, atol=self.atol, rtol=self.rtol, **kwargs
        )
        return self.divergence

    def report(self) -> Any:
        """The ``ParityReport`` shown (``None`` before :meth:`run`)."""
        if self.summary is None or self.shown is None:
            return None
        return self.summary.reports[self.shown]

    def rows(self) -> list[dict[str, Any]]:
        """Per signature and output: ``signature, output, status, max_abs, max_rel, mismatch``."""
        if self.summary is None:
            return []
        return [
            {
                "signature": name,
                "output": key,
                "status": rec.status,
                "max_abs": rec.max_abs,
                "max_rel": rec.max_rel,
                "mismatch": rec.mismatch_fraction,
            }
            for name, rep in self.summary.reports.items()
            for key, rec in rep.outputs.items()
        ]

    def figures(self) -> dict[str, Any]:
        """``explorer.plots.report_figures`` of the shown report (``{}`` before a run)."""
        from ..plots import report_figures

        rep = self.report()
        return {} if rep is None else report_figures(rep)

    def op_errors(self) -> dict[str, float | None]:
        """Op name -> max abs error of its first compared output, from the divergence result."""
        if self.divergence is None:
            return {}
        out: dict[str, float | None] = {}
        for step in self.divergence.steps:
            out.setdefault(step.tensor.split(":")[0], step.max_abs)
        return out

    def divergence_svg(self, hops: int = 2) -> str:
        """The first diverging op's neighbourhood (the last compared op when none diverged), ops
        coloured by their error; ``""`` before :meth:`find_divergence`."""
        from .graph_svg import render_svg

        d = self.divergence
        if d is None or not d.steps:
            return ""
        center = d.op or d.steps[-1].tensor.split(":")[0]
        sub = self.model.catalog().neighbours(center, up=hops, down=1, limit=40)
        title = (
            f"first divergence at {center} ({d.step.op_type})"
            if d.found
            else f"no divergence: every shared tensor agrees (around {center})"
        )
        errors = self.op_errors()
        return render_svg(
            [(n.name, n.type) for n in sub.nodes],
            [(e.src, e.dst) for e in sub.edges],
            selected=center,
            values={n.name: errors.get(n.name) for n in sub.nodes},
            title=title,
        )

    def code(self) -> str:
        """The explorer API calls that reproduce the comparison."""
        v2 = self.v2
        v2_src = repr(str(v2)) if isinstance(v2, (str, Path)) else "v2  # the converted V2Model"
        custom = self._custom()
        sig = "".join(f", {k}={v!r}" for k, v in custom.items())
        if not custom and self.signature:
            sig = f", signatures={self.signature!r}"
        lines = [
            "import explorer",
            "",
            f"model = explorer.load({str(self.model.path)!r})",
            f"v2 = {v2_src}",
            f"summary = explorer.parity(model, v2{sig}, batches={self.batches}, "
            f"seed={self.seed}, atol={self.atol}, rtol={self.rtol})",
        ]
        if self.divergence is not None:
            kw = "".join(f", {k}={v!r}" for k, v in self._v1_kwargs().items())
            lines += [
                f"feeds = explorer.V1Runner(model{kw}).sample(batch=1, seed={self.seed})",
                f"div = explorer.first_divergence(model, v2, feeds{kw})",
            ]
        return "\n".join(lines)


STEPS = ("browse", "pick", "run", "convert", "compare")


class WizardState(Observable):
    """The five steps of a migration sharing one model and one choice of inputs and outputs.

    Holds ``browser`` (:class:`~explorer.widgets.state.BrowserState`), ``picker``
    (:class:`~explorer.widgets.state.PickerState`), ``runner`` (:class:`RunnerState`),
    ``converter`` (:class:`ConverterState`) and ``parity`` (:class:`ParityState`). The picker's
    choice flows to the runner, converter and parity states; the converter's saved folder to
    parity. Field ``step`` is the index of the step shown (``STEPS``).

    Args:
        model: a ``V1Model`` or a path for ``explorer.load``.
        out_dir: where the converter writes (default: beside the model, ``<name>_tf2``).
    """

    FIELDS = ("step",)
    WIDGET = "wizard:MigrationWizard"

    def __init__(self, model: Any, out_dir: str = "") -> None:
        from .state import BrowserState, PickerState

        super().__init__()
        self.model = _load(model)
        self.step = 0
        self.browser = BrowserState(self.model)
        self.picker = PickerState(self.model)
        sel = self.picker.value
        self.runner = RunnerState(self.model, sel)
        self.converter = ConverterState(self.model, sel, out_dir=out_dir)
        self.parity = ParityState(self.model, signature=sel.signature)
        self.picker.observe(self._choice, ("signature", "inputs", "outputs"))
        self.converter.observe(self._converted, "saved")

    def _choice(self, _: Any = None) -> None:
        sel = self.picker.value
        self.runner.selection = sel
        self.converter.selection = sel
        # a custom choice is compared as such (the converter made only its serving_default)
        custom = sel.signature is None and bool(sel.outputs)
        self.parity.signature = sel.signature
        self.parity.inputs = sel.inputs if custom else ()
        self.parity.outputs = sel.outputs if custom else ()

    def _converted(self, change: Any) -> None:
        self.parity.v2 = change.new

    def use_selected(self, side: str) -> None:
        """Add the browser's selected op (its output 0) to the picker's ``inputs``/``outputs``."""
        from ..errors import TensorNotFoundError

        if self.browser.selected is None:
            raise TensorNotFoundError("no op selected in the browser: select one first")
        name = f"{self.browser.selected}:0"
        if side == "inputs":
            self.picker.add_input(name)
        elif side == "outputs":
            self.picker.add_output(name)
        else:
            raise ValueError(f"side must be 'inputs' or 'outputs', not {side!r}")

    def code(self) -> str:
        """The explorer API calls for every step done so far, as one script."""
        parts = [self.picker.code()]
        if self.runner.outputs is not None:
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
