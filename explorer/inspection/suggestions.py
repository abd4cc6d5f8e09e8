"""Which tensors are a model's inputs and outputs: ``explorer.suggest(model)``; among the inputs,
input pipelines (iterator or queue outputs, fed directly) and their ``tf.Example`` features."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from explorer.errors import TensorNotFoundError
from explorer.graph.index import GraphIndex, graph_index
from explorer.graph.names import data_inputs, op_name
from explorer.graph.op_families import (
    DEFAULT_PLACEHOLDER_OPS,
    INPUT_OPS,
    MAP_DATASET_OPS,
    NOT_IO_OPS,
    PARSE_EXAMPLE_OPS,
    PIPELINE_OUTPUT_OPS,
    PIPELINE_PASS_OPS,
    PLACEHOLDER_OPS,
)
from explorer.graph.proto_reader import scalar_value
from explorer.inspection.catalog import Catalog, OpInfo
from explorer.inspection.output_heuristics import Candidate, GraphFacts, candidate, graph_outputs

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef

# A name-scope component that marks saver/init/training/summary/queue machinery.
_EXCLUDED_SCOPE = re.compile(
    r"^(save(_\d+)?|gradients(_\d+)?|init(_\d+)?|init_all_tables|report_uninitialized_\w*|"
    r"summaries|\w*summary\w*|global_step|train(_op)?|optimizer|Initializer|initial_value|"
    r"(GradientDescent|Adam|Momentum|RMSProp|Adagrad\w*|Adadelta|Ftrl|ProximalAdagrad|"
    r"ProximalGradientDescent|SGD|Nadam|Adamax|LAMB)(_\d+)?|"
    r"assert\w*|\w*input_producer|\w*queue\w*|batch(_\d+)?/fifo_queue|"
    r"\w*_queue_runner)$",
    re.IGNORECASE,
)
_EXCLUDED_TYPE_PATTERN = re.compile(
    r"^(Assign\w*|Apply\w*|ResourceApply\w*|SparseApply\w*|ResourceSparseApply\w*|Scatter\w*|"
    r"ResourceScatter\w*|\w*Summary\w*|Queue\w*|\w*Queue(V2)?|\w*Reader(V2)?|Reader\w*|"
    r"Initialize\w*|\w*Table\w*Import\w*)$"
)
_EXCLUDED_COLLECTIONS = (
    "train_op",
    "summaries",
    "global_step",
    "local_variables",
    "metric_variables",
    "update_ops",
    "table_initializer",
)

_LABEL = re.compile(r"^(labels?|targets?|y_true|ground_?truth|gt)(_\d+)?$", re.IGNORECASE)
_INPUT_NAME = re.compile(
    r"^(x|inputs?|images?|features?|examples?|tokens|input_ids|ids|data|input_\w+)(_\d+)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Validation:
    """:meth:`IOChoice.validate`'s answer, truthy when the outputs are computable."""

    ok: bool
    missing: tuple[str, ...]
    defaults: tuple[str, ...]
    unused: tuple[str, ...]
    message: str
    pipeline: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.ok


@dataclass
class IOChoice:
    """Ranked input and output candidates of a model (best first); see :func:`suggest`."""

    inputs: list[Candidate]
    outputs: list[Candidate]
    catalog: Catalog = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        return {side: [c.to_json() for c in getattr(self, side)] for side in ("inputs", "outputs")}

    def validate(self, inputs: Iterable[str], outputs: Iterable[str]) -> Validation:
        """Whether ``outputs`` can be computed when ``inputs`` are fed (TensorNotFoundError)."""
        return validate_choice(self.catalog, inputs, outputs)


def suggest(model: Any, limit: int = 20) -> IOChoice:
    """Ranked input and output candidates (best first) of a model or a :class:`Catalog`."""
    if isinstance(model, Catalog):
        catalog, signatures, excluded_names = model, {}, set()
    else:
        catalog = Catalog.from_model(model)
        signatures = model.signatures
        excluded_names = {op_name(n) for k in _EXCLUDED_COLLECTIONS for n in model.collection(k)}
    excluded = _excluded_ops(catalog, excluded_names)
    facts = GraphFacts(catalog, excluded)
    sig_in, sig_out = _signature_candidates(catalog, signatures)
    graph_out = graph_outputs(catalog, excluded, facts)
    best_out = sig_out[0].name if sig_out else (graph_out[0].name if graph_out else None)
    graph_in = _graph_inputs(catalog, facts, best_out, sig_out or graph_out)
    return IOChoice(_merge(sig_in, graph_in)[:limit], _merge(sig_out, graph_out)[:limit], catalog)


def _signature_candidates(
    catalog: Catalog, signatures: dict[str, Any]
) -> tuple[list[Candidate], list[Candidate]]:
    main = next((k for k in ("serving_default", "default") if k in signatures), None)  # TF1 Hub
    order = sorted(signatures, key=lambda k: (k != main, k))
    sides: dict[str, dict[str, list[str]]] = {"inputs": {}, "outputs": {}}
    specs: dict[str, Any] = {}
    for rank, sig_name in enumerate(order):
        for side in ("inputs", "outputs"):
            for key, spec in getattr(signatures[sig_name], side).items():
                if not spec.name or spec.name not in catalog:
                    continue
                sides[side].setdefault(spec.name, []).append(f"'{key}' of {sig_name}")
                specs.setdefault(spec.name, (spec, rank))
    out: dict[str, list[Candidate]] = {}
    for side, found in sides.items():
        cands = []
        for name, places in found.items():
            spec, rank = specs[name]
            role = "input" if side == "inputs" else "output"
            also = f" (also {', '.join(places[1:3])}{', ...' if len(places) > 3 else ''})"
            kind = f" {spec.kind}, fed as its components" if spec.kind != "dense" else ""
            reason = f"signature {role} {places[0]}{also if len(places) > 1 else ''}{kind}"
            t = catalog.tensor(name)
            score = (20.0 if order[rank] == main else 15.0) - 0.01 * rank
            if side == "inputs" and catalog.op(name).type in PLACEHOLDER_OPS:
                score += 0.5  # the graph's own input, not a tensor computed from it
                reason += "; a Placeholder"
            shape = spec.shape if spec.shape is not None else t.shape
            cands.append(Candidate(name, spec.dtype or t.dtype, shape, score, reason, "signature"))
        out[side] = sorted(cands, key=lambda c: -c.score)
    return out["inputs"], out["outputs"]


def _excluded_ops(catalog: Catalog, names: set[str]) -> set[str]:
    """Ops that are not inference: by scope, by type, or listed in training/saver collections."""
    out = set()
    for op in catalog.ops:
        if (
            op.name in names
            or op.type in NOT_IO_OPS
            or _EXCLUDED_TYPE_PATTERN.match(op.type)
            or any(_EXCLUDED_SCOPE.match(s) for s in op.name.split("/")[:-1])
        ):
            out.add(op.name)
    return out


def _graph_inputs(
    catalog: Catalog, facts: GraphFacts, best_out: str | None, outputs: list[Candidate]
) -> list[Candidate]:
    """Placeholders and the pipeline outputs the model reads, those the best output needs first."""
    needed_by_best = catalog.upstream([best_out]) if best_out is not None else set()
    good = [c.name for c in outputs if c.score > 0 and not c.concerns]
    needed_by_any = catalog.upstream(good) if good else set()
    ups = {name: catalog.upstream([name]) for name in good[1:6]}
    out = []
    for op in catalog.search(op_type=INPUT_OPS):
        if op.name in facts.excluded:  # by scope, type or collection (_excluded_ops)
            continue
        last = op.name.rpartition("/")[2]
        why: list[str] = []
        default, kind = None, "placeholder"
        if op.type in DEFAULT_PLACEHOLDER_OPS:
            default, kind, score = _default_of(catalog, op), "switch", 1.0
            why.append(f"switch (PlaceholderWithDefault), default {default}: feed to change")
            if op.name in needed_by_best:
                score += 3
                why.append(f"feeds {best_out}")
        elif op.name in needed_by_best:
            score = 8.0
            why.append(f"Placeholder: must be fed; feeds {best_out}")
        elif op.name in needed_by_any:
            score = 5.0
            fed = [n for n, up in ups.items() if op.name in up] or good[1:2]
            why.append(f"Placeholder: feeds {', '.join(fed[:2])}, not {best_out}")
        else:
            score = 2.0
            why.append(
                "Placeholder: feeds no suggested output (a label or training input): leave it unfed"
            )
        if op.name in facts.labels:
            score -= 2
            why.append(f"read as labels by {facts.labels[op.name]}")
        elif _LABEL.match(last):
            score -= 2
            why.append("named like a label")
        elif _INPUT_NAME.match(last):
            score += 1
        if not op.consumers:
            score -= 2
            why.append("nothing reads it")
        elif all(c in facts.excluded for c in op.consumers):
            score -= 3
            why.append("only training ops read it (a learning rate or other hyperparameter)")
        out.append(candidate(catalog, op.outputs[0], score, why, kind, default))
    for p in pipeline_inputs(catalog.graph_def):  # fed instead of running the pipeline
        op = catalog.op(p.tensor.partition(":")[0])
        feature = f", feature {p.feature!r}" if p.feature else ""
        why = [f"input pipeline output ({op.type} {op.name}{feature}): fed instead of the pipeline"]
        readers = [c for c in catalog.tensor(p.tensor).consumers if c not in facts.excluded]
        if best_out is not None and any(r in needed_by_best for r in readers):
            score = 8.5
            why.append(f"must be fed for {best_out}")
        elif any(r in needed_by_any for r in readers):
            score = 5.5
        else:
            score = 2.0
            why.append("no suggested output needs it (a label?): leave it unfed")
        if label_of := facts.labels.get(p.tensor):
            score -= 2
            why.append(f"read as labels by {label_of}")
        out.append(candidate(catalog, p.tensor, score, why, "pipeline", p.feature))
    out.sort(key=lambda c: (-c.score, catalog.position(c.name)))
    return out


def _default_of(catalog: Catalog, op: OpInfo) -> str:
    """A PlaceholderWithDefault's default as text (``1.0``), or where it comes from."""
    src = catalog.op(op.inputs[0])
    if src.type != "Const" or "value" not in src.node.attr:
        return f"from {src.name}"
    value = scalar_value(src.node.attr["value"].tensor)
    return src.attrs.get("value", src.name) if value is None else value


def _merge(first: list[Candidate], second: list[Candidate]) -> list[Candidate]:
    seen = {c.name for c in first}
    return first + [c for c in second if c.name not in seen]


def validate_choice(catalog: Catalog, inputs: Iterable[str], outputs: Iterable[str]) -> Validation:
    feeds = [_tensor_name(catalog, n) for n in inputs]
    fetches = list(outputs)
    for n in fetches:
        catalog.op(n)  # raises TensorNotFoundError with the fix
        if ":" in n:
            catalog.tensor(n)
    fed = set(feeds)
    pipes = {t for op in catalog.search(op_type=PIPELINE_OUTPUT_OPS) for t in op.outputs}
    needed = catalog.upstream(fetches, stop=fed | pipes)
    missing, defaults, used, pipeline = [], [], set(), []
    for name in sorted(needed, key=catalog.position):
        op = catalog.op(name)
        if op.type in PLACEHOLDER_OPS and f"{name}:0" not in fed:
            missing.append(name)
        elif op.type in DEFAULT_PLACEHOLDER_OPS and f"{name}:0" not in fed:
            defaults.append(name)
        used.update(t for t in op.inputs if t in fed)
        pipeline.extend(t for t in op.inputs if t in pipes and t not in fed and t not in pipeline)
    used.update(t for t in fetches if t in fed)
    unused = [t for t in feeds if t not in used]

    def not_fed(what: str, names: list[str]) -> str:
        need = "needs" if len(fetches) == 1 else "need"
        many = len(names) > 1
        return (
            f"{', '.join(fetches)} {need} {what}{'s' if many else ''} {', '.join(names)}, not "
            f"fed: add {'them' if many else 'it'} to the inputs"
        )

    if missing:
        message = not_fed("placeholder", missing)
    elif pipeline:
        message = not_fed("input-pipeline output", pipeline)
        message += " (feeding them cuts the pipeline: its readers do not run)"
    else:
        message = "the outputs are computable from the inputs"
        if defaults:
            message += f" (defaults used for {', '.join(defaults)})"
    if unused:
        message += f"; unused input{'s' if len(unused) > 1 else ''}: {', '.join(unused)}"
    ok = not missing and not pipeline
    return Validation(ok, *map(tuple, (missing, defaults, unused)), message, tuple(pipeline))


def _tensor_name(catalog: Catalog, name: str) -> str:
    full = name if ":" in name else f"{name}:0"
    try:
        catalog.tensor(full)
    except TensorNotFoundError:
        raise TensorNotFoundError(
            f"input {name!r} is not a tensor of {catalog.source}: see explorer.suggest(model)"
        ) from None
    return full


@dataclass(frozen=True)
class PipelineInput:
    """One pipeline output the model reads, its ``tf.Example`` ``feature`` and ``parse_op``."""

    tensor: str
    op_type: str
    feature: str | None = None
    parse_op: str | None = None


def pipeline_inputs(graph_def: GraphDef) -> list[PipelineInput]:
    """Every consumed output of every pipeline op, in graph order."""
    index = graph_index(graph_def)
    out = []
    for node in graph_def.node:
        if node.op not in PIPELINE_OUTPUT_OPS:
            continue
        find = _queue_feature if node.op.startswith("QueueDequeue") else _iterator_feature
        for k in sorted(_used_outputs(index, node.name)):
            try:
                feature, parse = find(index, node, k)
            except (IndexError, KeyError, ValueError):
                feature, parse = None, None
            out.append(PipelineInput(f"{node.name}:{k}", node.op, feature, parse))
    return out


def _used_outputs(index: GraphIndex, name: str) -> set[int]:
    readers = index.op_consumers.get(name, [])
    return {int(i.partition(":")[2]) for c in readers for i in data_inputs(c) if op_name(i) == name}


def _queue_feature(index: GraphIndex, node: NodeDef, k: int) -> tuple[str | None, str | None]:
    queue = op_name(node.input[0])
    for c in index.op_consumers.get(queue, []):
        if c.op.startswith("QueueEnqueue") and len(c.input) > k + 1:
            return _parsed_key(index.nodes, c.input[k + 1], None)
    return None, None


def _iterator_feature(index: GraphIndex, node: NodeDef, k: int) -> tuple[str | None, str | None]:
    iterator = index.nodes[op_name(node.input[0])]
    for scope_nodes, dataset in _datasets_of(index, iterator):
        if (mapped := _map_of(scope_nodes, dataset)) is not None:
            f = index.functions[mapped.attr["f"].func.name]
            ret = f.ret[f.signature.output_arg[k].name]
            return _parsed_key(index.function_nodes(f.signature.name), ret, f.signature.name)
    return None, None


def _datasets_of(index: GraphIndex, iterator: Any) -> Iterator[tuple[dict[str, Any], Any]]:
    if "dataset_factory" in iterator.attr:  # OneShotIterator: the dataset is built in a fn
        f = index.functions[iterator.attr["dataset_factory"].func.name]
        body = index.function_nodes(f.signature.name)
        ret = f.ret[f.signature.output_arg[0].name]
        yield body, body[op_name(ret)]
    for c in index.op_consumers.get(iterator.name, []):
        if c.op in ("MakeIterator", "MakeIteratorV2"):
            yield index.nodes, index.nodes[op_name(c.input[0])]


def _map_of(nodes: dict[str, Any], dataset: Any) -> Any:
    """The closest ``map`` dataset on the chain from ``dataset`` back to its sources."""
    seen = 0
    while dataset is not None and seen < 50:
        if dataset.op in MAP_DATASET_OPS and "f" in dataset.attr:
            return dataset
        if not dataset.input:
            return None
        dataset, seen = nodes.get(op_name(dataset.input[0])), seen + 1
    return None


def _parsed_key(nodes: dict[str, Any], ref: str, fn: str | None) -> tuple[str | None, str | None]:
    for _ in range(12):
        if (node := nodes.get(op_name(ref))) is None:
            return None, None
        if node.op in PARSE_EXAMPLE_OPS:
            key = _key_of_output(nodes, node, ref)
            where = f"{fn}::{node.name}" if fn else node.name
            return (key, where) if key else (None, None)
        if node.op not in PIPELINE_PASS_OPS or not node.input:
            return None, None
        ref = node.input[0]
    return None, None


def _key_of_output(nodes: dict[str, Any], node: NodeDef, ref: str) -> str | None:
    """The feature key of a parse op's output ``ref`` (``op:3``, or ``op:dense_values:1``)."""
    parts = ref.split(":")
    ns = int(node.attr["num_sparse"].i if "num_sparse" in node.attr else node.attr["Nsparse"].i)
    sparse, dense, _ = keys_in(nodes, node)
    if len(parts) == 3:  # function body: arg name and index
        arg, j = parts[1], int(parts[2])
        if arg == "dense_values":
            return dense[j] if j < len(dense) else None
        if arg in ("sparse_values", "sparse_indices", "sparse_shapes"):
            return sparse[j] if j < len(sparse) else None
        return None
    i = int(parts[1]) if len(parts) == 2 else 0
    if i < 3 * ns:
        return sparse[i % ns] if ns else None
    j = i - 3 * ns
    return dense[j] if j < len(dense) else None


def example_keys(
    node: NodeDef, const: Callable[[str], Any]
) -> tuple[list[str], list[str], list[str]]:
    """(sparse, dense, ragged) feature keys of a parse op; ``const(input)``: a key's constant."""

    def strings(ref: str) -> list[str]:
        v = const(ref)
        flat = [] if v is None else v.reshape(-1).tolist() if hasattr(v, "reshape") else list(v)
        return [k.decode() if isinstance(k, bytes) else str(k) for k in flat]

    if node.op == "ParseSingleExample":  # keys are attributes
        sparse, dense = (
            [k.decode() for k in node.attr[a].list.s] if a in node.attr else []
            for a in ("sparse_keys", "dense_keys")
        )
        return sparse, dense, []
    if node.op == "ParseExampleV2":
        return strings(node.input[2]), strings(node.input[3]), strings(node.input[4])
    ns, nd = (int(node.attr[a].i) if a in node.attr else 0 for a in ("Nsparse", "Ndense"))
    keys = [(strings(node.input[2 + i]) or [""])[0] for i in range(ns + nd)]  # one Const each
    return keys[:ns], keys[ns:], []


def keys_in(nodes: dict[str, NodeDef], node: NodeDef) -> tuple[list[str], list[str], list[str]]:
    """:func:`example_keys` of a parse op among ``nodes`` (a graph's or a function body's)."""
    return example_keys(node, lambda ref: _strings(nodes, ref))


def _strings(nodes: dict[str, Any], ref: str) -> list[str]:
    node = nodes.get(op_name(ref))
    while node is not None and node.op == "Identity" and node.input:
        node = nodes.get(op_name(node.input[0]))
    if node is None or node.op != "Const" or "value" not in node.attr:
        return []
    return [s.decode() for s in node.attr["value"].tensor.string_val]
