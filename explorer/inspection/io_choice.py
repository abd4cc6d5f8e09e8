"""The default tensors to run when nothing is chosen: the signature, else the top suggestion."""

from __future__ import annotations

from typing import Any

from explorer.errors import SignatureNotFoundError


def default_io(model: Any) -> tuple[list[str], list[str]]:
    """Input and output tensor names to run a model that has no signatures.

    The top output :func:`explorer.suggest` ranks, and the placeholders it needs (switches with
    a default, like ``keep_prob``, keep their default).
    """
    from explorer.inspection.suggestions import suggest

    choice = suggest(model)
    if not choice.outputs:
        raise SignatureNotFoundError(
            f"{model.path} has no signatures and no output candidates: pass inputs= and outputs="
            " (CLI: --inputs/--outputs)"
        )
    output = choice.outputs[0].name
    needed = choice.validate([], [output]).missing
    return [f"{op}:0" for op in needed], [output]
