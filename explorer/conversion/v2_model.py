"""What :func:`explorer.convert` gives: :class:`V2Model` (one :class:`ConvertedSignature` per
signature) and its atomic save to a TF2 SavedModel plain ``tf.saved_model.load`` opens."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer._tf import tf
from explorer.errors import ConversionError, ExplorerError, FeedError, first_line
from explorer.feeding.feeds import key_mismatch
from explorer.graph.specs import TensorSpec
from explorer.loading.model import V1Model, pick_signature
from explorer.output_policy import staged_folder

if TYPE_CHECKING:
    import tensorflow as tf_types

META_FILE = "tf1_explorer.json"  # written under <out_dir>/assets.extra/
_SPEC_FIELDS = ("inputs", "outputs", "source_inputs", "source_outputs")
_PART_FIELDS = ("input_parts", "output_parts")


@dataclasses.dataclass(frozen=True)
class ConvertedSignature:
    """One converted signature: ``inputs``/``outputs``: flat TF2 key -> spec (``name``: the
    source tensor); ``input_parts``/``output_parts``: source key -> its TF2 keys (three for a
    sparse tensor); ``computed_inputs``: source keys the function computes (duplicate tensors);
    ``source_inputs``/``source_outputs``: source key -> spec, the keys ``V2Runner`` takes and
    returns as ``V1Runner`` does; ``method``: the SignatureDef's (``""`` when synthesised)."""

    name: str
    method: str
    inputs: dict[str, TensorSpec]
    outputs: dict[str, TensorSpec]
    input_parts: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    output_parts: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    computed_inputs: tuple[str, ...] = ()
    source_inputs: dict[str, TensorSpec] = dataclasses.field(default_factory=dict)
    source_outputs: dict[str, TensorSpec] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"method": self.method, "computed_inputs": list(self.computed_inputs)}
        for f in _SPEC_FIELDS:
            out[f] = {k: v.to_json() for k, v in getattr(self, f).items()}
        for f in _PART_FIELDS:
            out[f] = {k: list(v) for k, v in getattr(self, f).items()}
        return out

    @classmethod
    def from_json(cls, name: str, d: Mapping[str, Any]) -> ConvertedSignature:
        def spec(v: Mapping[str, Any]) -> TensorSpec:
            shape = None if v["shape"] is None else tuple(v["shape"])
            parts = tuple(v.get("components", ()))
            return TensorSpec(v["name"], v["dtype"], shape, v.get("kind", "dense"), parts)

        specs = {f: {k: spec(v) for k, v in d.get(f, {}).items()} for f in _SPEC_FIELDS}
        parts = {f: {k: tuple(v) for k, v in d.get(f, {}).items()} for f in _PART_FIELDS}
        computed = tuple(d.get("computed_inputs", ()))
        return cls(name, d.get("method", ""), **specs, **parts, computed_inputs=computed)


class V2Model:
    """A TF1 model (``source``) converted to TF2 functions; :meth:`save` writes a SavedModel.

    ``functions``: signature name -> ``ConcreteFunction`` taking the inputs positionally in
    ``signatures[name].inputs`` order; ``variables``: the lifted variables (none when
    ``frozen``); ``wrapped_function``: the ``wrap_function`` of the whole rewritten graph (v1 op
    names, restored and initialised) every signature is pruned from: prune it with other fetches
    to read intermediate tensors, as ``first_divergence`` does.
    """

    def __init__(
        self,
        source: V1Model,
        signatures: dict[str, ConvertedSignature],
        functions: dict[str, tf_types.types.experimental.ConcreteFunction],
        root: tf_types.Module,
        variables: list[tf_types.Variable],
        frozen: bool,
        wrapped_function: tf_types.types.experimental.ConcreteFunction | None = None,
    ) -> None:
        self.source = source
        self.signatures = signatures
        self.functions = functions
        self.variables = variables
        self.frozen = frozen
        self.wrapped_function = wrapped_function
        self._root = root
        self.extra_meta: dict[str, Any] = {}  # more of tf1_explorer.json (a TF1 Hub module's)

    def __repr__(self) -> str:
        return (
            f"V2Model({self.source.path}, signatures={list(self.signatures)}, "
            f"variables={len(self.variables)}, frozen={self.frozen})"
        )

    def signature(self, name: str | None = None) -> ConvertedSignature:
        """The named signature; without a name ``serving_default``, ``default`` or the only one."""
        return pick_signature(self.signatures, name, f"converted {self.source.path}")

    def __call__(self, signature: str | None = None, /, **feeds: Any) -> dict[str, Any]:
        """Run a signature: keyword feeds (TF2 input keys) -> ``{output key: tf.Tensor}``."""
        sig = self.signature(signature)
        mismatch = key_mismatch(sig.inputs, feeds)
        if mismatch:
            raise FeedError(
                f"signature {sig.name!r} takes {', '.join(sig.inputs) or 'no inputs'}; {mismatch}"
            )
        fn = self.functions[sig.name]
        args = [tf().convert_to_tensor(feeds[k], dtype=sig.inputs[k].dtype) for k in sig.inputs]
        return fn(*args)

    def summary(self, output_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
        """The ``convert --json`` object: output_dir, signatures, variables, frozen."""
        return {
            "output_dir": None if output_dir is None else str(output_dir),
            "signatures": sorted(self.signatures),
            "variables": len(self.variables),
            "frozen": self.frozen,
        }

    def save(self, out_dir: str | os.PathLike[str], overwrite: bool = False) -> Path:
        """Write a TF2 SavedModel to ``out_dir`` (staged, then renamed into place: no partial
        output; an existing one replaced only with ``overwrite``); returns the folder.
        ``assets.extra/tf1_explorer.json`` records the key mapping for ``V2Runner``.

        Raises:
            OutputExistsError: ``out_dir`` exists and ``overwrite`` is false.
            ConversionError: it is inside a SavedModel folder, is or holds one of the model's
                files (see :mod:`explorer.output_policy`), or writing failed.
        """
        with staged_folder(out_dir, self.source, overwrite, "TF2 SavedModel") as staging:
            try:
                sigs = {name: self._root.signature_fns[name] for name in self.signatures}
                tf().saved_model.save(self._root, str(staging.path), signatures=sigs)
                extra = staging.path / "assets.extra"
                extra.mkdir(exist_ok=True)
                (extra / META_FILE).write_text(json.dumps(self._meta(), indent=1))
            except Exception as e:
                if isinstance(e, ExplorerError):
                    raise
                raise ConversionError(
                    f"writing the TF2 SavedModel of {self.source.path} to "
                    f"{staging.target} failed: {first_line(e)}"
                ) from None
            return staging.publish()

    def _meta(self) -> dict[str, Any]:
        """What ``assets.extra/tf1_explorer.json`` records (:func:`read_meta` reads it back)."""
        return {
            "source": str(self.source.path),
            "frozen": self.frozen,
            "variables": len(self.variables),
            "signatures": {k: s.to_json() for k, s in self.signatures.items()},
            **self.extra_meta,
        }


def spec_of(name: str, t: tf_types.Tensor | tf_types.TensorSpec) -> TensorSpec:
    """The spec of a TF tensor (or ``tf.TensorSpec``) under ``name``."""
    shape = None if t.shape.rank is None else tuple(t.shape.as_list())
    return TensorSpec(name, t.dtype.base_dtype.name, shape)


def loaded_signature(
    loaded: Any, name: str | None, where: object
) -> tuple[tf_types.types.experimental.ConcreteFunction, ConvertedSignature]:
    """Signature ``name`` of a loaded SavedModel (see ``pick_signature``), its specs read off it."""
    fn = pick_signature(dict(loaded.signatures), name, where)
    key = next(k for k, v in loaded.signatures.items() if v is fn)
    inputs = {k: spec_of(k, s) for k, s in sorted(fn.structured_input_signature[1].items())}
    outputs = {k: spec_of(k, s) for k, s in sorted(fn.structured_outputs.items())}
    return fn, ConvertedSignature(key, "", inputs, outputs)


def read_meta(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The record :meth:`V2Model.save` wrote into a SavedModel folder (``None`` for other
    SavedModels, or when it cannot be read)."""
    f = Path(folder) / "assets.extra" / META_FILE
    try:
        return json.loads(f.read_text()) if f.is_file() else None
    except (OSError, ValueError):
        return None
