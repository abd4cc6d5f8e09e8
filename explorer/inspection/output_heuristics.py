"""Output candidates of a graph: :func:`graph_outputs` scores inference ops by the rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from explorer.graph.index import GraphIndex
from explorer.graph.op_families import (
    CONTROL_FLOW_BACK_EDGE_OPS,
    CONTROL_FLOW_ENTRY_OPS,
    CTC_DECODER_OPS,
    HEAD_PASS_OPS,
    INPUT_OPS,
    PIPELINE_OUTPUT_OPS,
)
from explorer.graph.proto_reader import Shape
from explorer.inspection.catalog import Catalog
from explorer.inspection.catalog_items import OpInfo
from explorer.inspection.output_rules import RuleContext, batch_slice, metric_count, verdicts
from explorer.inspection.training_facts import GraphFacts

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
        return {
            "name": self.name,
            "dtype": self.dtype,
            "shape": None if self.shape is None else list(self.shape),
            "score": round(self.score, 2),
            "reason": self.reason,
        }


def candidate(
    catalog: Catalog,
    name: str,
    score: float,
    why: list[str],
    kind: str,
    default: str | None = None,
    concerns: tuple[str, ...] = (),
    head: bool = False,
) -> Candidate:
    """The candidate for the tensor ``name``, its reasons joined into one line."""
    t = catalog.tensor(name)
    return Candidate(t.name, t.dtype, t.shape, score, "; ".join(why), kind, default, concerns, head)


def graph_outputs(
    catalog: Catalog, excluded: set[str], facts: GraphFacts | None = None
) -> list[Candidate]:
    """Output candidates from the graph alone, best first (``excluded``: not inference)."""
    facts = facts or GraphFacts(catalog, excluded)
    ctx = RuleContext(catalog, facts)
    in_loops = _while_frames(catalog, facts.index)
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
    _needs_beyond(facts, cands)
    why_end = ["an end of the inference graph"]
    out = [
        candidate(catalog, op.outputs[0], sc, why or why_end, "graph", None, tuple(cs), n in heads)
        for n, (sc, why, op, cs) in cands.items()
    ]
    out.sort(key=lambda c: (-c.score, -catalog.position(c.name)))
    return out


def _carry_reshaped_heads(ctx: RuleContext, cands: dict[str, Any]) -> None:
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
        cands[end] = (
            score + 0.5 + min(extra_score, 2.5),
            [f"the {op.type} head {name}:0 in its final shape", *why, *extra],
            cur,
            [],
        )
        cands[name] = (score - 1.0, [*why, f"read only through {end}"], op, concerns)


def _carry_sliced(ctx: RuleContext, cands: dict[str, Any], heads: set[str]) -> set[str]:
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
