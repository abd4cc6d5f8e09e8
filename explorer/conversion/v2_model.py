"""What :func:`explorer.convert` gives: :class:`V2Model`, one :class:`ConvertedSignature` per
signature, and its atomic save to a TF2 SavedModel that plain ``tf.saved_model.load`` opens.
"""

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


@dataclasses.dataclass(frozen=True)
class ConvertedSignature:
    """One converted signature: its flat TF2 inputs/outputs and how they map to the source.

    Attributes:
        name: signature key (the source's, ``/`` included).
        method: the source SignatureDef method name (``""`` when synthesised).
        inputs: TF2 input key -> spec (``name`` is the source graph tensor).
        outputs: TF2 output key -> spec.
        input_parts / output_parts: source key -> its TF2 keys (one for a dense tensor; three,
            indices, values, dense_shape, for a sparse one).
        computed_inputs: source input keys the function computes instead of taking (duplicate
            signature tensors).
        source_inputs / source_outputs: source key -> spec (sparse ones with their components),
            the keys ``V2Runner`` takes and returns, as ``V1Runner`` does.
    """

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
        return {
            "method": self.method,
            "inputs": {k: v.to_json() for k, v in self.inputs.items()},
            "outputs": {k: v.to_json() for k, v in self.outputs.items()},
            "input_parts": {k: list(v) for k, v in self.input_parts.items()},
            "output_parts": {k: list(v) for k, v in self.output_parts.items()},
            "computed_inputs": list(self.computed_inputs),
            "source_inputs": {k: v.to_json() for k, v in self.source_inputs.items()},
            "source_outputs": {k: v.to_json() for k, v in self.source_outputs.items()},
        }

    @classmethod
    def from_json(cls, name: str, d: Mapping[str, Any]) -> ConvertedSignature:
        def specs(x: Mapping[str, Any]) -> dict[str, TensorSpec]:
            return {
                k: TensorSpec(
                    v["name"],
                    v["dtype"],
                    None if v["shape"] is None else tuple(v["shape"]),
                    v.get("kind", "dense"),
                    tuple(v.get("components", ())),
                )
                for k, v in x.items()
            }

        return cls(
            name=name,
            method=d.get("method", ""),
            inputs=specs(d["inputs"]),
            outputs=specs(d["outputs"]),
            input_parts={k: tuple(v) for k, v in d.get("input_parts", {}).items()},
            output_parts={k: tuple(v) for k, v in d.get("output_parts", {}).items()},
            computed_inputs=tuple(d.get("computed_inputs", ())),
            source_inputs=specs(d.get("source_inputs", {})),
            source_outputs=specs(d.get("source_outputs", {})),
        )


class V2Model:
    """A TF1 model converted to TF2 functions; :meth:`save` writes it as a TF2 SavedModel.

    Attributes:
        source: the :class:`V1Model` it came from.
        signatures: signature name -> :class:`ConvertedSignature`.
        functions: signature name -> ``ConcreteFunction`` taking the inputs positionally in
            ``signatures[name].inputs`` order (what :meth:`__call__` and ``V2Runner`` call).
        variables: the lifted ``tf.Variable`` objects (empty when frozen).
        frozen: whether variables were folded into constants.
        wrapped_function: the ``tf.compat.v1.wrap_function`` every signature is pruned from:
            the whole rewritten graph with the v1 op names, its variables restored and its
            tables initialised (``None`` for a V2Model built by hand). Prune it with other
            fetches to read intermediate tensors, as ``first_divergence`` does.
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
        """Write a TF2 SavedModel to ``out_dir``; returns the folder.

        Written to a temporary folder beside ``out_dir`` and renamed into place, so a failure
        leaves no partial output and an existing ``out_dir`` is replaced only with
        ``overwrite=True``. The folder loads with plain ``tf.saved_model.load(out_dir)``; each
        signature is ``loaded.signatures[name](**feeds)``. ``assets.extra/tf1_explorer.json``
        records the key mapping (``V2Runner`` reads it; TensorFlow ignores it).

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


def read_meta(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The record :meth:`V2Model.save` wrote into a SavedModel folder (``None`` for other
    SavedModels, or when it cannot be read)."""
    f = Path(folder) / "assets.extra" / META_FILE
    try:
        return json.loads(f.read_text()) if f.is_file() else None
    except (OSError, ValueError):
        return None
