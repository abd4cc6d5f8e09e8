"""Step 5 of the flow: convert a :class:`~explorer.loader.V1Model` to TF2.

``convert(model)`` gives a :class:`V2Model`: per signature a ``tf.function`` over the model's graph
pruned to the signature's inputs and outputs, with the variables lifted out as TF2 resource
variables and restored from the checkpoint, tables initialised from the model's assets.
``V2Model.save(out_dir)`` writes a TF2 SavedModel that loads with plain
``tf.saved_model.load(out_dir)`` anywhere (explorer not needed) with the source's signature names
and keys.

How (see ``TF1_PITFALLS.md``): reference variables are rewritten to resource variables
(:mod:`explorer.rewrite`), the graph is imported with :func:`explorer.session.import_into` inside
``tf.compat.v1.wrap_function`` (variables are lifted there), the Saver's restore op and the init
op are pruned out and run once, and each signature is ``WrappedFunction.prune`` wrapped in a
``tf.function`` with a named input signature (a pruned function called directly costs about 12x
``session.run``; through a ``tf.function`` it costs what a loaded SavedModel signature does).
With ``freeze=True`` variables become constants in each signature.

Keys: dense inputs and outputs keep their signature keys. A sparse tensor ``k`` becomes three
tensors ``k_indices``, ``k_values``, ``k_dense_shape`` (TF's own convention for TF1 sparse
inputs; SavedModel signatures take and return plain tensors only). A signature listing one tensor
under several input keys (TFMA's ``labels``) takes only its placeholder inputs and computes the
rest, as ``tf.saved_model.load`` otherwise refuses it.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._tf import tf, tf1
from .errors import (
    ConversionError,
    ExplorerError,
    MissingVariablesError,
    OutputExistsError,
    SignatureNotFoundError,
    TensorNotFoundError,
)
from .loader import V1Model
from .specs import TensorSpec

META_FILE = "tf1_explorer.json"  # written under <out_dir>/assets.extra/
PLACEHOLDER_OPS = frozenset({"Placeholder", "PlaceholderV2", "PlaceholderWithDefault"})
SPARSE_PARTS = ("indices", "values", "dense_shape")
_uid = itertools.count()


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
    """

    def __init__(
        self,
        source: V1Model,
        signatures: dict[str, ConvertedSignature],
        functions: dict[str, Any],
        root: Any,
        variables: list[Any],
        frozen: bool,
    ) -> None:
        self.source = source
        self.signatures = signatures
        self.functions = functions
        self.variables = variables
        self.frozen = frozen
        self._root = root

    def __repr__(self) -> str:
        return (
            f"V2Model({self.source.path}, signatures={list(self.signatures)}, "
            f"variables={len(self.variables)}, frozen={self.frozen})"
        )

    def signature(self, name: str | None = None) -> ConvertedSignature:
        """The named signature; without a name ``serving_default`` or the only one."""
        if name is None:
            if "serving_default" in self.signatures:
                name = "serving_default"
            elif len(self.signatures) == 1:
                name = next(iter(self.signatures))
            else:
                raise SignatureNotFoundError(
                    f"converted {self.source.path} has several signatures: choose one of "
                    f"{', '.join(sorted(self.signatures))}"
                )
        if name not in self.signatures:
            raise SignatureNotFoundError(
                f"signature {name!r} is not in converted {self.source.path}: choose one of "
                f"{', '.join(sorted(self.signatures))}"
            )
        return self.signatures[name]

    def __call__(self, signature: str | None = None, /, **feeds: Any) -> dict[str, Any]:
        """Run a signature: keyword feeds (TF2 input keys) -> ``{output key: tf.Tensor}``."""
        sig = self.signature(signature)
        missing = [k for k in sig.inputs if k not in feeds]
        extra = [k for k in feeds if k not in sig.inputs]
        if missing or extra:
            from .errors import FeedError

            raise FeedError(
                f"signature {sig.name!r} takes {', '.join(sig.inputs) or 'no inputs'}; "
                f"missing: {', '.join(missing) or '-'}, unknown: {', '.join(extra) or '-'}"
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
            ConversionError: it lies inside the source model, or writing failed.
        """
        out = Path(out_dir).expanduser().resolve()
        src = Path(self.source.path)
        src_dir = src if src.is_dir() else src.parent
        if out == src_dir or src_dir in out.parents:
            raise ConversionError(
                f"{out} is inside the source model {src_dir}: choose an output folder elsewhere"
            )
        if out.exists() and not overwrite:
            raise OutputExistsError(
                f"{out} exists: pass overwrite=True (CLI: --overwrite) or choose another folder"
            )
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        try:
            sigs = {name: self._root.signature_fns[name] for name in self.signatures}
            tf().saved_model.save(self._root, str(tmp), signatures=sigs)
            extra = tmp / "assets.extra"
            extra.mkdir(exist_ok=True)
            (extra / META_FILE).write_text(json.dumps(self._meta(), indent=1))
            if out.exists():
                old = out.parent / f".{out.name}.old-{os.getpid()}-{next(_uid)}"
                out.rename(old)
                tmp.rename(out)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(out)
        except ExplorerError:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        except BaseException as e:
            shutil.rmtree(tmp, ignore_errors=True)  # interrupted too: never a partial output
            if not isinstance(e, Exception):
                raise
            raise ConversionError(
                f"writing the TF2 SavedModel of {self.source.path} to {out} failed: "
                f"{_first_line(e)}"
            ) from None
        return out

    def _meta(self) -> dict[str, Any]:
        return {
            "source": str(self.source.path),
            "frozen": self.frozen,
            "variables": len(self.variables),
            "signatures": {k: s.to_json() for k, s in self.signatures.items()},
        }


# -- convert ---------------------------------------------------------------------------------------


def convert(
    model: V1Model | str | os.PathLike[str],
    signatures: Sequence[str] | str | None = None,
    *,
    inputs: Sequence[str] | Mapping[str, str] | None = None,
    outputs: Sequence[str] | Mapping[str, str] | None = None,
    freeze: bool = False,
    allow_unsafe: bool = False,
) -> V2Model:
    """Convert a TF1 model to TF2 functions.

    Args:
        model: a :class:`V1Model` or a path for ``explorer.load``.
        signatures: signature names to convert (default: all). Not with ``inputs``/``outputs``.
        inputs: tensor names (``x:0``) or key -> name; with ``outputs`` they make one
            ``serving_default`` signature whose keys default to the op names (``x``).
        outputs: tensor names or key -> name.
        freeze: fold variables into constants (stateless signatures only).
        allow_unsafe: convert a model holding file-system or PyFunc ops (its restore and init
            run during conversion, and the TF2 functions keep those ops).

    A model without signatures and without ``inputs``/``outputs`` gets a ``serving_default``
    over its placeholders and the tensors computed from them that nothing consumes.

    Raises:
        SignatureNotFoundError, TensorNotFoundError: unknown signature or tensor.
        MissingVariablesError: variables without a checkpoint.
        ConversionError: the graph cannot be converted (the message names the op and the fix).
        UnsafeModelError: the model holds file-system/PyFunc ops and ``allow_unsafe`` is false.
    """
    from .loader import load

    if not isinstance(model, V1Model):
        model = load(model)
    from .isolation import preflight
    from .scanner import require_safe

    require_safe(model, allow_unsafe)  # conversion runs restore and init ops: scan first
    preflight(model, restore=False)  # a graph that crashes TF's importer fails in a child
    if isinstance(signatures, str):
        signatures = [signatures]
    plans = _plans(model, signatures, inputs, outputs)
    return _Builder(model, plans, freeze).build()


@dataclasses.dataclass
class _Plan:
    name: str
    method: str
    inputs: dict[str, TensorSpec]  # source key -> spec (dense or sparse)
    outputs: dict[str, TensorSpec]
    computed: tuple[str, ...] = ()
    keys: dict[str, str] = dataclasses.field(default_factory=dict)  # source key -> TF2 key


def _plans(
    model: V1Model,
    signatures: Sequence[str] | None,
    inputs: Sequence[str] | Mapping[str, str] | None,
    outputs: Sequence[str] | Mapping[str, str] | None,
) -> list[_Plan]:
    if inputs is not None or outputs is not None:
        if signatures:
            raise SignatureNotFoundError(
                "give either signatures or inputs/outputs, not both (CLI: --signature or "
                "--inputs/--outputs)"
            )
        if not outputs:
            raise SignatureNotFoundError(
                f"no outputs given for {model.path}: pass outputs=[tensor names] (CLI: --outputs)"
            )
        return [_plan_from_names(model, "serving_default", "", inputs or [], outputs)]
    if not model.signatures:
        from .runners import default_io

        ins, outs = default_io(model)
        if not outs:
            raise SignatureNotFoundError(
                f"{model.path} has no signatures and no obvious outputs: pass inputs=..., "
                "outputs=... (CLI: --inputs/--outputs)"
            )
        return [_plan_from_names(model, "serving_default", "", ins, outs)]
    names = list(signatures) if signatures else list(model.signatures)
    plans = []
    for name in names:
        sig = model.signature(name)
        plans.append(_dedupe(model, _Plan(sig.name, sig.method, dict(sig.inputs), sig.outputs)))
    return plans


def _key_of(name: str) -> str:
    op, _, idx = name.partition(":")
    return op if idx in ("", "0") else f"{op}_{idx}"


def _plan_from_names(
    model: V1Model,
    name: str,
    method: str,
    inputs: Sequence[str] | Mapping[str, str],
    outputs: Sequence[str] | Mapping[str, str],
) -> _Plan:
    from .sampler import tensor_specs

    # Keys as V1Runner's (a mapping's keys, else canonical tensor names ``x:0``); the TF2
    # signature uses the mapping's keys or the op names (``x``; ``op_1`` for ``op:1``).
    def keyed(x: Sequence[str] | Mapping[str, str]) -> dict[str, str]:
        if isinstance(x, Mapping):
            return {str(k): _canon(v) for k, v in x.items()}
        return {_canon(n): _canon(n) for n in x}

    ins, outs = keyed(inputs), keyed(outputs)
    for t in {*ins.values(), *outs.values()}:
        model.node(t)  # TensorNotFoundError names the missing tensor
    specs = tensor_specs(model, list({*ins.values(), *outs.values()}))
    keys: dict[str, str] = {}
    taken: set[str] = set()
    for k in [*ins, *outs]:
        if k in keys:
            continue
        base = _key_of(k) if not isinstance(inputs, Mapping) or ":" in k else k
        v2, i = base, 1
        while v2 in taken:
            v2, i = f"{base}_{i}", i + 1
        taken.add(v2)
        keys[k] = v2
    return _Plan(
        name,
        method,
        {k: specs[t] for k, t in ins.items()},
        {k: specs[t] for k, t in outs.items()},
        keys=keys,
    )


def _canon(name: str) -> str:
    return name if ":" in name else f"{name}:0"


def _dedupe(model: V1Model, plan: _Plan) -> _Plan:
    """Signatures feeding one tensor under several keys take only their placeholder inputs."""
    seen: dict[str, int] = {}
    for spec in plan.inputs.values():
        for t in spec.components or (spec.name,):
            seen[t] = seen.get(t, 0) + 1
    if all(n == 1 for n in seen.values()):
        return plan
    keep, computed = {}, []
    for key, spec in plan.inputs.items():
        parts = spec.components or (spec.name,)
        if all(model.node(t).op in PLACEHOLDER_OPS for t in parts):
            keep[key] = spec
        else:
            computed.append(key)
    return dataclasses.replace(plan, inputs=keep, computed=tuple(computed))


def _flat(
    specs: Mapping[str, TensorSpec], keys: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Source specs -> (TF2 key -> graph tensor name, source key -> its TF2 keys).

    ``keys`` renames source keys (tensor names ``x:0`` -> ``x``) for the TF2 side.
    """
    flat: dict[str, str] = {}
    parts: dict[str, tuple[str, ...]] = {}
    for key, spec in specs.items():
        base = keys.get(key, key)
        if spec.kind == "sparse":
            names = tuple(f"{base}_{p}" for p in SPARSE_PARTS)
            flat.update(zip(names, spec.components))
        elif spec.kind == "composite":
            raise ConversionError(
                f"signature tensor {key!r} is a composite (ragged) tensor, which TF1 graphs do not "
                f"feed or fetch as one: convert with inputs/outputs naming its components "
                f"{', '.join(spec.components)}"
            )
        else:
            names = (base,)
            flat[base] = spec.name
        parts[key] = names
    return flat, parts


class _Builder:
    """Builds the wrapped graph, restores it, and makes one function per plan."""

    def __init__(self, model: V1Model, plans: list[_Plan], freeze: bool) -> None:
        self.model = model
        self.plans = plans
        self.freeze = freeze

    def build(self) -> V2Model:
        from .rewrite import to_resource_variables

        model = self.model
        rewritten = to_resource_variables(model.graph_def, model.meta_graph, str(model.path))
        gd, mg = _unique_library(rewritten.graph_def, rewritten.meta_graph)
        self.v2_source = dataclasses.replace(
            model, graph_def=gd, meta_graph=mg, _signatures=None, _catalog=None
        )
        try:
            wrapped = tf1().wrap_function(self._import, signature=[])
        except ExplorerError:
            raise
        except Exception as e:
            raise ConversionError(
                f"{model.path}: importing the rewritten graph into a TF2 function failed "
                f"({_first_line(e)}): run explorer.scan for what to fix"
            ) from None
        self.wrapped = wrapped
        self.graph = wrapped.graph
        variables = list(self.graph.variables)
        self._restore(variables)
        root = tf().Module()
        root.model_variables = variables
        root.initializer = self._initializer()
        root.initializer.initialize()
        signatures, functions = {}, {}
        self.pruned: dict[str, Any] = {}
        for plan in self.plans:
            converted, fn = self._signature(plan)
            signatures[plan.name] = converted
            functions[plan.name] = fn
        root.signature_fns = functions
        if self.freeze:
            root.model_variables = []
            variables = []
        v2 = V2Model(model, signatures, functions, root, variables, self.freeze)
        v2._pruned = self.pruned  # the bare pruned functions (benchmarks compare against them)
        return v2

    def _import(self) -> None:
        from .session import import_into

        import_into(self.v2_source, tf1().get_default_graph())

    # -- variables and init --------------------------------------------------------------------

    def _restore(self, variables: list[Any]) -> None:
        model = self.model
        if not variables:
            return
        ckpt = model.checkpoint_prefix
        in_ckpt = self._checkpoint_keys(ckpt) if ckpt else set()
        restorable = [v for v in variables if _op_name(v.name) in in_ckpt]
        if not restorable:
            if self._init_ops():  # e.g. only local (metric) variables, set by the init op
                return
            raise MissingVariablesError(
                f"{model.path} has {len(variables)} variables but no checkpoint holding them: for "
                "a SavedModel restore its variables/ folder; for a GraphDef load the .meta file"
            )
        restore_op, filename = model.restore_op, model.filename_tensor
        try:
            if restore_op and filename and self._has(restore_op) and self._has(filename):
                fn = self.wrapped.prune(
                    feeds=[self.graph.as_graph_element(filename)],
                    fetches=[self.graph.as_graph_element(restore_op)],
                )
                fn(tf().constant(ckpt))
            else:
                reader = tf().train.load_checkpoint(ckpt)
                for v in restorable:
                    v.assign(reader.get_tensor(_op_name(v.name)))
        except ExplorerError:
            raise
        except Exception as e:
            raise MissingVariablesError(
                f"cannot restore variables of {model.path} from {ckpt} ({_first_line(e)}): the "
                "checkpoint is missing, damaged or of another graph"
            ) from None

    @staticmethod
    def _checkpoint_keys(prefix: str) -> set[str]:
        try:
            return set(tf().train.load_checkpoint(prefix).get_variable_to_shape_map())
        except Exception:  # noqa: BLE001 - V1 checkpoints read through the Saver instead
            return {"*"}

    def _has(self, name: str) -> bool:
        try:
            self.graph.as_graph_element(name)
            return True
        except (KeyError, ValueError):
            return False

    def _init_ops(self) -> list[str]:
        init = self.model.init_op
        if init and self._has(init):
            return [init]
        ops = []
        for item in self.graph.get_collection("table_initializer"):
            ops.append(item.name if hasattr(item, "name") else str(item).split(":")[0])
        if not ops and self._has("init_all_tables"):
            ops.append("init_all_tables")
        return sorted(set(ops))

    def _initializer(self) -> Any:
        ops = self._init_ops()
        assets = {n: p for n, p in self.model.assets.items() if self._has(n)}
        feeds = [self.graph.as_graph_element(n) for n in assets]
        with self.graph.as_default():
            anchor = tf().constant(0.0, name=f"explorer_init_anchor_{next(_uid)}")
        fetches = [anchor] + [self.graph.as_graph_element(o) for o in ops]
        init_fn = self.wrapped.prune(feeds=feeds, fetches=fetches) if ops else None
        return _Initializer(init_fn, [tf().saved_model.Asset(p) for p in assets.values()])

    # -- signatures ----------------------------------------------------------------------------

    def _signature(self, plan: _Plan) -> tuple[ConvertedSignature, Any]:
        model = self.model
        in_flat, in_parts = _flat(plan.inputs, plan.keys)
        out_flat, out_parts = _flat(plan.outputs, plan.keys)
        try:
            feeds = [self.graph.as_graph_element(t) for t in in_flat.values()]
            fetches = {
                k: self._fetchable(self.graph.as_graph_element(t)) for k, t in out_flat.items()
            }
        except (KeyError, ValueError) as e:
            raise TensorNotFoundError(
                f"signature {plan.name!r} of {model.path} names a tensor not in the graph "
                f"({_first_line(e)})"
            ) from None
        try:
            pruned = self.wrapped.prune(feeds=feeds, fetches=fetches)
        except Exception as e:
            raise ConversionError(
                f"signature {plan.name!r} of {model.path} cannot be pruned to its inputs and "
                f"outputs ({_first_line(e)}): pick other inputs/outputs"
            ) from None
        if self.freeze:
            pruned = self._frozen(plan.name, pruned)
        self.pruned[plan.name] = pruned
        in_specs = {
            k: _spec(t, self.graph.as_graph_element(t), plan.inputs.get(k))
            for k, t in in_flat.items()
        }
        out_specs = {k: _spec(t, fetches[k], plan.outputs.get(k)) for k, t in out_flat.items()}
        tf_specs = [
            tf().TensorSpec(_tf_shape(self.graph.as_graph_element(t)), t_dtype, name=_arg_name(k))
            for k, t, t_dtype in (
                (k, t, self.graph.as_graph_element(t).dtype) for k, t in in_flat.items()
            )
        ]

        def body(*args: Any) -> dict[str, Any]:
            return pruned(*args)

        fn = tf().function(body, input_signature=tf_specs, autograph=False)
        concrete = fn.get_concrete_function()
        converted = ConvertedSignature(
            name=plan.name,
            method=plan.method,
            inputs=in_specs,
            outputs=out_specs,
            input_parts=in_parts,
            output_parts=out_parts,
            computed_inputs=plan.computed,
            source_inputs={k: _source_spec(s, self.graph) for k, s in plan.inputs.items()},
            source_outputs={k: _source_spec(s, self.graph) for k, s in plan.outputs.items()},
        )
        return converted, concrete

    def _fetchable(self, t: Any) -> Any:
        """A variable fetched as a tensor (TF1 gave its value; the handle is now a resource):
        a read of it."""
        if t.dtype != tf().resource or t.op.type != "VarHandleOp":
            return t
        with self.graph.as_default():
            return tf().raw_ops.ReadVariableOp(
                resource=t, dtype=t.op.get_attr("dtype"), name=f"{t.op.name}/explorer_fetch"
            )

    def _frozen(self, name: str, pruned: Any) -> Any:
        from tensorflow.python.framework.convert_to_constants import (
            convert_variables_to_constants_v2,
        )

        stateful = {
            op.type
            for op in pruned.graph.get_operations()
            if op.type in ("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp")
            or op.type.startswith(("ResourceApply", "ResourceScatter", "ResourceSparseApply"))
        }
        if stateful:
            raise ConversionError(
                f"signature {name!r} of {self.model.path} updates variables "
                f"({', '.join(sorted(stateful))}): it cannot be frozen; convert with freeze=False "
                "(CLI: drop --freeze) or leave that signature out"
            )
        try:
            frozen = convert_variables_to_constants_v2(pruned)
        except Exception as e:
            raise ConversionError(
                f"freezing signature {name!r} of {self.model.path} failed ({_first_line(e)}): "
                "convert with freeze=False"
            ) from None
        structure = pruned.structured_outputs

        def call(*args: Any) -> Any:  # the frozen function returns a flat list
            return tf().nest.pack_sequence_as(structure, frozen(*args))

        return call


def _arg_name(key: str) -> str:
    """A tf.function argument name for a signature key (TF keeps the key in the SavedModel)."""
    name = re.sub(r"\W", "_", key)
    return name if name and not name[0].isdigit() else f"_{name}"


def _spec(tensor_name: str, t: Any, source: TensorSpec | None) -> TensorSpec:
    shape = None if t.shape.rank is None else tuple(t.shape.as_list())
    return TensorSpec(tensor_name, t.dtype.base_dtype.name, shape)


def _source_spec(spec: TensorSpec, graph: Any) -> TensorSpec:
    """The source spec with a real dtype (no ``_ref``), shaped from the graph when unknown."""
    if spec.kind != "dense":
        return spec
    t = graph.as_graph_element(spec.name)
    shape = spec.shape
    if shape is None and t.shape.rank is not None:
        shape = tuple(t.shape.as_list())
    return dataclasses.replace(spec, dtype=t.dtype.base_dtype.name, shape=shape)


def _tf_shape(t: Any) -> Any:
    return t.shape


def _op_name(name: str) -> str:
    return name.split(":")[0]


def _unique_library(graph_def: Any, meta_graph: Any) -> tuple[Any, Any]:
    """Give library functions and shared resource names a per-conversion suffix.

    Converting the same model twice in one process would otherwise register clashing functions
    and share tables between the two conversions (this mirrors TF's own TF1-SavedModel loader).
    """
    from tensorflow.python.saved_model import function_deserialization

    suffix = f"_explorer_{next(_uid)}_{os.getpid()}"
    gd = type(graph_def)()
    gd.CopyFrom(graph_def)
    functions = function_deserialization.load_function_def_library(
        gd.library, load_shared_name_suffix=suffix
    )
    gd.library.Clear()
    for fn in functions.values():
        gd.library.function.add().CopyFrom(fn.function_def)
    for node in gd.node:
        function_deserialization.fix_node_def(node, functions, suffix)
    if meta_graph is None:
        return gd, None
    mg = type(meta_graph)()
    mg.CopyFrom(meta_graph)
    mg.graph_def.CopyFrom(gd)
    return gd, mg


class _InitializerBase:
    pass


def _initializer_class() -> type:
    """A ``TrackableResource`` that runs the model's init op with its asset files, on conversion
    and again whenever the SavedModel is loaded (how TF2 SavedModels initialise tables)."""
    base = tf().saved_model.experimental.TrackableResource

    class Initializer(base):  # type: ignore[misc, valid-type]
        def __init__(self, init_fn: Any, assets: list[Any]) -> None:
            super().__init__()
            self._init_fn = init_fn
            self._assets = assets

        def _create_resource(self) -> Any:
            return tf().constant(1.0)

        def _initialize(self) -> Any:
            if self._init_fn is None:
                return tf().constant(0.0)
            return self._init_fn(*[a.asset_path for a in self._assets])[0]

        def initialize(self) -> None:
            if self._init_fn is not None:
                self._initialize()

    return Initializer


def _Initializer(init_fn: Any, assets: list[Any]) -> Any:  # noqa: N802 - a class factory
    return _initializer_class()(init_fn, assets)


def _first_line(e: BaseException) -> str:
    msg = getattr(e, "message", None) or str(e) or type(e).__name__
    line = msg.strip().splitlines()[0] if msg.strip() else type(e).__name__
    return line[:300]
