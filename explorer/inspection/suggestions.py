"""Which tensors are a model's inputs and outputs: ``explorer.suggest(model)``. Outputs are
scored by the registered output rules (``fn(facts, op) -> Verdict | None`` over
:class:`GraphFacts`); inputs: placeholders and input-pipeline outputs with their features. The
default tensors to run without a signature (every suggested head): :func:`default_io`,
:func:`confident_io`, :func:`needed_inputs`, and the scan rules about outputs."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from explorer.errors import (
    ExplorerError,
    OutputChoiceError,
    SignatureNotFoundError,
    TensorNotFoundError,
)
from explorer.graph.index import const_ints, graph_index
from explorer.graph.inputs import pipeline_inputs
from explorer.graph.names import op_name, tensor_name
from explorer.graph.op_families import (
    ACTIVATION_HEAD_OPS,
    CONTROL_FLOW_BACK_EDGE_OPS,
    CONTROL_FLOW_ENTRY_OPS,
    CONTROL_FLOW_PLUMBING_OPS,
    CTC_DECODER_OPS,
    DATA_SIZED_OPS,
    DEFAULT_PLACEHOLDER_OPS,
    GENERATED_PASS_OPS,
    HEAD_PASS_OPS,
    HEAD_STEP_OPS,
    IDENTITY_OPS,
    INPUT_OPS,
    LABEL_INPUT,
    LAYER_OPS,
    LOGIT_OPS,
    LOSS_OPS,
    NOT_IO_OPS,
    PIPELINE_OUTPUT_OPS,
    PLACEHOLDER_OPS,
    SCALAR_REDUCTION_OPS,
    SHAPE_OPS,
    STOP_GRADIENT_PASS_OPS,
    SUMMARY_OPS,
    VARIABLE_OPS,
)
from explorer.graph.proto_reader import Shape, scalar_value
from explorer.graph.registry import OpRegistry
from explorer.inspection.catalog import Catalog, OpInfo
from explorer.inspection.scan_rules import Finding, ScanContext, rule

if TYPE_CHECKING:
    from explorer.loading.model import V1Model

_GRADIENT_SCOPE = re.compile(r"^(.*/)?gradients(_\d+)?$")
_LOSS_NAME = re.compile(r"(loss|cost|xent|cross_?entropy)", re.IGNORECASE)
_TRAINING_UPDATE = re.compile(r"^(Resource)?(Sparse)?Apply\w+$")


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
            return tensor_name(tensor)
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
        """Dim 0 of ``tensor`` is unknown (no shape: in a placeholder of rank 2+ it reads)."""
        shape = self.catalog.tensor(tensor).shape
        if shape is not None:
            return bool(shape) and shape[0] is None
        deps = self.deps.get(op_name(tensor), ())
        shapes = (self.catalog.tensor(tensor_name(p)).shape for p in deps)
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
            seed = op.type == "Fill" and last[:5] != "zeros" or last.startswith("grad_ys")
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
        op = self.by_name.get(self.through(name, STOP_GRADIENT_PASS_OPS))
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
        flags = {n: 4 | (1 if n in self.updates else 2) for n in self.variables}
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
    def updates(self) -> dict[str, list[Any]]:
        """Variable -> the ops an optimizer updates it with (``Apply*``, ``update_<var>/``)."""
        out: dict[str, list[Any]] = {}
        for op in self.catalog.ops:
            if _TRAINING_UPDATE.match(op.type) or (
                "/update_" in f"/{op.name}" and op.type.startswith(("Assign", "Scatter"))
            ):
                w = self.weight_of(op.inputs[0]) if op.inputs else None
                if w is not None and w in self.variables:
                    out.setdefault(w, []).append(op)
        return out

    def target_network(self, name: str) -> bool:
        """Computed only from variables no optimizer trains, where one trains others (a DQN)."""
        return bool(self.updates) and (self._weight_flags.get(name, 0) & 3) == 2

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
                src = self.through(op_name(t), GENERATED_PASS_OPS)
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
output_rule = OUTPUT_RULES.register
"""``@output_rule(*op_types, name=...)``: register ``fn(facts, op) -> Verdict | None`` for ops of
``op_types`` (none: all), in order; ``ValueError`` when ``name`` is taken."""


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
    """The last inference value before the labels join it (at a loss or a metric)."""
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
    """Output 1+ of an op whose output 0 another sink reads: a breakdown ranks after the total."""
    for t in op.inputs:
        src, _, idx = t.partition(":")
        if idx and idx != "0":
            first = ctx.catalog.tensor(f"{src}:0")
            others = [c for c in first.consumers if c not in ctx.excluded and c != op.name]
            if any(not ctx.readers(ctx.op(c)) for c in others):
                return Verdict(-0.5, f"reads a secondary output of {src}")
    return None


_UPDATES = r"Assign\w*|(Resource)?(Sparse)?Apply\w*|(Resource)?Scatter\w*"  # variable updates
_UPDATE_OR_CHECK = re.compile(rf"^({_UPDATES}|Assert)$")
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
    """The candidate for tensor ``name``, ``why`` joined (``rest``: :class:`Candidate`'s next)."""
    t = catalog.tensor(name)
    return Candidate(t.name, t.dtype, t.shape, score, "; ".join(why), *rest)


def graph_outputs(ctx: GraphFacts) -> list[Candidate]:
    """Output candidates from the graph alone, best first (``ctx.excluded``: not inference)."""
    catalog, excluded = ctx.catalog, ctx.excluded
    enters = catalog.search_names(op_type=("Enter", "RefEnter"))
    exits = set(catalog.search_names(op_type=("Exit", "RefExit")))
    # inside a v1 while loop's frame (Enter to Exit): a session cannot fetch it from outside
    skipped = excluded | ctx.index.downstream(enters, control=False, excluded=exits)
    cands: dict[str, tuple[float, list[str], OpInfo, list[str]]] = {}
    ends: set[str] = set()
    for op in catalog.ops:
        if op.name in skipped or not op.outputs or op.type in INPUT_OPS | PIPELINE_OUTPUT_OPS:
            continue
        readers = ctx.readers(op)
        if op.type in CONTROL_FLOW_PLUMBING_OPS or _is_pivot(catalog, op, readers):
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
            ends.add(op.name)
    _carry_reshaped_heads(ctx, cands)
    ends |= _carry_sliced(ctx, cands, ends)
    _needs_beyond(ctx, cands)
    why_end = ["an end of the inference graph"]
    out = [
        candidate(catalog, op.outputs[0], sc, why or why_end, "graph", None, tuple(cs), n in ends)
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
        cur = op
        while len(readers := ctx.readers(cur)) == 1 and ctx.op(readers[0]).type in HEAD_PASS_OPS:
            cur = ctx.op(readers[0])
        end = cur.name
        own = cands.get(end, (0.0, [], cur, []))
        if end == name or own[3]:
            continue  # no chain, or its end has concerns of its own
        extra = [r for r in own[1] if r not in why]
        why_end = [f"the {op.type} head {name}:0 in its final shape", *why, *extra]
        cands[end] = (score + 0.5 + min(max(0.0, own[0]), 2.5), why_end, cur, [])
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


def _is_pivot(catalog: Catalog, op: OpInfo, readers: list[str]) -> bool:
    """A v1 cond's ``switch_t``/``switch_f`` or ``pred_id`` (an Identity only Switches read)."""
    if op.type != "Identity" or not op.inputs:
        return False
    if not readers:  # tf.cond names its predicate's copy pred_id, read or not
        switch_output = catalog.op(op.inputs[0]).type in CONTROL_FLOW_ENTRY_OPS
        return switch_output or op.name.rpartition("/")[2] == "pred_id"
    return all(catalog.op(r).type in CONTROL_FLOW_ENTRY_OPS for r in readers)


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
    rf"^({_UPDATES}|\w*Summary\w*|Queue\w*|\w*Queue(V2)?|\w*Reader(V2)?|Reader\w*|"
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
    graph_out = graph_outputs(facts)
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
            also = f" (also {', '.join(places[1:3])}{', ...' if len(places) > 3 else ''})"
            kind = f" {spec.kind}, fed as its components" if spec.kind != "dense" else ""
            reason = f"signature {side[:-1]} {places[0]}{also if len(places) > 1 else ''}{kind}"
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
        default, kind = None, "placeholder"
        if op.type in DEFAULT_PLACEHOLDER_OPS:
            default, kind, score = _default_of(catalog, op), "switch", 1.0
            why = [f"switch (PlaceholderWithDefault), default {default}: feed to change"]
            if op.name in needed_by_best:
                score += 3
                why.append(f"feeds {best_out}")
        elif op.name in needed_by_best:
            score, why = 8.0, [f"Placeholder: must be fed; feeds {best_out}"]
        elif op.name in needed_by_any:
            fed = [n for n, up in ups.items() if op.name in up] or good[1:2]
            score, why = 5.0, [f"Placeholder: feeds {', '.join(fed[:2])}, not {best_out}"]
        else:
            unfed = "(a label or training input): leave it unfed"
            score, why = 2.0, [f"Placeholder: feeds no suggested output {unfed}"]
        if (label := facts.labels.get(op.name)) or _LABEL.match(last):
            score -= 2
            why.append(f"read as labels by {label}" if label else "named like a label")
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
        if any(r in needed_by_best for r in readers):
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
    if names := missing or pipeline:
        what = "placeholder" if missing else "input-pipeline output"
        need, many = "needs" if len(fetches) == 1 else "need", len(names) > 1
        message = (
            f"{', '.join(fetches)} {need} {what}{'s' if many else ''} {', '.join(names)}, not "
            f"fed: add {'them' if many else 'it'} to the inputs"
        )
        if not missing:
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
    full = tensor_name(name)
    if full not in catalog:
        raise TensorNotFoundError(
            f"input {name!r} is not a tensor of {catalog.source}: see explorer.suggest(model)"
        )
    return full


@dataclass(frozen=True)
class DefaultIO:
    """Tensors for a model without signatures: ``inputs``, ``outputs`` (the heads), ``keys``
    (:func:`input_keys`), the top suggestion's ``reason``, ``left_out`` (``"name (why)"``)."""

    inputs: list[str]
    outputs: list[str]
    keys: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    left_out: list[str] = field(default_factory=list)


def default_io(model: V1Model) -> tuple[list[str], list[str]]:
    """(inputs, outputs) without signatures: the heads and what they need (switches: default)."""
    choice = confident_io(model, confident=False)
    return choice.inputs, choice.outputs


def confident_io(model: V1Model, confident: bool = True) -> DefaultIO:
    """The heads of a model without signatures: ``OutputChoiceError`` when the top candidate has a
    concern (``confident=False``: it alone), ``SignatureNotFoundError`` when there is none."""
    choice = suggest(model, limit=50)
    if not choice.outputs:
        raise SignatureNotFoundError(
            f"{model.path} has no signatures and no output candidates: pass inputs= and outputs="
            " (CLI: --inputs/--outputs)"
        )
    top = choice.outputs[0]
    if top.concerns and confident:
        raise OutputChoiceError(contradiction(model, choice.outputs, top))
    chosen, left = ([top], []) if top.concerns else heads(choice.catalog, choice.outputs)
    outputs = [c.name for c in chosen]
    inputs = needed_inputs(model, outputs)
    return DefaultIO(inputs, outputs, input_keys(model, inputs), top.reason, left)


def check_custom_io(
    model: V1Model,
    signature_too: bool,
    outputs: Any,
    error: type[ExplorerError] = SignatureNotFoundError,
) -> None:
    """Custom inputs/outputs name outputs and come without a signature; else ``error``."""
    if signature_too:
        raise error(
            "give either signatures or inputs/outputs, not both (CLI: --signature or "
            "--inputs/--outputs)"
        )
    if not outputs:
        raise error(
            f"no outputs given for {model.path}: pass outputs=[tensor names] (CLI: --outputs)"
        )


def needed_inputs(
    model: V1Model,
    outputs: Sequence[str],
    inputs: Sequence[str] | None = None,
    switch: Callable[[str], Any] | None = None,
) -> list[str]:
    """The inputs to feed for ``outputs``: ``inputs`` (none: every placeholder and pipeline output
    they need), plus needed placeholders ``switch`` names (``keep_prob``: fed a neutral value)."""
    check = validate_choice(Catalog.from_model(model), inputs or [], outputs)
    if not inputs:
        return [f"{op}:0" for op in check.missing] + list(check.pipeline)
    return [*inputs, *(f"{op}:0" for op in check.missing if switch is not None and switch(op))]


def input_keys(model: V1Model, inputs: list[str]) -> dict[str, str]:
    """Unique signature key per input: a parsed tf.Example feature's name (``IteratorGetNext:2`` ->
    ``pixels``), else the op name (``x:0`` -> ``x``, ``op:1`` -> ``op_1``)."""
    features = {p.tensor: p.feature for p in pipeline_inputs(model.graph_def) if p.feature}
    out: dict[str, str] = {}
    for t in inputs:
        op, _, idx = t.partition(":")
        base = features.get(t) or (op if idx in ("", "0") else f"{op}_{idx}")
        key, i = base, 1
        while key in out.values():
            key, i = f"{base}_{i}", i + 1
        out[t] = key
    return out


def heads(catalog: Catalog, outputs: list[Candidate]) -> tuple[list[Candidate], list[str]]:
    """(the top output and every other end without concern scoring :data:`HEAD_MIN`, in graph
    order; ``"name (why)"`` of the best eight left out) among ranked ``outputs``."""
    chosen, left = outputs[:1], []
    same = _inputs_of_head(catalog, outputs[0].name) if outputs else set()
    for c in outputs[1:]:
        why = (
            c.concerns[0]
            if c.concerns
            else "a step of a chosen head"
            if c.name in same
            else "not an end of the graph: other ops read it"
            if not c.head
            else f"an end of the graph with nothing more for it (score {c.score:g} < {HEAD_MIN:g})"
            if c.score < HEAD_MIN
            else None
        )
        if why is None:
            chosen.append(c)
            same |= _inputs_of_head(catalog, c.name)
        elif len(left) < 8:
            left.append(f"{c.name} ({why})")
    return sorted(chosen, key=lambda c: catalog.position(c.name)), left


def _inputs_of_head(catalog: Catalog, name: str, hops: int = 3) -> set[str]:
    """Tensors output ``name`` activates or reshapes (``logits`` for ``probs``): the same head."""
    out: set[str] = set()
    op = catalog.op(op_name(name))
    for _ in range(hops):
        if op.type not in HEAD_STEP_OPS or not op.inputs:
            break
        out.add(tensor_name(op.inputs[0]))
        op = catalog.op(op_name(op.inputs[0]))
    return out


def contradiction(model: V1Model, outputs: list[Candidate], top: Candidate) -> str:
    """Why ``migrate`` refuses: the top candidate's concern against the best prediction."""
    best = next((c for c in outputs if not c.concerns), None)
    against = f", against {best.name} ({best.reason.split('; ')[0]})" if best else ""
    ranked = "; ".join(
        f"{k}. {c.name} ({c.reason.split('; ')[0]})" for k, c in enumerate(outputs[:5], 1)
    )
    return (
        f"{model.path} has no signatures and the top candidate {top.name} may not be the model's "
        f"output ({top.concerns[0]}){against}: pass --outputs NAME [--inputs NAME ...] (API: "
        f"outputs=[...]); ranked candidates: {ranked}"
    )


def _scan_choice(ctx: ScanContext) -> tuple[list[Any], list[Any], list[str]]:
    """(ranked outputs, heads, left out) of a model without signatures (with them: all empty)."""
    ranked = [] if ctx.model.signatures else suggest(ctx.model, limit=50).outputs
    if not ranked or ranked[0].concerns:
        return ranked, [], []
    return ranked, *heads(ctx.catalog, ranked)


@rule(name="batch-slice")
def _batch_slice_rule(ctx: ScanContext, refs: list[Any]) -> Iterator[Finding]:
    sigs = ctx.model.signatures.values()
    names = [s.name for sig in sigs for s in sig.outputs.values() if s.name]
    names = names or [c.name for c in ctx.once("heads", _scan_choice)[0] if c.head]
    facts = GraphFacts(ctx.catalog, set())
    for name in dict.fromkeys(names):
        found = batch_slice(facts, ctx.catalog.op(op_name(name)))
        if found is not None:
            message = (
                f"output {name} keeps {found[0]} of {found[1]}, slicing the batch its inputs "
                f"have: a migration proved on it returns that part whatever the batch; fetch "
                f"{found[1]} (migrate with no flags proves it instead)"
            )
            yield Finding("batch-slice", "warning", (op_name(name),), message)


@rule(name="several-heads")
def _several_heads(ctx: ScanContext, refs: list[Any]) -> Iterator[Finding]:
    _, chosen, left = ctx.once("heads", _scan_choice)
    if len(chosen) > 1:
        names = ", ".join(c.name for c in chosen)
        message = f"{len(chosen)} heads ({names}): run and migrate take them all" + (
            f"; left out: {'; '.join(left[:3])}" if left else ""
        )
        yield Finding("several-heads", "info", tuple(op_name(c.name) for c in chosen), message)


@rule(name="output-contradiction")
def _contradiction_rule(ctx: ScanContext, refs: list[Any]) -> Iterator[Finding]:
    ranked = ctx.once("heads", _scan_choice)[0]
    if ranked and ranked[0].concerns:
        message = contradiction(ctx.model, ranked, ranked[0])
        yield Finding("output-contradiction", "warning", (op_name(ranked[0].name),), message)
