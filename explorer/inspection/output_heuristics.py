"""Output candidates of a graph: :func:`graph_outputs` scores inference ops by the output rules,
one registered rule (``@output_rule``: ``fn(facts, op) -> Verdict | None``) per reason why a tensor
is (or is not) a model's output, each reading what a training graph says about the op
(:class:`GraphFacts`: losses, labels, layers).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from explorer.graph.index import GraphIndex, graph_index
from explorer.graph.names import op_name
from explorer.graph.op_families import (
    ACTIVATION_HEAD_OPS,
    CONTROL_FLOW_BACK_EDGE_OPS,
    CONTROL_FLOW_ENTRY_OPS,
    CTC_DECODER_OPS,
    DATA_SIZED_OPS,
    HEAD_PASS_OPS,
    IDENTITY_OPS,
    INPUT_OPS,
    LAYER_OPS,
    LOGIT_OPS,
    LOSS_OPS,
    PIPELINE_OUTPUT_OPS,
    RESHAPE_OPS,
    SCALAR_REDUCTION_OPS,
    SHAPE_OPS,
    SUMMARY_OPS,
    VARIABLE_OPS,
)
from explorer.graph.proto_reader import Shape
from explorer.graph.registry import OpRegistry
from explorer.inspection.catalog import Catalog, OpInfo
from explorer.inspection.scan_rules import const_ints

_GRADIENT_SCOPE = re.compile(r"^(.*/)?gradients(_\d+)?$")
_LOSS_NAME = re.compile(r"(loss|cost|xent|cross_?entropy)", re.IGNORECASE)
_TRAINING_UPDATE = re.compile(r"^(Resource)?(Sparse)?Apply\w+$")
_STOP_GRADIENT_PASS = RESHAPE_OPS | {"Identity"}
_GENERATED_PASS = frozenset({"Identity", "Reshape", "Cast", "ExpandDims"})
# Comparing ops: which input holds the labels (None: either side, decided by the graph).
LABEL_INPUT: dict[str, int | None] = {
    **dict.fromkeys(("SoftmaxCrossEntropyWithLogits", "SparseSoftmaxCrossEntropyWithLogits"), 1),
    **dict.fromkeys(("InTopK", "InTopKV2"), 1),
    **dict.fromkeys(("SquaredDifference", "Equal", "NotEqual")),
}


class GraphFacts:
    """Facts about the inference part of a graph (``excluded``: ops that are not inference); what
    an output rule sees (``fn(facts, op)``)."""

    def __init__(self, catalog: Catalog, excluded: set[str]) -> None:
        self.catalog = catalog
        self.index = graph_index(catalog.graph_def)
        self.excluded = excluded
        self.ops = [op for op in catalog.ops if op.name not in excluded]
        self.by_name = {op.name: op for op in catalog.ops}
        self.op = catalog.op
        self.pipeline_ops = frozenset(catalog.search_names(op_type=PIPELINE_OUTPUT_OPS))
        self.variables = frozenset(catalog.search_names(op_type=VARIABLE_OPS))

    @cached_property
    def sources(self) -> frozenset[str]:
        """What a feed_dict feeds: placeholder op names and pipeline output tensors."""
        inputs = set(self.catalog.search_names(op_type=INPUT_OPS))
        return frozenset(inputs | {t for n in self.pipeline_ops for t in self.by_name[n].outputs})

    def _source_of(self, tensor: str) -> str | None:
        """The source a data input reads: a placeholder op, a pipeline output tensor, or None."""
        name = op_name(tensor)
        if name in self.pipeline_ops:
            return tensor if ":" in tensor else f"{tensor}:0"
        return name if name in self.sources else None

    def readers(self, op: Any) -> list[str]:
        """Consumers of ``op`` in the inference graph."""
        return [c for c in op.consumers if c not in self.excluded]

    @cached_property
    def data_sized(self) -> set[str]:
        """Ops downstream of one whose output size depends on the values (NMS, Where, ...)."""
        sized = [o.name for o in self.catalog.search(op_type=DATA_SIZED_OPS)]
        return self.index.downstream(sized, control=False, excluded=self.excluded)

    def batched(self, tensor: str) -> bool:
        """Whether ``tensor``'s dim 0 is a batch: unknown in its shape, or (no shape recorded) in
        a placeholder of rank 2 or more it depends on."""
        shape = self.catalog.tensor(tensor).shape
        if shape is not None:
            return bool(shape) and shape[0] is None
        deps = self.deps.get(op_name(tensor), ())
        shapes = (self.catalog.tensor(p if ":" in p else f"{p}:0").shape for p in deps)
        return any(s is not None and len(s) > 1 and s[0] is None for s in shapes)

    def _propagate(self, through_shapes: bool) -> dict[str, frozenset[str]]:
        deps: dict[str, frozenset[str]] = {s: frozenset({s}) for s in self.sources if ":" not in s}
        order = [op for op in self.ops if op.name not in deps and op.name not in self.pipeline_ops]
        changed = True
        while changed:  # graph order is not topological in general (while loops): a fixpoint
            changed = False
            for op in order:
                if not through_shapes and op.type in SHAPE_OPS:
                    continue
                acc: frozenset[str] | None = deps.get(op.name)
                for t in op.inputs:
                    src = self._source_of(t)
                    d = frozenset({src}) if src is not None else deps.get(op_name(t))
                    if d and (acc is None or not d <= acc):
                        acc = d if acc is None else acc | d
                if acc is not None and acc is not deps.get(op.name):
                    deps[op.name] = acc
                    changed = True
        return deps

    @cached_property
    def deps(self) -> dict[str, frozenset[str]]:
        """Op -> the sources its value depends on (data edges; not through ``Shape``/``Size``)."""
        return self._propagate(through_shapes=False)

    @cached_property
    def needs(self) -> dict[str, frozenset[str]]:
        """Op -> the sources that must be fed to compute it (shapes included)."""
        return self._propagate(through_shapes=True)

    def shape_only(self, name: str) -> bool:
        """Computed from fed values' shapes only (``logits/Shape``, ``strided_slice`` of it)."""
        return bool(self.needs.get(name)) and not self.deps.get(name)

    @cached_property
    def minimized(self) -> dict[str, str]:
        """Loss op -> the gradients scope that differentiates it."""
        out: dict[str, str] = {}
        for op in self.catalog.ops:
            scope, _, last = op.name.rpartition("/")
            seed = op.type == "Fill" or last.startswith("grad_ys")
            if not (scope and _GRADIENT_SCOPE.match(scope) and seed):
                continue
            for c in op.consumers:
                head = (c[len(scope) + 1 :] if c.startswith(scope + "/") else "").split("/")
                for k in range(len(head) - 1, 0, -1):
                    part = head[k - 1]
                    if part.endswith("_grad"):
                        loss = "/".join(head[: k - 1] + [part[: -len("_grad")]])
                        if loss in self.by_name:
                            out[loss] = scope
                        break
        return out

    @cached_property
    def summarized_losses(self) -> dict[str, str]:
        """Value op -> the loss-named summary recording it (``Neg`` -> ``D_loss``)."""
        summaries = [op for op in self.catalog.ops if op.type in SUMMARY_OPS and len(op.inputs) > 1]
        return {op_name(op.inputs[1]): op.name for op in summaries if _LOSS_NAME.search(op.name)}

    def loss_reason(self, name: str) -> str | None:
        """Why ``name`` is a loss (``None`` when it is not known to be one)."""
        if name in self.minimized:
            return f"the loss an optimizer minimizes ({self.minimized[name]} differentiates it)"
        if name in self.summarized_losses:
            return f"a loss (summary {self.summarized_losses[name]} records it)"
        return None

    @cached_property
    def labels(self) -> dict[str, str]:
        """Source op -> the loss/metric op reading it on its label side."""
        out: dict[str, str] = {}
        for op in self.ops:
            if op.type not in LABEL_INPUT or len(op.inputs) < 2:
                continue
            side = LABEL_INPUT[op.type]
            a, b = op_name(op.inputs[0]), op_name(op.inputs[1])
            if side is None:
                if not self._deps_of(op.inputs[0]) or not self._deps_of(op.inputs[1]):
                    continue
                stop_a, stop_b = self._behind_stop_gradient(a), self._behind_stop_gradient(b)
                if stop_a != stop_b:
                    side = 0 if stop_a else 1
                elif self.weight_upstream(a) != self.weight_upstream(b):
                    side = 0 if not self.weight_upstream(a) else 1
                else:
                    continue
            # every source of the label side, also one feeding the other side (teacher forcing)
            for src in self._deps_of(op.inputs[side]):
                out.setdefault(src, op.name)
        return out

    def _deps_of(self, tensor: str) -> frozenset[str]:
        src = self._source_of(tensor)
        return frozenset({src}) if src is not None else self.deps.get(op_name(tensor), frozenset())

    def _behind_stop_gradient(self, name: str) -> bool:
        op = self.by_name.get(self.through(name, _STOP_GRADIENT_PASS))
        return op is not None and op.type == "StopGradient"

    def weight_of(self, tensor: str) -> str | None:
        """The variable (or constant weight, in a graph without variables) ``tensor`` reads."""
        op = self.index.source(tensor)
        if op is None or op.op not in VARIABLE_OPS | {"Const"}:
            return None
        if op.op == "Const":  # a weight: a float32, float64 or half tensor of rank 1 or more
            t = op.attr["value"].tensor if "value" in op.attr else None
            if self.variables or t is None or t.dtype not in (1, 2, 19) or not t.tensor_shape.dim:
                return None
        return op.name

    @cached_property
    def weighted(self) -> dict[str, str]:
        """Layer op -> the weight it reads (``MatMul`` of a kernel, ``Add`` of a bias, ...)."""
        layers = [op for op in self.ops if op.type in LAYER_OPS]
        found = {op.name: next(filter(None, map(self.weight_of, op.inputs)), None) for op in layers}
        return {name: w for name, w in found.items() if w is not None}

    @cached_property
    def feeds_a_layer(self) -> frozenset[str]:
        """Ops whose value a later layer reads: upstream of a weighted op's other inputs."""
        inputs = [t for name in self.weighted for t in self.by_name[name].inputs]
        starts = [t for t in inputs if self.weight_of(t) is None]
        walk = self.index.upstream(starts, control=False, excluded=self.excluded)
        return frozenset(n for n in walk if n in self.by_name)

    @cached_property
    def _weight_flags(self) -> dict[str, int]:
        """Op -> bits: 1 from a trained variable, 2 from an untrained one, 4 from any weight."""
        flags = {n: 4 | (1 if n in self.trained else 2) for n in self.variables}
        for name, w in self.weighted.items():
            flags[name] = flags.get(name, 0) | flags.get(w, 4)
        changed = True
        while changed:
            changed = False
            for op in self.ops:
                acc = flags.get(op.name, 0)
                for t in op.inputs:
                    acc |= flags.get(op_name(t), 0)
                if acc != flags.get(op.name, 0):
                    flags[op.name] = acc
                    changed = True
        return flags

    def weight_upstream(self, name: str) -> bool:
        """Computed from the model's weights (always true in a graph without any weight)."""
        if not self.variables and not self.weighted:
            return True
        return bool(self._weight_flags.get(name, 0) & 4)

    @cached_property
    def trained(self) -> frozenset[str]:
        """Variables an optimizer updates (``Apply*``, or updates in an ``update_<var>`` scope)."""
        out = set()
        for op in self.catalog.ops:
            if _TRAINING_UPDATE.match(op.type) or (
                "/update_" in f"/{op.name}" and op.type.startswith(("Assign", "Scatter"))
            ):
                w = self.weight_of(op.inputs[0]) if op.inputs else None
                if w is not None and w in self.variables:
                    out.add(w)
        return frozenset(out)

    def target_network(self, name: str) -> bool:
        """Computed only from variables no optimizer trains, where one trains others (a DQN)."""
        return bool(self.trained) and (self._weight_flags.get(name, 0) & 3) == 2

    @cached_property
    def greedy(self) -> frozenset[str]:
        """Ops downstream of a greedy decoder's ``ArgMax`` (through a ``Gather`` to the loop)."""
        argmaxes = [op.name for op in self.ops if op.type == "ArgMax"]
        starts = [n for n in argmaxes if self._reaches_gather_then_loop(n)]
        return frozenset(self.index.downstream(starts, control=False, excluded=self.excluded))

    def _reaches_gather_then_loop(self, start: str, limit: int = 60) -> bool:
        seen, todo = set(), deque([(start, False)])
        while todo and len(seen) < limit:
            name, through = todo.popleft()
            if (name, through) in seen:
                continue
            seen.add((name, through))
            op = self.by_name[name]
            if through and op.type in CONTROL_FLOW_BACK_EDGE_OPS:
                return True
            now = through or op.type in ("Gather", "GatherV2", "ResourceGather")
            todo.extend((c, now) for c in op.consumers if c not in self.excluded)
        return False

    @cached_property
    def generated(self) -> dict[str, tuple[str, str]]:
        """Op -> (weight, source): a value standing in for a fed input (a GAN's generator)."""
        raw: dict[tuple[str, str, int], list[str]] = {}  # (weight, type, slot) -> sources
        values: dict[tuple[str, str, int], list[str]] = {}  # ... -> computed values
        for layer, w in self.weighted.items():
            op = self.by_name[layer]
            slot = next((i for i, t in enumerate(op.inputs) if self.weight_of(t) == w), -1)
            for t in op.inputs:
                if self.weight_of(t) is not None:
                    continue
                src = self.through(op_name(t), _GENERATED_PASS)
                key = (w, op.type, slot)
                if src in self.sources:
                    raw.setdefault(key, []).append(src)
                else:
                    values.setdefault(key, []).append(op_name(t))
        out = {}
        for key, names in values.items():
            for v in names:
                mine = self.deps.get(v, frozenset())
                for src in raw.get(key, []):
                    if mine and src not in mine:
                        out.setdefault(v, (key[0], src))
        return out

    def through(self, name: str, types: frozenset[str]) -> str:
        """The op ``name`` reads through ops of ``types`` (first inputs)."""
        node = self.index.source(name, types)
        return name if node is None else node.name


STRONG_OUTPUT = re.compile(
    r"^(softmax|probs?|probabilit(y|ies)|logits?|preds?|predictions?|predicted|outputs?|"
    r"y_pred|y_hat)(_\d+)?$",
    re.IGNORECASE,
)
WEAK_OUTPUT = re.compile(
    r"(softmax|prob|logit|pred|output|score|class|result|embedding|sigmoid|argmax|out$|^y$|"
    r"detection|box(es)?$|landmark|heatmap|keypoint|^num_)",
    re.IGNORECASE,
)
LOSS_NAME = re.compile(r"(loss|cost|xent|cross_?entropy|mse|mae|error|accuracy)", re.IGNORECASE)
# Names TF gives ops when the user did not name them (besides the op type itself).
AUTO_NAMES = frozenset(
    {"add", "mul", "sub", "truediv", "div", "floordiv", "mod", "pow", "neg", "matmul", "read"}
)


@dataclass(frozen=True)
class Verdict:
    """One rule's word on an op: ``score`` added, ``reason`` shown, ``source`` (it *is* an output:
    a candidate needs one) and ``concern`` (probably not the model's output: never chosen alone)."""

    score: float
    reason: str
    source: bool = False
    concern: bool = False


RuleFn = Callable[[GraphFacts, Any], "Verdict | None"]
OUTPUT_RULES: OpRegistry[RuleFn] = OpRegistry("output rule", many=True)
"""Output rules by name, in registration order (entries' ``op_types``: empty for every op)."""
output_rule = OUTPUT_RULES.register
"""``@output_rule(*op_types, name=...)``: register ``fn(facts, op) -> Verdict | None`` for ops of
``op_types`` (none: all ops); ``ValueError`` when ``name`` is taken."""


def verdicts(ctx: GraphFacts, op: Any) -> list[Verdict]:
    """Every registered rule's verdict on ``op``, in registration order (``None`` left out)."""
    return [v for e in OUTPUT_RULES.matching(op.type) if (v := e.value(ctx, op)) is not None]


def metric_count(facts: GraphFacts, op: Any) -> str | None:
    """The labels ``op`` counts with when it is an integer scalar summed (through casts) from them:
    a metric's count (correct predictions, labelled items; no gradient: never a loss), or None."""
    t = facts.catalog.tensor(op.outputs[0]) if op.outputs else None
    labels = sorted(facts.deps.get(op.name, frozenset()) & facts.labels.keys())
    if not labels or t is None or t.shape != () or not re.fullmatch(r"u?int\d+", t.dtype):
        return None
    op = facts.by_name[facts.through(op.name, IDENTITY_OPS | {"Cast"})]
    return ", ".join(labels) if op.type == "Sum" else None


def batch_slice(ctx: GraphFacts, op: Any) -> tuple[str, str] | None:
    """(what ``op``, or the op it copies, keeps; the batched tensor it takes it from) when it
    drops or slices the batch (``tf.identity(model.output[0])``, a reduce over axis 0; no count)."""
    if metric_count(ctx, op):
        return None
    op = ctx.op(ctx.through(op.name, IDENTITY_OPS))
    src = op.inputs[0] if op.inputs else ""
    if not src or not ctx.deps.get(op_name(src)) or not ctx.batched(src):
        return None
    ints = [const_ints(ctx.op(t).node) for t in op.inputs[1:]]
    attr = {k: v.i for k, v in op.node.attr.items()}
    if op.type == "StridedSlice" and attr.get("shrink_axis_mask", 0) & 1 and ints[0]:
        return f"row {ints[0][0]}", src
    if op.type == "Slice" and ints[0] and ints[1] and ints[1][0] != -1:
        return f"rows {ints[0][0]}:{ints[0][0] + ints[1][0]}", src
    if op.type in ("Gather", "GatherV2") and ints[0] is not None and ints[1:2] in ([], [[0]]):
        return f"rows {ints[0]}", src
    dims = op.node.attr["squeeze_dims"].list.i if "squeeze_dims" in op.node.attr else ()
    if op.type == "Squeeze" and 0 in dims:
        return "axis 0 squeezed", src
    if op.type == "Unpack" and not attr.get("axis"):
        return "one row each", src
    if op.type in SCALAR_REDUCTION_OPS and ints and 0 in (ints[0] or ()):
        return f"a {op.type} over axis 0", src
    return None


def reads_as_prediction(reader: Any) -> bool:
    """Whether ``reader`` is a loss or metric op: by name, or a comparing op type."""
    return bool(LOSS_NAME.search(reader.name)) or reader.type in LOSS_OPS


# -- what makes an op an output ----------------------------------------------------------------


@output_rule(name="sink")
def _sink(ctx: GraphFacts, op: Any) -> Verdict | None:
    why = "nothing in the inference graph reads it"
    return None if ctx.readers(op) else Verdict(3.0, why, True)


@output_rule(name="loss-reads-it")
def _loss_reads_it(ctx: GraphFacts, op: Any) -> Verdict | None:
    """A training script's prediction is read only by its loss/metrics (labels join there)."""
    mine = ctx.deps.get(op.name)
    if not mine or LOSS_NAME.search(op.name) or not ctx.weight_upstream(op.name):
        return None
    reader = next((r for r in ctx.readers(op) if reads_as_prediction(ctx.op(r))), None)
    if reader is None:
        return None
    if LOSS_NAME.search(reader) or ctx.loss_reason(reader):
        return Verdict(3.5, f"the prediction a loss reads ({reader})", source=True)
    if ctx.deps.get(reader, frozenset()) > mine:
        return Verdict(2.0, f"the prediction a metric compares with labels ({reader})", source=True)
    return None


@output_rule(name="output-name")
def _named(ctx: GraphFacts, op: Any) -> Verdict | None:
    last = op.name.rpartition("/")[2]
    if STRONG_OUTPUT.match(last):
        return Verdict(3.0, f"named like an output ({last})", source=True)
    if WEAK_OUTPUT.search(last):
        return Verdict(1.5, f"output-like name ({last})")
    scope = op.name.rpartition("/")[0]
    if (
        scope
        and STRONG_OUTPUT.match(scope.rpartition("/")[2])
        and not any(r.startswith(scope + "/") for r in ctx.readers(op))
    ):
        return Verdict(2.5, f"the last op of scope {scope}", source=True)
    return None


@output_rule(*ACTIVATION_HEAD_OPS, name="activation-head")
def _activation_head(ctx: GraphFacts, op: Any) -> Verdict | None:
    if op.name in ctx.feeds_a_layer or not ctx.deps.get(op.name):
        return None
    return Verdict(1.5, f"a {op.type} head (no later layer reads it)", True)


@output_rule("ArgMax", "TopKV2", name="class-head")
def _class_head(ctx: GraphFacts, op: Any) -> Verdict | None:
    return Verdict(0.5, f"a {op.type} head")


@output_rule(*sorted(LOGIT_OPS), name="logits-head")
def _logits_head(ctx: GraphFacts, op: Any) -> Verdict | None:
    """The last layer's ``matmul + b`` (an ``Add``/``BiasAdd`` over the weights)."""
    if op.name in ctx.feeds_a_layer or not ctx.deps.get(op.name):
        return None
    if op.name not in ctx.weighted and not any(op_name(t) in ctx.weighted for t in op.inputs):
        return None
    heads = [r for r in ctx.readers(op) if ctx.op(r).type in ACTIVATION_HEAD_OPS]
    if heads:  # the activation of these logits is the head (probabilities)
        return Verdict(1.0, f"the logits {heads[0]} activates", source=True)
    return Verdict(2.5, f"the last layer's output, logits ({op.type} over the weights)", True)


@output_rule(name="generator")
def _generator(ctx: GraphFacts, op: Any) -> Verdict | None:
    if (found := ctx.generated.get(op.name)) is None:
        return None
    why = f"a generated sample: the layer of {found[0]} that reads {found[1]}:0 reads it in its"
    return Verdict(5.5, f"{why} place (a GAN's generator output)", True)


@output_rule(name="ctc-decoded")
def _ctc_decoded(ctx: GraphFacts, op: Any) -> Verdict | None:
    src = next((ctx.op(t) for t in op.inputs if ctx.op(t).type in CTC_DECODER_OPS), None)
    return None if src is None else Verdict(4.0, f"decoded by {src.name} ({src.type})", True)


@output_rule(name="greedy-decoder")
def _greedy(ctx: GraphFacts, op: Any) -> Verdict | None:
    why = "the greedy decoder's output (each step's ArgMax is the next input)"
    return Verdict(2.0, why) if op.name in ctx.greedy else None


@output_rule(name="label-frontier")
def _label_frontier(ctx: GraphFacts, op: Any) -> Verdict | None:
    """The last value on the inference side before the labels join it (read by a loss or a
    metric together with the labels)."""
    labels = ctx.labels
    if not labels or op.type in SHAPE_OPS or not ctx.deps.get(op.name):
        return None
    if ctx.needs.get(op.name, frozenset()) & labels.keys() or not ctx.weight_upstream(op.name):
        return None
    for r in ctx.readers(op):
        if reads_as_prediction(ctx.op(r)):
            return None  # the prediction a loss or metric reads: rule loss-reads-it says so
        joined = ctx.needs.get(r, frozenset()) & labels.keys()
        if joined:
            why = f"the last value before the labels ({', '.join(sorted(joined))}) join it at {r}"
            return Verdict(2.0, why, True)
    return None


@output_rule(name="metric-count")
def _metric_count(ctx: GraphFacts, op: Any) -> Verdict | None:
    if ctx.readers(op) or (labels := metric_count(ctx, op)) is None:
        return None
    return Verdict(1.5, f"a metric's count over the fed labels {labels} (integer: no loss)", True)


@output_rule(name="user-named")
def _user_named(ctx: GraphFacts, op: Any) -> Verdict | None:
    last = re.sub(r"_\d+$", "", op.name.rpartition("/")[2]).lower()
    return None if last == op.type.lower() or last in AUTO_NAMES else Verdict(1.0, "")


# -- what makes an op unlikely to be the model's output ----------------------------------------


@output_rule(name="constants-only")
def _constants_only(ctx: GraphFacts, op: Any) -> Verdict | None:
    why = "computed from constants/variables only"
    return None if ctx.needs.get(op.name) else Verdict(-4.0, why, concern=True)


@output_rule(name="loss")
def _loss(ctx: GraphFacts, op: Any) -> Verdict | None:
    why = ctx.loss_reason(op.name)
    if why is not None:
        return Verdict(-6.0, why, concern=True)
    if LOSS_NAME.search(op.name):
        return Verdict(-4.0, "looks like a training loss or metric", concern=True)
    return None


@output_rule(name="batch-slice")
def _batch_slice(ctx: GraphFacts, op: Any) -> Verdict | None:
    if (found := batch_slice(ctx, op)) is None:
        return None
    return Verdict(-6.0, f"keeps {found[0]} of {found[1]} (slices the batch)", concern=True)


@output_rule(name="shapes-only")
def _shapes_only(ctx: GraphFacts, op: Any) -> Verdict | None:
    if op.name in ctx.data_sized:
        return None  # the size of what NMS/Where kept: a count, an output (num_detections)
    if op.type in SHAPE_OPS:
        return Verdict(-4.0, "a shape computation", concern=True)
    if ctx.shape_only(op.name):
        return Verdict(-4.0, "computed from the inputs' shapes only", concern=True)
    return None


@output_rule(name="needs-labels")
def _needs_labels(ctx: GraphFacts, op: Any) -> Verdict | None:
    labels = ctx.labels
    used = sorted(ctx.needs.get(op.name, frozenset()) & labels.keys())
    if not used or metric_count(ctx, op):
        return None
    why = f"needs {', '.join(used)}, which {labels[used[0]]} reads as labels (a training-time"
    return Verdict(-3.5, f"{why} value: teacher forcing, a metric)", concern=True)


@output_rule(name="target-network")
def _target_network(ctx: GraphFacts, op: Any) -> Verdict | None:
    if not ctx.target_network(op.name):
        return None
    why = "computed only from variables no optimizer trains (a target network, copied from the"
    return Verdict(-3.0, f"{why} trained one)", concern=True)


@output_rule(name="batch-scalar")
def _batch_scalar(ctx: GraphFacts, op: Any) -> Verdict | None:
    shape = ctx.catalog.tensor(op.outputs[0]).shape
    if shape != () or op.type not in SCALAR_REDUCTION_OPS or not ctx.deps.get(op.name):
        return None
    why = "a scalar over the whole batch (a loss or a metric?)"
    return None if metric_count(ctx, op) else Verdict(-1.5, why, concern=True)


@output_rule("Exit", "RefExit", name="loop-leftover")
def _loop_leftover(ctx: GraphFacts, op: Any) -> Verdict | None:
    why = "a while loop's final state that nothing reads"
    return None if ctx.readers(op) else Verdict(-1.5, why, concern=True)


@output_rule(name="secondary-output")
def _secondary(ctx: GraphFacts, op: Any) -> Verdict | None:
    """Reading output 1+ of an op whose output 0 another sink reads (``o_atom_virial`` beside
    ``o_virial``): the per-element breakdown ranks after the total."""
    for t in op.inputs:
        src, _, idx = t.partition(":")
        if idx and idx != "0":
            first = ctx.catalog.tensor(f"{src}:0")
            others = [c for c in first.consumers if c not in ctx.excluded and c != op.name]
            if any(not ctx.readers(ctx.op(c)) for c in others):
                return Verdict(-0.5, f"reads a secondary output of {src}")
    return None


# -- scoring -----------------------------------------------------------------------------------

# v1 control-flow ops that route values (Merge and Exit carry results, so they may be outputs).
_CONTROL_FLOW_PLUMBING = CONTROL_FLOW_ENTRY_OPS | CONTROL_FLOW_BACK_EDGE_OPS | {"LoopCond"}
_UPDATE_OR_CHECK = re.compile(
    r"^(Assign\w*|Apply\w*|ResourceApply\w*|SparseApply\w*|ResourceSparseApply\w*|Scatter\w*|"
    r"ResourceScatter\w*|Assert)$"
)
HEAD_MIN = 4.0  # score of a head beside the top one: an end (3.0) and one more reason for it
_LABEL_CHECKS = 50  # how many of the best output candidates are checked for reading labels


@dataclass(frozen=True)
class Candidate:
    """One suggested input or output tensor (``concerns``: never chosen unasked)."""

    name: str
    dtype: str
    shape: Shape
    score: float
    reason: str
    kind: str = "graph"
    default: str | None = None
    concerns: tuple[str, ...] = ()
    head: bool = False

    def to_json(self) -> dict[str, Any]:
        shape = None if self.shape is None else list(self.shape)
        out = {"name": self.name, "dtype": self.dtype, "shape": shape}
        return out | {"score": round(self.score, 2), "reason": self.reason}


def candidate(catalog: Catalog, name: str, score: float, why: list[str], *rest: Any) -> Candidate:
    """The candidate for the tensor ``name``, its reasons joined into one line (``rest``: its
    ``kind``, ``default``, ``concerns``, ``head``, in :class:`Candidate`'s order)."""
    t = catalog.tensor(name)
    return Candidate(t.name, t.dtype, t.shape, score, "; ".join(why), *rest)


def graph_outputs(
    catalog: Catalog, excluded: set[str], facts: GraphFacts | None = None
) -> list[Candidate]:
    """Output candidates from the graph alone, best first (``excluded``: not inference)."""
    ctx = facts or GraphFacts(catalog, excluded)
    in_loops = _while_frames(catalog, ctx.index)
    cands: dict[str, tuple[float, list[str], OpInfo, list[str]]] = {}
    heads: set[str] = set()
    for op in catalog.ops:
        if op.name in excluded or not op.outputs or op.type in INPUT_OPS | PIPELINE_OUTPUT_OPS:
            continue
        if op.name in in_loops:
            continue  # inside a while loop's frame: a session cannot fetch it from outside
        readers = ctx.readers(op)
        if op.type in _CONTROL_FLOW_PLUMBING or _is_pivot(catalog, op, readers):
            continue  # v1 cond/while machinery, never a model output
        if not readers and any(_UPDATE_OR_CHECK.match(catalog.op(c).type) for c in op.consumers):
            continue  # the value an assign/optimizer/assert consumes: training or checking
        found = verdicts(ctx, op)
        if not any(v.source for v in found):
            continue
        score = sum(v.score for v in found)
        why = [v.reason for v in found if v.reason]
        concerns = [v.reason for v in found if v.concern]
        cands[op.name] = (score, why, op, concerns)
        if not readers:
            heads.add(op.name)
    _carry_reshaped_heads(ctx, cands)
    heads |= _carry_sliced(ctx, cands, heads)
    _needs_beyond(ctx, cands)
    why_end = ["an end of the inference graph"]
    out = [
        candidate(catalog, op.outputs[0], sc, why or why_end, "graph", None, tuple(cs), n in heads)
        for n, (sc, why, op, cs) in cands.items()
    ]
    out.sort(key=lambda c: (-c.score, -catalog.position(c.name)))
    return out


def _carry_reshaped_heads(ctx: GraphFacts, cands: dict[str, Any]) -> None:
    """A head read only through a Reshape/Identity chain hands its rank to the chain's end."""
    for name in list(cands):
        score, why, op, concerns = cands[name]
        if concerns:
            continue
        cur, chain = op, []
        while True:
            readers = ctx.readers(cur)
            if len(readers) != 1 or ctx.op(readers[0]).type not in HEAD_PASS_OPS:
                break
            cur = ctx.op(readers[0])
            chain.append(cur.name)
        if not chain:
            continue
        end = chain[-1]
        own = cands.get(end)
        if own and any(own[3]):
            continue  # the chain's end has concerns of its own
        extra = [r for r in own[1] if r not in why] if own else []
        extra_score = max(0.0, own[0]) if own else 0.0
        why_end = [f"the {op.type} head {name}:0 in its final shape", *why, *extra]
        cands[end] = (score + 0.5 + min(extra_score, 2.5), why_end, cur, [])
        cands[name] = (score - 1.0, [*why, f"read only through {end}"], op, concerns)


def _carry_sliced(ctx: GraphFacts, cands: dict[str, Any], heads: set[str]) -> set[str]:
    """A head slicing the batch (row 0) hands its score to the tensor it slices; returns those."""
    out = set()
    for name in [n for n in heads if n in cands]:
        found = batch_slice(ctx, cands[name][2])
        found_verdicts = verdicts(ctx, cands[name][2])
        gain = sum(v.score for v in found_verdicts if not v.concern)
        if found is None or gain < HEAD_MIN or sum(v.concern for v in found_verdicts) > 1:
            continue
        src = ctx.op(found[1])
        score, why, _, concerns = cands.get(src.name, (0.0, [], src, []))
        note = f"the whole batch of {name}:0, which keeps {found[0]} only"
        cands[src.name] = (score + gain, [note, *why], src, concerns)
        out.add(src.name)
    return out


def _needs_beyond(facts: GraphFacts, cands: dict[str, Any]) -> None:
    """A candidate downstream of another that needs more inputs reads labels: a loss."""
    deps = facts.needs
    groups: dict[frozenset[str], list[str]] = {}
    for name in cands:
        groups.setdefault(deps.get(name, frozenset()), []).append(name)
    best = sorted(cands, key=lambda n: -cands[n][0])[:_LABEL_CHECKS]
    for name in best:
        score, why, op, concerns = cands[name]
        mine = deps.get(name, frozenset())
        smaller = [o for key, names in groups.items() if key and mine > key for o in names]
        smaller.sort(key=lambda o: -cands[o][0])
        if not smaller or metric_count(facts, op):
            continue
        upstream = facts.index.upstream(op.inputs, control=False, excluded=facts.excluded)
        decoded = {
            s for n in upstream if facts.by_name[n].type in CTC_DECODER_OPS for s in deps.get(n, ())
        }
        for other in smaller:
            extra = ", ".join(sorted(mine - deps[other] - decoded))  # decoder lengths: no label
            if other in upstream and extra:
                note = f"needs {extra} beyond {other} (a label?)"
                cands[name] = (score - 4, [*why, note], op, [*concerns, note])
                break


def _while_frames(catalog: Catalog, index: GraphIndex) -> set[str]:
    """Ops inside v1 while-loop frames: downstream of an ``Enter`` up to the loop's ``Exit``."""
    enters = catalog.search_names(op_type=("Enter", "RefEnter"))
    exits = set(catalog.search_names(op_type=("Exit", "RefExit")))
    return index.downstream(enters, control=False, excluded=exits)


def _is_pivot(catalog: Catalog, op: OpInfo, readers: list[str]) -> bool:
    """A v1 cond's ``switch_t``/``switch_f`` or ``pred_id`` (an Identity only Switches read)."""
    if op.type != "Identity" or not op.inputs:
        return False
    if not readers:  # tf.cond names its predicate's copy pred_id, read or not
        switch_output = catalog.op(op.inputs[0]).type in CONTROL_FLOW_ENTRY_OPS
        return switch_output or op.name.rpartition("/")[2] == "pred_id"
    return all(catalog.op(r).type in CONTROL_FLOW_ENTRY_OPS for r in readers)
