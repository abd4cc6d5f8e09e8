"""Scan rules about a model's outputs (issue 24): ``batch-slice``, ``several-heads`` and
``output-contradiction`` (``migrate`` refuses).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from weakref import WeakKeyDictionary

from explorer.graph.names import op_name
from explorer.inspection.findings import Finding, ScanContext, rule
from explorer.inspection.io_choice import contradiction, heads
from explorer.inspection.output_rules import RuleContext, batch_slice
from explorer.inspection.suggestions import suggest
from explorer.inspection.training_facts import GraphFacts

_CHOICES: WeakKeyDictionary[ScanContext, Any] = WeakKeyDictionary()


def _choice(ctx: ScanContext) -> tuple[list[Any], list[Any], list[str]]:
    """(ranked output candidates, the heads, the left-out) of a model without signatures (all
    empty with signatures), computed once per scan."""
    if ctx not in _CHOICES:
        ranked = [] if ctx.model.signatures else suggest(ctx.model, limit=50).outputs
        if not ranked or ranked[0].concerns:
            _CHOICES[ctx] = (ranked, [], [])
        else:
            _CHOICES[ctx] = (ranked, *heads(ctx.catalog, ranked))
    return _CHOICES[ctx]


@rule(name="batch-slice")
def _batch_slice(ctx: ScanContext, refs: list[Any]) -> Iterator[Finding]:
    sigs = ctx.model.signatures.values()
    names = [s.name for sig in sigs for s in sig.outputs.values() if s.name]
    names = names or [c.name for c in _choice(ctx)[0] if c.head]
    facts = RuleContext(ctx.catalog, GraphFacts(ctx.catalog, set()))
    for name in dict.fromkeys(names):
        found = batch_slice(facts, ctx.catalog.op(op_name(name)))
        if found is not None:
            yield Finding(
                "batch-slice",
                "warning",
                (op_name(name),),
                f"output {name} keeps {found[0]} of {found[1]}, slicing the batch its inputs "
                f"have: a migration proved on it returns that part whatever the batch; fetch "
                f"{found[1]} (migrate with no flags proves it instead)",
            )


@rule(name="several-heads")
def _several_heads(ctx: ScanContext, refs: list[Any]) -> Iterator[Finding]:
    _, chosen, left = _choice(ctx)
    if len(chosen) > 1:
        names = ", ".join(c.name for c in chosen)
        yield Finding(
            "several-heads",
            "info",
            tuple(op_name(c.name) for c in chosen),
            f"{len(chosen)} heads ({names}): run and migrate take them all"
            + (f"; left out: {'; '.join(left[:3])}" if left else ""),
        )


@rule(name="output-contradiction")
def _contradiction(ctx: ScanContext, refs: list[Any]) -> Iterator[Finding]:
    ranked = _choice(ctx)[0]
    if ranked and ranked[0].concerns:
        message = contradiction(ctx.model, ranked, ranked[0])
        yield Finding("output-contradiction", "warning", (op_name(ranked[0].name),), message)
