"""What a training graph says about each op (:class:`GraphFacts`): losses, labels, layers."""

from __future__ import annotations

import re
from collections import deque
from functools import cached_property
from typing import TYPE_CHECKING, Any

from explorer.graph.index import graph_index
from explorer.graph.names import op_name
from explorer.graph.op_families import (
    CONTROL_FLOW_BACK_EDGE_OPS,
    DATA_SIZED_OPS,
    INPUT_OPS,
    LAYER_OPS,
    PIPELINE_OUTPUT_OPS,
    RESHAPE_OPS,
    SHAPE_OPS,
    SUMMARY_OPS,
    VARIABLE_OPS,
)

if TYPE_CHECKING:
    from explorer.inspection.catalog import Catalog

_GRADIENT_SCOPE = re.compile(r"^(.*/)?gradients(_\d+)?$")
_LOSS_NAME = re.compile(r"(loss|cost|xent|cross_?entropy)", re.IGNORECASE)
_TRAINING_UPDATE = re.compile(r"^(Resource)?(Sparse)?Apply\w+$")
_STOP_GRADIENT_PASS = RESHAPE_OPS | {"Identity"}
_GENERATED_PASS = frozenset({"Identity", "Reshape", "Cast", "ExpandDims"})
# Comparing ops: which input holds the labels (None: either side, decided by the graph).
LABEL_INPUT: dict[str, int | None] = {
    "SoftmaxCrossEntropyWithLogits": 1,
    "SparseSoftmaxCrossEntropyWithLogits": 1,
    "InTopK": 1,
    "InTopKV2": 1,
    "SquaredDifference": None,
    "Equal": None,
    "NotEqual": None,
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

    @cached_property
    def sources(self) -> frozenset[str]:
        """What a feed_dict feeds: placeholder op names and pipeline output tensors."""
        inputs = {op.name for op in self.catalog.ops if op.type in INPUT_OPS}
        return frozenset(inputs | {t for n in self.pipeline_ops for t in self.by_name[n].outputs})

    @cached_property
    def pipeline_ops(self) -> frozenset[str]:
        return frozenset(op.name for op in self.catalog.ops if op.type in PIPELINE_OUTPUT_OPS)

    def _source_of(self, tensor: str) -> str | None:
        """The source a data input reads: a placeholder op, a pipeline output tensor, or None."""
        name = op_name(tensor)
        if name in self.pipeline_ops:
            return tensor if ":" in tensor else f"{tensor}:0"
        return name if name in self.sources else None

    def readers(self, op: Any) -> list[str]:
        """Consumers of ``op`` in the inference graph."""
        return [c for c in op.consumers if c not in self.excluded]

    def op(self, name: str) -> Any:
        return self.catalog.op(name)

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
            if not (scope and _GRADIENT_SCOPE.match(scope)):
                continue
            if op.type != "Fill" and not last.startswith("grad_ys"):
                continue
            for c in op.consumers:
                rest = c[len(scope) + 1 :] if c.startswith(scope + "/") else ""
                head = rest.split("/")
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
        ops = self.catalog.ops
        summaries = [op for op in ops if op.type in SUMMARY_OPS and len(op.inputs) > 1]
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
        weighted_up = self.weight_upstream
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
                elif weighted_up(a) != weighted_up(b):
                    side = 0 if not weighted_up(a) else 1
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
        op = self.by_name.get(self._through(name, _STOP_GRADIENT_PASS))
        return op is not None and op.type == "StopGradient"

    @cached_property
    def variables(self) -> frozenset[str]:
        return frozenset(op.name for op in self.catalog.ops if op.type in VARIABLE_OPS)

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
        out = {}
        for op in self.ops:
            if op.type in LAYER_OPS:
                w = next(filter(None, map(self.weight_of, op.inputs)), None)
                if w is not None:
                    out[op.name] = w
        return out

    @cached_property
    def feeds_a_layer(self) -> frozenset[str]:
        """Ops whose value a later layer reads: upstream of a weighted op's other inputs."""
        starts = [
            t
            for name in self.weighted
            for t in self.by_name[name].inputs
            if self.weight_of(t) is None
        ]
        walk = self.index.upstream(starts, control=False, excluded=self.excluded)
        return frozenset(n for n in walk if n in self.by_name)

    @cached_property
    def _weight_flags(self) -> dict[str, int]:
        """Op -> bits: 1 from a trained variable, 2 from an untrained one, 4 from any weight."""
        trained = self.trained
        flags = {n: 4 | (1 if n in trained else 2) for n in self.variables}
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
        starts = [
            op.name
            for op in self.ops
            if op.type == "ArgMax" and self._reaches_gather_then_loop(op.name)
        ]
        if not starts:
            return frozenset()
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
                src = self._through(op_name(t), _GENERATED_PASS)
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

    def _through(self, name: str, types: frozenset[str]) -> str:
        """The op ``name`` reads through ops of ``types`` (first inputs)."""
        node = self.index.source(name, types)
        return name if node is None else node.name
