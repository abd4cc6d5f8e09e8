"""Keep_prob-like inputs: name patterns and the neutral value that turns randomness off.

Registered with :func:`switch`; :func:`switch_of` says whether an op name is one, and its value.
The sampler feeds these their neutral value, and parity's remedy uses them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from explorer.graph.names import op_name

SWITCHES: list[tuple[re.Pattern[str], Callable[[str], Any], str]] = []


def switch(pattern: str, neutral: Any, label: str) -> None:
    """Register a keep_prob-like input: op names matching ``pattern`` (last path component,
    case-insensitive) take ``neutral`` to turn randomness off. ``label`` names it in reports."""
    SWITCHES.append((re.compile(pattern, re.IGNORECASE), lambda dtype: neutral, label))


def switch_of(name: str) -> tuple[Any, str] | None:
    """``(neutral value, label)`` when an op name looks like a keep_prob-like switch."""
    last = op_name(name).rsplit("/", 1)[-1]
    for pattern, neutral, label in SWITCHES:
        if pattern.search(last):
            return neutral(""), label
    return None


switch(r"^(keep_?prob(ability)?|dropout_keep(_prob)?)$", 1.0, "keep probability")
switch(r"^(is_?training|training|is_?train|phase_?train|train_?phase)$", False, "training flag")
switch(r"^(dropout(_rate)?|drop_?rate)$", 0.0, "dropout rate")
