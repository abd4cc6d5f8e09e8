"""Step 5: :func:`convert` -> :class:`~explorer.V2Model`: the :class:`Builder` imports the
rewritten graph into ``wrap_function``, restores, initialises, prunes a named-input tf.function
(a bare pruned one costs ~12x) per :class:`Plan`; a tf.Example pipeline adds ``examples``."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from explorer._tf import tf, tf1
from explorer.conversion.onnx import OnnxModel, check_target, to_onnx
from explorer.conversion.rewrite import to_resource_variables
from explorer.conversion.v2_model import ConvertedSignature, V2Model, variable_read
from explorer.errors import (
    ConversionError,
    ExplorerError,
    MissingVariablesError,
    SignatureNotFoundError,
    TensorNotFoundError,
    first_line,
)
from explorer.feeding.sampling import switch_of, tensor_specs
from explorer.graph.index import graph_index, union
from explorer.graph.inputs import keys_in, pipeline_inputs
from explorer.graph.names import op_name, tensor_name
from explorer.graph.op_families import INPUT_OPS, PLACEHOLDER_OPS, RESOURCE_ASSIGN_OPS
from explorer.graph.specs import TensorSpec, spec_of, spec_tensors, static_shape
from explorer.inspection.gate import admit
from explorer.inspection.suggestions import check_custom_io, default_io, input_keys, needed_inputs
from explorer.loading.isolation import (
    graph_element,
    import_into,
    prepare_graph_def,
    saver_ops,
    table_init,
)
from explorer.loading.model import (
    REGULARIZATION_LOSSES,
    TRAIN_TAGS,
    TRAINABLE_VARIABLES,
    UPDATE_OPS,
    V1Model,
    as_model,
    checkpoint_keys,
    load,
    meta_graph_with,
    model_run_scope,
    prune_for,
    saved_value,
    variable_defs,
)
from explorer.running.deadline import bounded

if TYPE_CHECKING:
    import tensorflow as tf_types

Shape = Sequence[int | None]  # a TF2 input's shape as given (None or -1: unknown)
IO = Sequence[str] | Mapping[str, str]  # tensor names, or key -> tensor name
SPARSE_PARTS = ("indices", "values", "dense_shape")
EXAMPLES_SIGNATURE = "examples"
EXAMPLES_KEY = "examples"
_uid = itertools.count()
TRAIN_SCOPE = "explorer_train"
TRAIN_SUFFIX = "__train"
META_KEY = "tf1_hub_module"  # key of the record in assets.extra/tf1_explorer.json
# Collections of the train graph imported beside the inference graph (variables come from it).
_TRAIN_COLLECTIONS = (
    UPDATE_OPS,
    REGULARIZATION_LOSSES,
    "table_initializer",
    "asset_filepaths",
    "saved_model_assets",
    "cond_context",
    "while_context",
)


@dataclasses.dataclass
class Plan:
    name: str
    method: str
    inputs: dict[str, TensorSpec]  # source key -> spec (dense or sparse)
    outputs: dict[str, TensorSpec]
    computed: tuple[str, ...] = ()
    keys: dict[str, str] = dataclasses.field(default_factory=dict)  # source key -> TF2 key


def convert(
    model: V1Model | str | os.PathLike[str],
    signatures: Sequence[str] | str | None = None,
    *,
    inputs: IO | None = None,
    outputs: IO | None = None,
    freeze: bool = False,
    allow_unsafe: bool = False,
    shapes: Mapping[str, Shape] | None = None,
    to: str = "saved_model",
) -> V2Model | OnnxModel:
    """Convert a TF1 model (or a path for ``explorer.load``) to TF2 functions. ``signatures``:
    names to convert (default all); or ``inputs``/``outputs``: tensor names (``x:0``) or key ->
    name, one ``serving_default`` keyed by op name (``x``); neither and no signatures: the
    suggested inputs and outputs. A sparse key ``k`` becomes ``k_indices``, ``k_values``,
    ``k_dense_shape``. ``freeze``: variables as constants (stateless signatures only).
    ``allow_unsafe``: convert a model holding file-system or PyFunc ops (its restore and init run
    now). ``shapes``: input key or tensor name -> the TF2 input's shape (``None``/``-1`` unknown).
    ``to``: ``"saved_model"`` (a V2Model) or ``"onnx"`` (an OnnxModel). Raises
    SignatureNotFoundError, TensorNotFoundError, MissingVariablesError, ConversionError,
    UnsafeModelError (without ``allow_unsafe``), UnsupportedOpError; each says the fix."""
    check_target(to)
    model = as_model(model)
    if isinstance(signatures, str):
        signatures = [signatures]
    if model.module_info is not None:  # a TF1 Hub module, admitted whole: update ops, losses
        admit(model, allow_unsafe=allow_unsafe)
        v2 = HubBuilder(model, plan_signatures(model, signatures, inputs, outputs), freeze).build()
    else:
        plans = plan_signatures(model, signatures, inputs, outputs)
        groups = [(spec_tensors(p.outputs), spec_tensors(p.inputs)) for p in plans]
        what = "the converted signatures"  # admit what runs (restore and init too), prune to it
        scope = union((model_run_scope(model, f, i, what) for f, i in groups), what)
        admit(model, scope, allow_unsafe=allow_unsafe)
        v2 = Builder(model, plans, freeze, prune_for(model, groups), shapes).build()
    return v2 if to == "saved_model" else to_onnx(v2)


def plan_signatures(
    model: V1Model, signatures: Sequence[str] | None, inputs: IO | None, outputs: IO | None
) -> list[Plan]:
    if inputs is not None or outputs is not None:
        check_custom_io(model, bool(signatures), outputs)
        if not isinstance(inputs, Mapping):  # the placeholders they need; keep_prob: neutral
            outs = list(outputs.values() if isinstance(outputs, Mapping) else outputs)
            inputs = needed_inputs(model, outs, inputs, switch_of)
        return [_plan_from_names(model, inputs, outputs)]
    if not model.signatures:
        ins, outs = default_io(model)
        if not outs:
            raise SignatureNotFoundError(
                f"{model.path} has no signatures and no obvious outputs: pass inputs=..., "
                "outputs=... (CLI: --inputs/--outputs)"
            )
        return [_plan_from_names(model, ins, outs)]
    sigs = [model.signature(name) for name in signatures or model.signatures]
    return [_dedupe(model, Plan(s.name, s.method, dict(s.inputs), s.outputs)) for s in sigs]


def _plan_from_names(model: V1Model, inputs: IO, outputs: IO) -> Plan:
    """The ``serving_default`` plan, keyed as V1Runner's (a mapping's keys, else ``x:0``)."""

    def keyed(x: IO) -> dict[str, str]:
        pairs = x.items() if isinstance(x, Mapping) else zip(map(tensor_name, x), x)
        return {str(k): tensor_name(v) for k, v in pairs}

    ins, outs = keyed(inputs), keyed(outputs)
    for t in {*ins.values(), *outs.values()}:
        model.node(t)  # TensorNotFoundError names the missing tensor
    specs = tensor_specs(model, list({*ins.values(), *outs.values()}))
    keys = input_keys(model, list(dict.fromkeys([*ins, *outs])))
    ins_specs, outs_specs = ({k: specs[t] for k, t in io.items()} for io in (ins, outs))
    return Plan("serving_default", "", ins_specs, outs_specs, keys=keys)


def _dedupe(model: V1Model, plan: Plan) -> Plan:
    """Signatures feeding one tensor under several keys take only their placeholder inputs."""
    counts = Counter(t for s in plan.inputs.values() for t in s.components or (s.name,))
    if all(n == 1 for n in counts.values()):
        return plan
    keep, computed = {}, []
    for key, spec in plan.inputs.items():
        if all(model.node(t).op in INPUT_OPS for t in spec.components or (spec.name,)):
            keep[key] = spec
        else:
            computed.append(key)
    return dataclasses.replace(plan, inputs=keep, computed=tuple(computed))


def _flat(
    specs: Mapping[str, TensorSpec], keys: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Source specs -> (TF2 key -> tensor name, source key -> its TF2 keys); ``keys`` renames."""
    flat: dict[str, str] = {}
    parts: dict[str, tuple[str, ...]] = {}
    for key, spec in specs.items():
        if spec.kind == "composite":
            raise ConversionError(
                f"signature tensor {key!r} is a composite (ragged) tensor, which TF1 graphs do not "
                f"feed or fetch as one: convert with inputs/outputs naming its components "
                f"{', '.join(spec.components)}"
            )
        base, sparse = keys.get(key, key), spec.kind == "sparse"
        parts[key] = tuple(f"{base}_{p}" for p in SPARSE_PARTS) if sparse else (base,)
        flat.update(zip(parts[key], spec.components if sparse else (spec.name,)))
    return flat, parts


@dataclasses.dataclass
class Builder:
    """Builds the wrapped graph of ``source`` (the pruned model; default ``model``), restores it,
    makes one function per plan; ``shapes``: input key or tensor name -> the TF2 input's shape."""

    model: V1Model
    plans: list[Plan]
    freeze: bool
    source: V1Model | None = None
    shapes: Mapping[str, Shape] | None = None
    updates: dict[str, list[str]] = dataclasses.field(default_factory=dict, init=False)

    def build(self) -> V2Model:
        model = self.model
        self.v2_source = resource_source(self.source or model)
        try:
            self.wrapped = tf1().wrap_function(self._import, signature=[])
        except ExplorerError:
            raise
        except Exception as e:
            raise ConversionError(
                f"{model.path}: importing the rewritten graph into a TF2 function failed "
                f"({first_line(e)}): run explorer.scan for what to fix"
            ) from None
        self.graph = self.wrapped.graph
        # Lifted (eager) variables only: a partitioned variable's parts also stay as graph ones.
        variables = [v for v in self.graph.variables if not tf().is_symbolic_tensor(v.handle)]
        self._restore(variables)
        root = tf().Module()
        root.initializer = self._initializer()
        bounded(root.initializer._initialize, None, "initialising tables/assets", model.path)
        signatures, functions, self.pruned = {}, {}, {}
        for plan in self.plans:
            signatures[plan.name], functions[plan.name] = self._signature(plan)
        if not model.signatures and len(self.plans) == 1 and not self.freeze:
            name = self.plans[0].name
            extra = example_signature(model, signatures[name], functions[name])
            if extra and EXAMPLES_SIGNATURE not in signatures:
                signatures[EXAMPLES_SIGNATURE], functions[EXAMPLES_SIGNATURE] = extra
        root.signature_fns = functions
        if self.freeze:  # only what the init op (run on each load) still reads is kept
            init = root.initializer._init_fn
            read = {id(t) for t in init.captured_inputs} if init is not None else set()
            root.init_variables = [v for v in variables if id(v.handle) in read]
        root.model_variables = variables = [] if self.freeze else variables
        v2 = V2Model(model, signatures, functions, root, variables, self.freeze, self.wrapped)
        v2._pruned = self.pruned  # the bare pruned functions (benchmarks compare against them)
        return v2

    def _import(self) -> None:
        import_into(self.v2_source, tf1().get_default_graph())

    def _restore(self, variables: list[tf_types.Variable]) -> None:
        model, ckpt = self.model, self.model.checkpoint_prefix
        if not variables:
            return
        try:
            reader = tf().train.load_checkpoint(ckpt) if ckpt else None
        except Exception:  # noqa: BLE001 - unreadable: no variable is found there
            reader = None
        in_ckpt = set(reader.get_variable_to_shape_map()) if reader is not None else set()
        keys = checkpoint_keys(model)  # the parts of a partitioned variable: one key, sliced
        saved = []  # (variable, checkpoint key, slice spec)
        for v, name in ((v, op_name(v.name)) for v in variables):
            key, spec = (name, "") if name in in_ckpt else keys.get(name, (name, ""))
            if key in in_ckpt:
                saved.append((v, key, spec))
        if not saved:
            if table_init(self.graph, model.init_op, {})[0]:  # only local variables, set by init
                return
            raise MissingVariablesError(
                f"{model.path} has {len(variables)} variables but no checkpoint holding them: for "
                "a SavedModel restore its variables/ folder; for a GraphDef load the .meta file"
            )
        saver = saver_ops(model, self.graph)
        try:
            if saver is not None:
                fn = self.wrapped.prune(feeds=[saver[1]], fetches=[saver[0]])
                bounded(lambda: fn(tf().constant(ckpt)), None, "restoring variables", model.path)
            else:
                for v, key, spec in saved:
                    v.assign(saved_value(reader, key, spec))
        except ExplorerError:
            raise
        except Exception as e:
            raise MissingVariablesError(
                f"cannot restore variables of {model.path} from {ckpt} ({first_line(e)}): the "
                "checkpoint is missing, damaged or of another graph"
            ) from None

    def _initializer(self) -> tf_types.saved_model.experimental.TrackableResource:
        ops, assets = table_init(self.graph, self.model.init_op, self.model.assets)
        feeds = [self.graph.as_graph_element(n) for n in assets]
        with self.graph.as_default():
            anchor = tf().constant(0.0, name=f"explorer_init_anchor_{next(_uid)}")
        fetches = [anchor] + [self.graph.as_graph_element(o) for o in ops]
        init_fn = self.wrapped.prune(feeds=feeds, fetches=fetches) if ops else None
        return _initializer_class()(init_fn, [tf().saved_model.Asset(p) for p in assets.values()])

    def _signature(self, plan: Plan) -> tuple[ConvertedSignature, Callable[..., Any]]:
        model = self.model
        in_flat, in_parts = _flat(plan.inputs, plan.keys)
        out_flat, out_parts = _flat(plan.outputs, plan.keys)
        elem = self.graph.as_graph_element
        try:
            feeds = [elem(t) for t in in_flat.values()]
            fetches = {k: self._fetchable(elem(t), plan) for k, t in out_flat.items()}
        except (KeyError, ValueError) as e:
            raise TensorNotFoundError(
                f"signature {plan.name!r} of {model.path} names a tensor not in the graph "
                f"({first_line(e)})"
            ) from None
        try:
            pruned = self.wrapped.prune(feeds=feeds, fetches=fetches)
        except Exception as e:
            raise ConversionError(
                f"signature {plan.name!r} of {model.path} cannot be pruned to its inputs and "
                f"outputs ({first_line(e)}): pick other inputs/outputs"
            ) from None
        if self.freeze:
            pruned = self._frozen(plan.name, pruned)
        self.pruned[plan.name] = pruned
        in_specs = {k: spec_of(t, f) for (k, t), f in zip(in_flat.items(), feeds)}
        out_specs = {k: spec_of(t, fetches[k]) for k, t in out_flat.items()}
        tf_specs = [
            tf().TensorSpec(self._input_shape(k, t), f.dtype, name=_arg_name(k))
            for (k, t), f in zip(in_flat.items(), feeds)
        ]
        fn = tf().function(lambda *args: pruned(*args), input_signature=tf_specs, autograph=False)
        io = (plan.inputs, plan.outputs)
        src = [{k: _source_spec(s, self.graph) for k, s in d.items()} for d in io]  # source_*
        converted = ConvertedSignature(
            plan.name, plan.method, in_specs, out_specs, in_parts, out_parts, plan.computed, *src
        )
        return converted, fn.get_concrete_function()

    def _input_shape(self, key: str, tensor: str) -> tf_types.TensorShape:
        """``shapes[key]`` (or by tensor name), checked against the static shape; else that."""
        static = self.graph.as_graph_element(tensor).shape
        shapes = {str(k): v for k, v in (self.shapes or {}).items()}
        if (given := shapes.get(key, shapes.get(tensor, shapes.get(tensor.split(":")[0])))) is None:
            return static
        want = tf().TensorShape([None if d is None or int(d) < 0 else int(d) for d in given])
        if not static.is_compatible_with(want):
            raise ConversionError(
                f"shape {want} given for input {key!r} ({tensor}) contradicts the graph's "
                f"{static}: give a shape of that form (CLI: --shape)"
            )
        return want

    def _fetchable(self, t: tf_types.Tensor, plan: Plan) -> tf_types.Tensor:
        """A read of a fetched variable (TF1 gave its value; the handle is now a resource), after
        the (TF1 Hub module's) update ops whose placeholders the plan feeds."""
        if t.dtype == tf().resource and t.op.type == "VarHandleOp":
            t = variable_read(self.graph, t)
        ops = [self.graph.get_operation_by_name(u) for u in self.updates.get(plan.name, ())]
        if not ops:
            return t
        with self.graph.as_default(), tf().control_dependencies(ops):
            return tf().identity(t, name=f"{t.op.name}/explorer_after_updates")

    def _frozen(self, name: str, pruned: Callable[..., Any]) -> Callable[..., Any]:
        from tensorflow.python.framework import convert_to_constants

        updates = ("ResourceApply", "ResourceScatter", "ResourceSparseApply")
        types = {op.type for op in pruned.graph.get_operations()}
        if stateful := {t for t in types if t in RESOURCE_ASSIGN_OPS or t.startswith(updates)}:
            raise ConversionError(
                f"signature {name!r} of {self.model.path} updates variables "
                f"({', '.join(sorted(stateful))}): it cannot be frozen; convert with freeze=False "
                "(CLI: drop --freeze) or leave that signature out"
            )
        try:
            frozen = convert_to_constants.convert_variables_to_constants_v2(pruned)
        except Exception as e:
            raise ConversionError(
                f"freezing signature {name!r} of {self.model.path} failed ({first_line(e)}): "
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


def _source_spec(spec: TensorSpec, graph: tf_types.Graph) -> TensorSpec:
    """The source spec with a real dtype (no ``_ref``), shaped from the graph when unknown."""
    if spec.kind != "dense":
        return spec
    t = graph.as_graph_element(spec.name)
    shape = static_shape(t.shape) if spec.shape is None else spec.shape
    return dataclasses.replace(spec, dtype=t.dtype.base_dtype.name, shape=shape)


def resource_source(model: V1Model) -> V1Model:
    """``model`` with resource variables and a per-conversion suffix on library functions and shared
    resource names (two conversions in one process would clash on functions, share tables)."""
    from tensorflow.python.saved_model import function_deserialization

    rewritten = to_resource_variables(model.graph_def, model.meta_graph, str(model.path))
    suffix = f"_explorer_{next(_uid)}_{os.getpid()}"
    gd = rewritten.graph_def  # a copy of the model's
    functions = function_deserialization.load_function_def_library(
        gd.library, load_shared_name_suffix=suffix
    )
    gd.library.Clear()
    gd.library.function.extend(fn.function_def for fn in functions.values())
    for node in gd.node:
        function_deserialization.fix_node_def(node, functions, suffix)
    mg = meta_graph_with(rewritten.meta_graph, gd)
    return dataclasses.replace(model, graph_def=gd, meta_graph=mg, _signatures=None)


@functools.cache
def _initializer_class() -> type:
    """A ``TrackableResource`` running the init op with its assets, also on each SavedModel load."""

    class Initializer(tf().saved_model.experimental.TrackableResource):  # type: ignore[misc]
        def __init__(self, init_fn: Callable[..., Any] | None, assets: list[Any]) -> None:
            super().__init__()
            self._init_fn, self._assets = init_fn, assets

        def _create_resource(self) -> tf_types.Tensor:
            return tf().constant(1.0)

        def _initialize(self) -> tf_types.Tensor:
            if self._init_fn is None:
                return tf().constant(0.0)
            return self._init_fn(*[a.asset_path for a in self._assets])[0]

    return Initializer


def parse_spec(
    model: V1Model, inputs: dict[str, TensorSpec]
) -> dict[str, tuple[str, int, list[int]]]:
    """TF2 input key -> (feature key, dtype enum, dense shape) when every input is a dense
    tf.Example feature of a pipeline; ``{}`` otherwise."""
    found = {p.tensor: p for p in pipeline_inputs(model.graph_def)}
    index = graph_index(model.graph_def)
    out = {}
    for key, spec in inputs.items():
        if (p := found.get(spec.name)) is None or not p.feature or not p.parse_op:
            return {}
        fn, _, node_name = p.parse_op.rpartition("::")
        nodes = index.function_nodes(fn) if fn else index.nodes
        node = nodes[op_name(node_name)]
        _, dense, _ = keys_in(nodes, node)
        if p.feature not in dense:
            return {}
        j = dense.index(p.feature)
        shape = [int(d.size) for d in node.attr["dense_shapes"].list.shape[j].dim]
        out[key] = (p.feature, node.attr["Tdense"].list.type[j], shape)
    return out


def example_signature(
    model: V1Model, converted: ConvertedSignature, concrete: Callable[..., Any]
) -> tuple[ConvertedSignature, Callable[..., Any]] | None:
    """The ``examples`` signature calling ``converted`` (as ``concrete``), or ``None``."""
    if not (spec := parse_spec(model, converted.inputs)):
        return None
    tf_, order = tf(), list(converted.inputs)
    features = {
        feature: tf_.io.FixedLenFeature(shape, tf_.dtypes.as_dtype(dtype))
        for feature, dtype, shape in spec.values()
    }

    def parse(examples: Any) -> Any:
        parsed = tf_.io.parse_example(examples, features)
        args = []
        for key in order:
            want = converted.inputs[key]
            value = tf_.cast(parsed[spec[key][0]], want.dtype)
            if want.shape is not None and all(d is not None for d in want.shape):
                value = tf_.reshape(value, want.shape)  # a batch fixed by the pipeline
            elif want.shape is not None and all(d is not None for d in want.shape[1:]):
                value = tf_.reshape(value, [-1, *want.shape[1:]])
            args.append(value)
        return concrete(*args)

    first = converted.inputs[order[0]].shape
    batch = first[0] if first else None
    arg = tf_.TensorSpec([batch], tf_.string, name=EXAMPLES_KEY)
    fn = tf_.function(parse, input_signature=[arg], autograph=False).get_concrete_function()
    sig = ConvertedSignature(
        name=EXAMPLES_SIGNATURE,
        method="",
        inputs={EXAMPLES_KEY: TensorSpec("", "string", (batch,))},
        outputs=dict(converted.outputs),
        input_parts={EXAMPLES_KEY: (EXAMPLES_KEY,)},
        output_parts=dict(converted.output_parts),
        source_outputs=dict(converted.source_outputs),
    )
    return sig, fn


def convert_hub_for_keras(model: V1Model, signature: str | None = None) -> V2Model:
    """The inference and ``train`` graphs (either loaded) in one :class:`V2Model`."""
    tag_sets = [sorted(t) for t in model.tag_sets]
    reps = model.replacements or None
    train = None
    if sorted(TRAIN_TAGS) in tag_sets and sorted(model.tags) != sorted(TRAIN_TAGS):
        train = load(model.path, tags=list(TRAIN_TAGS), replacements=reps)
    elif sorted(model.tags) == sorted(TRAIN_TAGS) and [] in tag_sets:
        model, train = load(model.path, tags=[], replacements=reps), model
    for m in filter(None, (model, train)):
        admit(m)
    plans = plan_signatures(model, [signature] if signature else None, None, None)
    return HubBuilder(model, plans, False, train_model=train).build()


@dataclasses.dataclass
class HubBuilder(Builder):
    """A :class:`Builder` for TF1 Hub modules: ``UPDATE_OPS`` run with each signature whose inputs
    they need (``hub.load`` drops them), regularization losses become ``regularization_losses()``,
    ``trainable_variables`` is recorded by name; ``train_model`` (its train graph) beside it."""

    train_model: V1Model | None = None
    train_source: V1Model | None = dataclasses.field(default=None, init=False)
    train_plans: list[Plan] = dataclasses.field(default_factory=list, init=False)
    shared: list[str] = dataclasses.field(default_factory=list, init=False)

    def build(self) -> V2Model:
        updates = {p.name: _updates_for(self.model, p, "") for p in self.plans}
        if self.train_model is not None:
            self._prepare_train()
            for p in self.train_plans:
                updates[p.name] = _updates_for(self.train_model, p, f"{TRAIN_SCOPE}/")
            self.plans = self.plans + self.train_plans
        self.updates = {k: v for k, v in updates.items() if v}
        v2 = super().build()
        defs = variable_defs(self.model.meta_graph, TRAINABLE_VARIABLES)
        names = [op_name(vd.variable_name) for vd in defs]
        for v in v2.variables:  # TF1-era VariableDefs lack ``trainable``: the collection decides
            if v.name.split(":")[0] in names and not v.trainable and hasattr(v, "_trainable"):
                v._trainable = True  # noqa: SLF001 - read-only in the public API
        # Regularization losses read variables: none when frozen.
        reg = [] if self.freeze else self.model.collection(REGULARIZATION_LOSSES)
        if losses := [t for n in reg if (t := graph_element(self.graph, n)) is not None]:
            pruned = self.wrapped.prune(feeds=[], fetches=losses)
            fn = tf().function(lambda: pruned(), input_signature=[], autograph=False)
            v2._root.regularization_losses = fn
            fn.get_concrete_function()
        train = {p.name[: -len(TRAIN_SUFFIX)]: p.name for p in self.train_plans}
        v2.extra_meta = {
            META_KEY: {
                "tags": list(self.model.tags),
                "train_signatures": train,
                "update_ops": {k: len(v) for k, v in self.updates.items()},
                "regularization_losses": len(losses),
                "trainable_variables": names,
            }
        }
        return v2

    def _prepare_train(self) -> None:
        train = self.train_model
        self.train_source = resource_source(train)
        gd, mg = self.train_source.graph_def, self.train_source.meta_graph
        shared = {v.name for v in self.model.variables}
        own = {v.name for v in train.variables}
        if own - shared:
            raise ConversionError(
                f"{train.path}: the train graph has variables the inference graph lacks "
                f"({', '.join(sorted(own - shared)[:3])}): convert each tag set on its own "
                "(explorer.convert(explorer.load(path, tags=...)))"
            )
        self.shared = sorted(own)
        keep = [n for n in gd.node if not (n.name in own and n.op == "VarHandleOp")]
        del gd.node[:]
        gd.node.extend(keep)
        for n in gd.node:  # no colocation with the variables, which come from outside
            n.attr.pop("_class", None)
        for key in set(mg.collection_def) - set(_TRAIN_COLLECTIONS):
            del mg.collection_def[key]
        mg.ClearField("signature_def")
        mg.ClearField("saver_def")
        prefix = f"{TRAIN_SCOPE}/"
        self.model = dataclasses.replace(
            self.model,
            assets={**self.model.assets, **{prefix + k: v for k, v in train.assets.items()}},
        )
        plans = {p.name: p for p in self.plans}
        for sig in (s for s in train.signatures.values() if s.name in plans):
            self.train_plans.append(
                dataclasses.replace(
                    plans[sig.name],
                    name=sig.name + TRAIN_SUFFIX,
                    inputs={k: _prefixed(s, prefix) for k, s in sig.inputs.items()},
                    outputs={k: _prefixed(s, prefix) for k, s in sig.outputs.items()},
                )
            )

    def _import(self) -> None:
        super()._import()
        if self.train_source is None:
            return
        graph = tf1().get_default_graph()
        mg = meta_graph_with(self.train_source.meta_graph, prepare_graph_def(self.train_source))
        input_map = {f"{v}:0": graph.get_tensor_by_name(f"{v}:0") for v in self.shared}
        tf1().train.import_meta_graph(
            mg, clear_devices=False, import_scope=TRAIN_SCOPE, input_map=input_map
        )


def _prefixed(spec: TensorSpec, prefix: str) -> TensorSpec:
    parts = tuple(prefix + c for c in spec.components)
    return dataclasses.replace(spec, name=spec.name and prefix + spec.name, components=parts)


def _updates_for(model: V1Model, plan: Plan, prefix: str) -> list[str]:
    """The module's update ops (names with ``prefix``) whose placeholders the plan feeds."""
    specs = plan.inputs.values()
    fed = {op_name(t.removeprefix(prefix)) for s in specs for t in s.components or (s.name,)}
    placeholders = {n.name for n in model.graph_def.node if n.op in PLACEHOLDER_OPS}
    index = graph_index(model.graph_def)
    ops = [op_name(n) for n in model.collection(UPDATE_OPS)]
    needs = [(op, index.upstream([op]) & placeholders) for op in ops]
    return [prefix + op for op, needed in needs if needed and needed <= fed]
