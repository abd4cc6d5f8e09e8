"""The default tensors to run when nothing is chosen: the signature, else the top suggestion.

:func:`default_io` (``run``/``convert``/``parity`` on a model without signatures) takes the top
output :func:`explorer.suggest` ranks and the inputs it needs. :func:`confident_io` (``migrate``)
takes it only when it has no concern and leads every other concern-free candidate (except the
tensors it is an activation or reshape of) by :data:`CONFIDENCE_MARGIN`; otherwise
:class:`~explorer.errors.OutputChoiceError` ranks the candidates and names the flag to pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from explorer.errors import OutputChoiceError, SignatureNotFoundError
from explorer.graph.op_families import HEAD_STEP_OPS
from explorer.inspection.pipelines import pipeline_inputs
from explorer.inspection.suggestions import suggest

if TYPE_CHECKING:
    from explorer.loading.model import V1Model

CONFIDENCE_MARGIN = 2.0  # score points; one positive reason of a rule is worth 1.5-5.5


@dataclass(frozen=True)
class DefaultIO:
    """A choice of tensors for a model without signatures: ``inputs`` to feed, ``outputs`` to
    fetch, ``keys`` (input -> signature key, see :func:`input_keys`), ``reason`` (the top
    suggestion's) and ``lead`` (score points over the next concern-free candidate; ``None``: none).
    """

    inputs: list[str]
    outputs: list[str]
    keys: dict[str, str] = field(default_factory=dict)
    reason: str = ""
    lead: float | None = None


def default_io(model: V1Model) -> tuple[list[str], list[str]]:
    """Input and output tensor names to run a model without signatures: the top suggested
    output and the placeholders and pipeline outputs it needs (switches keep their default)."""
    choice = _choice(model, confident=False)
    return choice.inputs, choice.outputs


def confident_io(model: V1Model) -> DefaultIO:
    """The top suggestion of a model without signatures when it is confident (module docstring);
    else ``OutputChoiceError`` ranking the candidates (``SignatureNotFoundError``: none at all)."""
    return _choice(model, confident=True)


def input_keys(model: V1Model, inputs: list[str]) -> dict[str, str]:
    """Signature key per input tensor: a pipeline output's feature name where the pipeline
    parses tf.Example (``IteratorGetNext:2`` -> ``pixels``), else the op name (``x:0`` -> ``x``,
    ``op:1`` -> ``op_1``); keys are made unique."""
    features = {p.tensor: p.feature for p in pipeline_inputs(model.graph_def) if p.feature}
    out: dict[str, str] = {}
    taken: set[str] = set()
    for t in inputs:
        op, _, idx = t.partition(":")
        base = features.get(t) or (op if idx in ("", "0") else f"{op}_{idx}")
        key, i = base, 1
        while key in taken:
            key, i = f"{base}_{i}", i + 1
        taken.add(key)
        out[t] = key
    return out


def _choice(model: V1Model, confident: bool) -> DefaultIO:
    choice = suggest(model, limit=50)
    if not choice.outputs:
        raise SignatureNotFoundError(
            f"{model.path} has no signatures and no output candidates: pass inputs= and outputs="
            " (CLI: --inputs/--outputs)"
        )
    top = choice.outputs[0]
    same = _inputs_of_head(choice.catalog, top.name)
    rest = [c for c in choice.outputs[1:] if not c.concerns and c.name not in same]
    lead = top.score - rest[0].score if rest else None
    if confident and (top.concerns or (lead is not None and lead < CONFIDENCE_MARGIN)):
        raise OutputChoiceError(_ambiguous(model, choice.outputs, top, lead))
    check = choice.validate([], [top.name])
    inputs = [f"{op}:0" for op in check.missing] + list(check.pipeline)
    return DefaultIO(inputs, [top.name], input_keys(model, inputs), top.reason, lead)


def _inputs_of_head(catalog: Any, name: str, hops: int = 3) -> set[str]:
    """Tensors the output ``name`` is an activation or reshape of (``logits`` for ``probs``):
    the same head, so they do not compete with it."""
    out: set[str] = set()
    op = catalog.op(name.partition(":")[0])
    for _ in range(hops):
        if op.type not in HEAD_STEP_OPS or not op.inputs:
            break
        out.add(op.inputs[0] if ":" in op.inputs[0] else f"{op.inputs[0]}:0")
        op = catalog.op(op.inputs[0].partition(":")[0])
    return out


def _ambiguous(model: V1Model, outputs: list[Any], top: Any, lead: float | None) -> str:
    why = (
        f"the top candidate {top.name} may not be the model's output ({top.concerns[0]})"
        if top.concerns
        else f"no output stands out ({top.name} leads by {lead:.1f} < {CONFIDENCE_MARGIN:g})"
    )
    ranked = "; ".join(
        f"{k}. {c.name} ({c.reason.split('; ')[0]})" for k, c in enumerate(outputs[:5], 1)
    )
    return (
        f"{model.path} has no signatures and {why}: pass --outputs NAME [--inputs NAME ...] "
        f"(API: outputs=[...]); ranked candidates: {ranked}"
    )
