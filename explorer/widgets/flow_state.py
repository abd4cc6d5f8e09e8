"""State objects behind the run and convert views (compare: ``parity_state.py``; the wizard that
chains them all: ``wizard_state.py``).

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
