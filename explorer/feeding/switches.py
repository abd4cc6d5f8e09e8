"""Keep_prob-like inputs: :data:`SWITCHES` (name patterns and the neutral value that turns
randomness off; append to teach another) and :func:`switch_of`. Used by the sampler and parity."""

from __future__ import annotations

import re

from explorer.graph.names import op_name

SWITCHES: list[tuple[re.Pattern[str], float | bool, str]] = [
    (re.compile(pattern, re.IGNORECASE), neutral, label)
    for pattern, neutral, label in (
        (r"^(keep_?prob(ability)?|dropout_keep(_prob)?)$", 1.0, "keep probability"),
        (r"^(is_?training|training|is_?train|phase_?train|train_?phase)$", False, "training flag"),
        (r"^(dropout(_rate)?|drop_?rate)$", 0.0, "dropout rate"),
    )
]
"""(pattern of the op name's last path component, case-insensitive; neutral value; label)."""


def switch_of(name: str) -> tuple[float | bool, str] | None:
    """``(neutral value, label)`` when an op name looks like a keep_prob-like switch."""
    last = op_name(name).rsplit("/", 1)[-1]
    for pattern, neutral, label in SWITCHES:
        if pattern.search(last):
            return neutral, label
    return None
