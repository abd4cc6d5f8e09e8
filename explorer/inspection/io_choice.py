"""The default tensors to run when nothing is chosen: the signature, else every suggested head.

:func:`default_io` (run/convert/parity) and :func:`confident_io` (migrate, which refuses with
:class:`~explorer.errors.OutputChoiceError` only when the top candidate has a concern) take the top
output and each other end with no concern; :func:`needed_inputs` completes a user's inputs.
Scan rules about outputs: ``batch-slice``, ``several-heads``, ``output-contradiction``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from explorer.errors import ExplorerError, OutputChoiceError, SignatureNotFoundError
from explorer.graph.names import op_name
from explorer.graph.op_families import HEAD_STEP_OPS
from explorer.inspection.catalog import Catalog
from explorer.inspection.scan_rules import Finding, ScanContext, rule
from explorer.inspection.suggestions import (
    HEAD_MIN,
    Candidate,
    GraphFacts,
    batch_slice,
    pipeline_inputs,
    suggest,
    validate_choice,
)

if TYPE_CHECKING:
    from explorer.loading.model import V1Model


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
    """The heads of a model without signatures (module docstring); ``OutputChoiceError`` when
    candidates contradict each other (``confident=False``: the top one alone), and
    ``SignatureNotFoundError`` when there is no candidate at all."""
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
    """(the heads among ranked ``outputs``, in graph order: the top one and every other end of the
    graph without concern scoring :data:`HEAD_MIN`; ``"name (why)"`` of the best eight left out)."""
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
    op = catalog.op(name.partition(":")[0])
    for _ in range(hops):
        if op.type not in HEAD_STEP_OPS or not op.inputs:
            break
        out.add(op.inputs[0] if ":" in op.inputs[0] else f"{op.inputs[0]}:0")
        op = catalog.op(op.inputs[0].partition(":")[0])
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
def _batch_slice(ctx: ScanContext, refs: list[Any]) -> Iterator[Finding]:
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
def _contradiction(ctx: ScanContext, refs: list[Any]) -> Iterator[Finding]:
    ranked = ctx.once("heads", _scan_choice)[0]
    if ranked and ranked[0].concerns:
        message = contradiction(ctx.model, ranked, ranked[0])
        yield Finding("output-contradiction", "warning", (op_name(ranked[0].name),), message)
