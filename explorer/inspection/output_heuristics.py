"""Output candidates of a graph: what the model computes for inference, by its shape and names.

:func:`explorer.suggest` (``suggester.py``) ranks signature tensors first, then the graph's own
candidates from :func:`graph_outputs`: tensors on the inference path that nothing else in it
reads, that are named like an output (``softmax``/``prob``/``logits``/``pred``/``output`` rank
higher), end a scope named like one, or are the prediction a loss or metric compares with labels
(a training script's graph). Losses, metrics, shape computations, values computed from constants
only and v1 ``cond``/``while`` machinery rank lower or are left out; a candidate that needs more
placeholders than another one upstream of it reads labels, and ranks lower.

:class:`Candidate` is the record both sides of a suggestion use; :func:`candidate` builds one.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from typing import Any

from explorer.graph.op_families import (
    CONTROL_FLOW_BACK_EDGE_OPS,
    CONTROL_FLOW_ENTRY_OPS,
    INPUT_OPS,
    PLACEHOLDER_OPS,
    REF_VARIABLE_OPS,
    RESOURCE_VARIABLE_OPS,
)
from explorer.graph.proto_reader import Shape
from explorer.inspection.catalog import Catalog
from explorer.inspection.catalog_items import OpInfo

# -- what outputs are called -----------------------------------------------------------------------

_STRONG_OUTPUT = re.compile(
    r"^(softmax|probs?|probabilit(y|ies)|logits?|preds?|predictions?|predicted|outputs?|"
    r"y_pred|y_hat)(_\d+)?$",
    re.IGNORECASE,
)
_WEAK_OUTPUT = re.compile(
    r"(softmax|prob|logit|pred|output|score|class|result|embedding|sigmoid|argmax|out$|^y$)",
    re.IGNORECASE,
)
_LOSS = re.compile(r"(loss|cost|xent|cross_?entropy|mse|mae|error|accuracy)", re.IGNORECASE)
# Ops comparing a prediction with labels: the tensor they read from the model is its prediction.
_LOSS_TYPES = frozenset(
    {
        "SoftmaxCrossEntropyWithLogits",
        "SparseSoftmaxCrossEntropyWithLogits",
        "SquaredDifference",
        "InTopK",
        "InTopKV2",
        "Equal",
        "NotEqual",
    }
)
# v1 control-flow ops that route values (Merge and Exit carry results, so they may be outputs).
_CONTROL_FLOW_PLUMBING = CONTROL_FLOW_ENTRY_OPS | CONTROL_FLOW_BACK_EDGE_OPS | {"LoopCond"}
_UPDATE_OR_CHECK = re.compile(
    r"^(Assign\w*|Apply\w*|ResourceApply\w*|SparseApply\w*|ResourceSparseApply\w*|Scatter\w*|"
    r"ResourceScatter\w*|Assert)$"
)
_HEAD_TYPES = frozenset({"Softmax", "Sigmoid", "ArgMax", "TopKV2", "LogSoftmax"})
_SHAPE_TYPES = frozenset({"Shape", "ShapeN", "Size", "Rank"})
_LABEL_CHECKS = 50  # how many of the best output candidates are checked for reading labels
# Names TF gives ops when the user did not name them (besides the op type itself).
_AUTO_NAMES = frozenset(
    {"add", "mul", "sub", "truediv", "div", "floordiv", "mod", "pow", "neg", "matmul", "read"}
)


@dataclass(frozen=True)
class Candidate:
    """One suggested input or output tensor.

    Attributes:
        name: tensor name ``op:idx``.
        dtype: dtype name; ``shape``: static shape (``None`` = unknown rank).
        score: higher is better; only the order matters (signature tensors score 15-20,
            graph candidates below).
        reason: one line saying why it is suggested.
        kind: ``signature``, ``placeholder``, ``switch`` (PlaceholderWithDefault) or ``graph``.
        default: for a switch, its default value as text.
    """

    name: str
    dtype: str
    shape: Shape
    score: float
    reason: str
    kind: str = "graph"
    default: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "shape": None if self.shape is None else list(self.shape),
            "score": round(self.score, 2),
            "reason": self.reason,
        }


def candidate(
    catalog: Catalog,
    op: OpInfo,
    score: float,
    why: list[str],
    kind: str,
    default: str | None = None,
) -> Candidate:
    """The candidate for ``op``'s first output, its reasons joined into one line."""
    tensor = catalog.tensor(op.outputs[0])
    return Candidate(
        name=tensor.name,
        dtype=tensor.dtype,
        shape=tensor.shape,
        score=score,
        reason="; ".join(why),
        kind=kind,
        default=default,
    )


def _fed_from_placeholders(catalog: Catalog, excluded: set[str]) -> dict[str, frozenset[str]]:
    """Inference op -> the placeholders it depends on (data edges, excluded ops skipped)."""
    deps: dict[str, frozenset[str]] = {}
    for op in catalog.ops:  # graph order is not topological in general: iterate to a fixpoint
        if op.name in excluded:
            continue
        if op.type in PLACEHOLDER_OPS:
            deps[op.name] = frozenset({op.name})
    changed = True
    order = [op for op in catalog.ops if op.name not in excluded]
    while changed:
        changed = False
        for op in order:
            acc = set(deps.get(op.name, ()))
            for t in op.inputs:
                acc |= deps.get(t.partition(":")[0], frozenset())
            if acc and frozenset(acc) != deps.get(op.name):
                deps[op.name] = frozenset(acc)
                changed = True
    return deps


def _is_auto_name(op: OpInfo) -> bool:
    last = re.sub(r"_\d+$", "", op.name.rpartition("/")[2]).lower()
    return last == op.type.lower() or last in _AUTO_NAMES


def graph_outputs(catalog: Catalog, excluded: set[str]) -> list[Candidate]:
    """Output candidates from the graph alone, best first: inference ops (``excluded``: the op
    names that are not inference) whose value nothing else reads, is named like an output, ends
    a scope named like one, or is the prediction a loss or metric reads; each scored with its
    reasons (see the module docstring)."""
    deps = _fed_from_placeholders(catalog, excluded)
    weighted = _weighted_ops(catalog)
    cands: dict[str, tuple[float, list[str], OpInfo]] = {}
    for op in catalog.ops:
        if op.name in excluded or not op.outputs or op.type in INPUT_OPS:
            continue
        last = op.name.rpartition("/")[2]
        readers = [c for c in op.consumers if c not in excluded]
        if op.type in _CONTROL_FLOW_PLUMBING or _is_pivot(catalog, op, readers):
            continue  # v1 cond/while machinery, never a model output
        if not readers and any(_UPDATE_OR_CHECK.match(catalog.op(c).type) for c in op.consumers):
            continue  # the value an assign/optimizer/assert consumes: training or checking
        sink = not readers
        strong = bool(_STRONG_OUTPUT.match(last))
        scope = op.name.rpartition("/")[0]
        scope_exit = (
            bool(scope)
            and bool(_STRONG_OUTPUT.match(scope.rpartition("/")[2]))
            and not any(r.startswith(scope + "/") for r in readers)
        )
        # A training script's prediction is read only by its loss/metrics (labels join there);
        # the labels' side of that join has no weights upstream.
        mine = deps.get(op.name)
        loss_reader = None
        if mine is not None and not _LOSS.search(op.name) and weighted(op.name):
            loss_reader = next((r for r in readers if _reads_as_prediction(catalog.op(r))), None)
        if not (sink or strong or scope_exit or loss_reader):
            continue
        score, why = 0.0, []
        if sink:
            score += 3
            why.append("nothing in the inference graph reads it")
        elif loss_reader and _LOSS.search(loss_reader):
            score += 3.5
            why.append(f"the prediction a loss reads ({loss_reader})")
        elif loss_reader and deps.get(loss_reader, frozenset()) > mine:
            score += 2
            why.append(f"the prediction a metric compares with labels ({loss_reader})")
        if strong:
            score += 3
            why.append(f"named like an output ({last})")
        elif _WEAK_OUTPUT.search(last):
            score += 1.5
            why.append(f"output-like name ({last})")
        elif scope_exit:
            score += 2.5
            why.append(f"the last op of scope {scope}")
        if op.type in _HEAD_TYPES:
            score += 0.5
            why.append(f"a {op.type} head")
        if not _is_auto_name(op):
            score += 1
        if op.name not in deps:
            score -= 4
            why.append("computed from constants/variables only")
        if _LOSS.search(op.name):
            score -= 4
            why.append("looks like a training loss or metric")
        if op.type in _SHAPE_TYPES:
            score -= 2
            why.append("a shape computation")
        cands[op.name] = (score, why, op)
    # A candidate downstream of another that needs more placeholders reads labels: a loss.
    # Candidates are grouped by the placeholders they need; the best _LABEL_CHECKS are checked.
    groups: dict[frozenset[str], list[str]] = {}
    for name in cands:
        groups.setdefault(deps.get(name, frozenset()), []).append(name)
    best = sorted(cands, key=lambda n: -cands[n][0])[:_LABEL_CHECKS]
    for name in best:
        score, why, op = cands[name]
        mine = deps.get(name, frozenset())
        smaller = [o for key, names in groups.items() if key and mine > key for o in names]
        if not smaller:
            continue
        upstream = _inference_upstream(catalog, op, excluded)
        for other in smaller:
            if other in upstream:
                extra = ", ".join(sorted(mine - deps[other]))
                cands[name] = (score - 3, [*why, f"needs {extra} beyond {other} (a label?)"], op)
                break
    out = [
        candidate(catalog, op, score, why or ["an end of the inference graph"], "graph")
        for score, why, op in cands.values()
    ]
    out.sort(key=lambda c: (-c.score, -catalog.position(c.name)))
    return out


def _is_pivot(catalog: Catalog, op: OpInfo, readers: list[str]) -> bool:
    """A v1 cond's ``switch_t``/``switch_f`` (an Identity of a Switch output only control edges
    read) or ``pred_id`` (an Identity only Switches read)."""
    if op.type != "Identity" or not op.inputs:
        return False
    if not readers:  # tf.cond names its predicate's copy pred_id, read or not
        switch_output = catalog.op(op.inputs[0]).type in CONTROL_FLOW_ENTRY_OPS
        return switch_output or op.name.rpartition("/")[2] == "pred_id"
    return all(catalog.op(r).type in CONTROL_FLOW_ENTRY_OPS for r in readers)


def _reads_as_prediction(reader: OpInfo) -> bool:
    """Whether ``reader`` is a loss or metric op: by name, or a comparing op type."""
    return bool(_LOSS.search(reader.name)) or reader.type in _LOSS_TYPES


def _weighted_ops(catalog: Catalog) -> Any:
    """A predicate: is an op computed from the model's variables (data edges)? Always true in
    a graph without variables (a frozen graph's weights are constants)."""
    var_types = REF_VARIABLE_OPS | RESOURCE_VARIABLE_OPS
    seen = {op.name for op in catalog.ops if op.type in var_types}
    if not seen:
        return lambda name: True
    todo = deque(seen)
    while todo:
        for c in catalog.op(todo.popleft()).consumers:
            if c not in seen:
                seen.add(c)
                todo.append(c)
    return seen.__contains__


def _inference_upstream(catalog: Catalog, op: OpInfo, excluded: set[str]) -> set[str]:
    """Inference ops ``op`` depends on through data edges."""
    seen: set[str] = set()
    todo = deque(t.partition(":")[0] for t in op.inputs)
    while todo:
        name = todo.popleft()
        if name in seen or name in excluded:
            continue
        seen.add(name)
        todo.extend(t.partition(":")[0] for t in catalog.op(name).inputs)
    return seen
