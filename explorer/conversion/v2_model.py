"""What :func:`explorer.convert` gives: :class:`V2Model` (a :class:`ConvertedSignature` each), saved
atomically as a TF2 SavedModel; :class:`V2Runner` runs one with :class:`~explorer.V1Runner`'s
interface and keys (a saved folder's from ``assets.extra/tf1_explorer.json``, else its own)."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer._tf import tf
from explorer.errors import (
    ConversionError,
    ExplorerError,
    FeedError,
    ModelNotFoundError,
    SessionError,
    first_line,
)
from explorer.feeding.feeds import DEFAULT_MAX_BYTES, Feeds, SparseValue, key_mismatch
from explorer.feeding.sampling import sample
from explorer.graph.op_families import THREADED_OPS
from explorer.graph.runtime import all_nodes
from explorer.graph.specs import TensorSpec, spec_of
from explorer.loading.isolation import graph_element
from explorer.loading.model import V1Model, pick_signature
from explorer.output_policy import staged_folder
from explorer.running.base import Runner
from explorer.running.deadline import bounded
from explorer.running.session import RUN_FIX, fed_text

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

    def to_json(self) -> dict[str, Any]:  # the name is the key it is stored under
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "name"}

    @classmethod
    def from_json(cls, name: str, d: Mapping[str, Any]) -> ConvertedSignature:
        def spec(v: Mapping[str, Any]) -> TensorSpec:
            shape = None if v["shape"] is None else tuple(v["shape"])
            kind, parts = v.get("kind", "dense"), tuple(v.get("components", ()))
            return TensorSpec(v["name"], v["dtype"], shape, kind, parts)

        specs = {f: {k: spec(v) for k, v in d.get(f, {}).items()} for f in _SPEC_FIELDS}
        parts = {f: {k: tuple(v) for k, v in d.get(f, {}).items()} for f in _PART_FIELDS}
        computed = tuple(d.get("computed_inputs", ()))
        return cls(name, d.get("method", ""), **specs, **parts, computed_inputs=computed)


@dataclasses.dataclass(eq=False)
class V2Model:
    """A TF1 model (``source``) converted to TF2 functions; :meth:`save` writes a SavedModel.
    ``functions``: signature name -> ``ConcreteFunction`` taking the inputs positionally in
    ``signatures[name].inputs`` order; ``variables``: the lifted variables (none when ``frozen``);
    ``wrapped_function``: the restored, initialised ``wrap_function`` of the whole rewritten graph
    (v1 op names) each signature is pruned from (``first_divergence`` prunes other fetches)."""

    source: V1Model
    signatures: dict[str, ConvertedSignature]
    functions: dict[str, tf_types.types.experimental.ConcreteFunction]
    _root: tf_types.Module
    variables: list[tf_types.Variable]
    frozen: bool
    wrapped_function: tf_types.types.experimental.ConcreteFunction | None = None
    # more of tf1_explorer.json (a TF1 Hub module's)
    extra_meta: dict[str, Any] = dataclasses.field(default_factory=dict, init=False)

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
        if mismatch := key_mismatch(sig.inputs, feeds):
            raise FeedError(
                f"signature {sig.name!r} takes {', '.join(sig.inputs) or 'no inputs'}; {mismatch}"
            )
        args = [tf().convert_to_tensor(feeds[k], dtype=sig.inputs[k].dtype) for k in sig.inputs]
        return self.functions[sig.name](*args)

    def summary(self, output_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
        """The ``convert --json`` object: output_dir, signatures, variables, frozen."""
        return {
            "output_dir": None if output_dir is None else str(output_dir),
            "signatures": sorted(self.signatures),
            "variables": len(self.variables),
            "frozen": self.frozen,
        }

    def save(self, out_dir: str | os.PathLike[str], overwrite: bool = False) -> Path:
        """Write a TF2 SavedModel to ``out_dir`` (all or nothing, see :mod:`explorer.output_policy`;
        an existing one replaced only with ``overwrite``: else OutputExistsError); returns the
        folder. ``assets.extra/tf1_explorer.json`` records the key mapping for ``V2Runner``."""
        meta = {  # read back by read_meta
            "source": str(self.source.path),
            "frozen": self.frozen,
            "variables": len(self.variables),
            "signatures": {k: s.to_json() for k, s in self.signatures.items()},
            **self.extra_meta,
        }
        with staged_folder(out_dir, self.source, overwrite, "TF2 SavedModel") as staging:
            try:
                sigs = {name: self._root.signature_fns[name] for name in self.signatures}
                tf().saved_model.save(self._root, str(staging.path), signatures=sigs)
                extra = staging.path / "assets.extra"
                extra.mkdir(exist_ok=True)
                (extra / META_FILE).write_text(json.dumps(meta, indent=1))
            except Exception as e:
                if isinstance(e, ExplorerError):
                    raise
                raise ConversionError(
                    f"writing the TF2 SavedModel of {self.source.path} to "
                    f"{staging.target} failed: {first_line(e)}"
                ) from None
            return staging.publish()


def variable_read(graph: tf_types.Graph, t: tf_types.Tensor) -> tf_types.Tensor:
    """The value of resource variable handle ``t``: its ``explorer_fetch`` read, made once."""
    name = f"{t.op.name}/explorer_fetch"
    read = graph_element(graph, name)
    if read is not None and read.type == "ReadVariableOp" and read.inputs[0] is t:
        return read.outputs[0]
    with graph.as_default():
        return tf().raw_ops.ReadVariableOp(resource=t, dtype=t.op.get_attr("dtype"), name=name)


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
    """What :meth:`V2Model.save` recorded in ``folder`` (``None``: nothing, or unreadable)."""
    f = Path(folder) / "assets.extra" / META_FILE
    try:
        return json.loads(f.read_text()) if f.is_file() else None
    except (OSError, ValueError):
        return None


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
        self._order: list[str] | None = None  # the flat call's argument keys, in order
        self._executor = ""  # "SINGLE_THREADED_EXECUTOR" where the graph allows it
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
            if (meta := read_meta(self.path)) is not None:
                sigs = {
                    k: ConvertedSignature.from_json(k, d) for k, d in meta["signatures"].items()
                }
                self.converted = pick_signature(sigs, signature, self.path)
        self.signature_name = self.converted.name if self.converted else signature

    @property
    def input_specs(self) -> dict[str, TensorSpec]:
        self._need_specs()
        c = self.converted
        own = {k: s for k, s in c.source_inputs.items() if k not in c.computed_inputs}
        return own or dict(c.inputs)

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
        if self.v2_model is None:
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
        fns = self._loaded.signatures if self.v2_model is None else self.v2_model.functions
        self._fn = fns[self.converted.name]
        self._order, self._executor = _flat_call(self._fn, self.converted)

    def _stop(self) -> None:
        self._fn = self._loaded = self._order = None

    def _run(self, feeds: dict[str, Any]) -> dict[str, Any]:
        c = self.converted
        flat: dict[str, Any] = {}
        for key, value in feeds.items():
            parts = c.input_parts.get(key, (key,))
            flat.update({parts[0]: value} if len(parts) == 1 else zip(parts, value))
        raw = self._call(c, flat)
        out: dict[str, Any] = {}
        for key, parts in (c.output_parts or {k: (k,) for k in c.outputs}).items():
            spec = c.source_outputs.get(key)
            sparse = len(parts) == 3 and spec is not None and spec.kind == "sparse"
            arrays = [_numpy(raw[p]) for p in parts]
            out[key] = SparseValue(*arrays) if sparse else arrays[0]
        return out

    def _call(self, c: ConvertedSignature, flat: dict[str, Any]) -> Any:
        """The signature's call on flat TF2 inputs: ``{TF2 output key: value}``."""
        args = {k: _arg(flat[k], s.dtype) for k, s in c.inputs.items()}
        fn, where = self._fn, self.path or self.v2_model.source.path
        by_key = self.v2_model is None  # a loaded signature takes keywords, a tf.function positions
        call = (lambda: fn(**args)) if by_key else (lambda: fn(*args.values()))
        what, fast = f"signature {c.name!r}", self._order is not None
        try:
            if fast:
                try:
                    return bounded(lambda: self._flat(args), None, what, where)
                except tf().errors.OpError:
                    pass  # the checked call says why, in its words; or runs where this did not
            out = bounded(call, None, what, where)
            if fast:  # it ran where the flat call did not: the checked call from now on
                self._order = None
            return out
        except (tf().errors.OpError, ValueError, TypeError) as e:
            where = f" ({self.path})" if self.path else ""
            raise SessionError(
                f"signature {c.name!r}{where} failed: {first_line(e)}; fed {fed_text(args)}",
                RUN_FIX,
            ) from None

    def _flat(self, args: dict[str, Any]) -> Any:
        """The signature's function on ``args`` in its flat order, past the binding and checks
        of its structured call (the v1 session's feed has none either), on the executor chosen."""
        from tensorflow.python.eager import context  # no public way to pick a call's executor

        flat = [args[k] for k in self._order]
        with context.function_executor_type(self._executor):
            return self._fn._call_flat(flat, self._fn.captured_inputs)


def _flat_call(fn: Any, c: ConvertedSignature) -> tuple[list[str] | None, str]:
    """For :meth:`V2Runner._flat`: ``c``'s input keys in ``fn``'s flat argument order (``None``
    where they do not map one to one) and the executor: single-threaded unless ``fn``'s graph holds
    what that executor cannot run. At batch 1 the structured call's binding and the inter-op
    thread pool are most of a small model's time (``benchmarks/bench_latency.py``)."""
    from tensorflow.core.function.polymorphism.function_type import sanitize_arg_name

    names = {sanitize_arg_name(k): k for k in c.inputs}
    keywords = [str(k) for k in getattr(fn, "_arg_keywords", None) or ()]
    if sorted(keywords) != sorted(names) or not hasattr(fn, "_call_flat"):
        return None, ""
    ops = {n.op for n in all_nodes(fn.graph.as_graph_def())}
    return [names[k] for k in keywords], "" if ops & THREADED_OPS else "SINGLE_THREADED_EXECUTOR"


def _arg(value: Any, dtype: str) -> Any:
    """``value`` as a tensor of ``dtype``: an array of that dtype through ``tf.constant``, which
    costs half of ``convert_to_tensor(dtype=)`` and a quarter of the signature's own conversion."""
    if isinstance(value, np.ndarray) and value.dtype.name == dtype:
        return tf().constant(value)
    return tf().convert_to_tensor(value, dtype=dtype)


def _numpy(value: Any) -> np.ndarray:
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)
