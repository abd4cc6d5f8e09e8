"""The TF2 side of the one runner shape: :class:`V2Runner` runs a converted signature with the
interface and keys of :class:`~explorer.V1Runner` (sparse values as ``SparseValue``), over a
:class:`~explorer.V2Model`'s ``tf.function`` or a saved folder's signature (key mapping from
``assets.extra/tf1_explorer.json``, else from the signature: any TF2 SavedModel runs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer._tf import tf
from explorer.conversion.v2_model import ConvertedSignature, V2Model, loaded_signature, read_meta
from explorer.errors import ModelNotFoundError, SessionError, first_line
from explorer.feeding.feeds import DEFAULT_MAX_BYTES, Feeds, SparseValue
from explorer.feeding.sampling import sample
from explorer.graph.specs import TensorSpec
from explorer.loading.model import pick_signature
from explorer.running.base import Runner
from explorer.running.deadline import bounded
from explorer.running.session import RUN_FIX, fed_text

if TYPE_CHECKING:
    import tensorflow as tf_types

_DENSE = TensorSpec("", "", None)


class V2Runner(Runner):
    """Runs ``signature`` (default ``serving_default`` or the only one) of a
    :class:`~explorer.V2Model` or a TF2 SavedModel folder; every input must be fed; feeds above
    ``max_bytes`` are refused."""

    name = "v2"

    def __init__(
        self,
        model: V2Model | str | os.PathLike[str],
        *,
        signature: str | None = None,
        max_bytes: int | None = DEFAULT_MAX_BYTES,
    ) -> None:
        super().__init__(max_bytes=max_bytes)
        self.v2_model: V2Model | None = None
        self.path: Path | None = None
        self._loaded: Any = None  # what tf.saved_model.load gave
        self._fn: tf_types.types.experimental.ConcreteFunction | None = None
        self.converted: ConvertedSignature | None = None  # without a record: read in _start
        if isinstance(model, V2Model):
            self.v2_model = model
            self.converted = model.signature(signature)
        else:
            self.path = Path(model).expanduser().resolve()
            if not (self.path / "saved_model.pb").is_file():
                raise ModelNotFoundError(
                    f"{self.path} is not a TF2 SavedModel folder (no saved_model.pb): give "
                    "V2Model.save's output folder or a V2Model"
                )
            meta = read_meta(self.path)
            if meta is not None:
                sigs = {
                    k: ConvertedSignature.from_json(k, d) for k, d in meta["signatures"].items()
                }
                self.converted = pick_signature(sigs, signature, self.path)
        self.signature_name = self.converted.name if self.converted else signature

    @property
    def input_specs(self) -> dict[str, TensorSpec]:
        self._need_specs()
        c = self.converted
        return {k: s for k, s in c.source_inputs.items() if k not in c.computed_inputs} or dict(
            c.inputs
        )

    @property
    def output_specs(self) -> dict[str, TensorSpec]:
        self._need_specs()
        return dict(self.converted.source_outputs) or dict(self.converted.outputs)

    def _need_specs(self) -> None:
        if self.converted is None:
            self.start()

    def sample(self, batch: int = 1, seed: int = 0, **kwargs: Any) -> Feeds:
        """:func:`explorer.sample` for this runner's inputs (needs the source model: a V2Model)."""
        if self.v2_model is None:
            raise SessionError(
                f"{self.path} is a saved folder without its TF1 source: sample feeds with "
                "explorer.sample(v1_model, ...) or V1Runner.sample"
            )
        return sample(self.v2_model.source, self.input_specs, batch=batch, seed=seed, **kwargs)

    def _start(self) -> None:
        if self.v2_model is not None:
            self._fn = self.v2_model.functions[self.converted.name]
            return
        try:
            self._loaded = bounded(
                lambda: tf().saved_model.load(str(self.path)), None, "loading it", self.path
            )
        except SessionError:
            raise
        except Exception as e:  # noqa: BLE001 - any load failure is reported the same way
            raise SessionError(
                f"tf.saved_model.load({self.path}) failed: {first_line(e, 200)}"
            ) from None
        if self.converted is None:
            _, self.converted = loaded_signature(self._loaded, self.signature_name, self.path)
            self.signature_name = self.converted.name
        self._fn = self._loaded.signatures[self.converted.name]

    def _stop(self) -> None:
        self._fn = None
        self._loaded = None

    def _run(self, feeds: dict[str, Any]) -> dict[str, Any]:
        c = self.converted
        flat: dict[str, Any] = {}
        for key, value in feeds.items():
            parts = c.input_parts.get(key, (key,))
            if len(parts) == 1:
                flat[parts[0]] = value
            else:
                flat.update(zip(parts, value))
        raw = self._call(c, flat)
        parts_of = c.output_parts or {k: (k,) for k in c.outputs}
        out: dict[str, Any] = {}
        for key, parts in parts_of.items():
            if len(parts) == 3 and c.source_outputs.get(key, _DENSE).kind == "sparse":
                out[key] = SparseValue(*(np.asarray(raw[p]) for p in parts))
            else:
                out[key] = np.asarray(raw[parts[0]])
        return out

    def _call(self, c: ConvertedSignature, flat: dict[str, Any]) -> Any:
        """The signature's call on flat TF2 inputs: ``{TF2 output key: value}``."""
        args = [tf().convert_to_tensor(flat[k], dtype=s.dtype) for k, s in c.inputs.items()]
        fn = self._fn
        where = self.path or self.v2_model.source.path
        by_key = self.v2_model is None  # a loaded signature takes keywords, a tf.function positions
        try:
            call = (lambda: fn(**dict(zip(c.inputs, args)))) if by_key else (lambda: fn(*args))
            return bounded(call, None, f"signature {c.name!r}", where)
        except (tf().errors.OpError, ValueError, TypeError) as e:
            where = f" ({self.path})" if self.path else ""
            fed = fed_text(dict(zip(c.inputs, (flat[k] for k in c.inputs))))
            raise SessionError(
                f"signature {c.name!r}{where} failed: {first_line(e)}; fed {fed}: {RUN_FIX}"
            ) from None
