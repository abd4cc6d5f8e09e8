"""Inputs named like a knob of the script that ran the model: switches (:data:`SWITCHES`, fed
their neutral value: keep_prob 1.0, is_training False) and settings (:data:`SETTINGS`, fed a value
in their usual range: a pyramid factor, a minimum size, a threshold). Append to teach another."""

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

SETTINGS: list[tuple[re.Pattern[str], tuple[float, float], str]] = [
    (re.compile(pattern, re.IGNORECASE), value_range, label)
    for pattern, value_range, label in (
        (r"factor|^scale$", (0.6, 0.8), "a scale factor, in (0, 1) so a loop it shrinks ends"),
        (r"min_?(imum_?)?(size|face|side|dim)", (20, 40), "a minimum size"),
        (r"thresh", (0.5, 0.7), "a threshold"),
    )
]
"""(pattern of the last name component; the range values are drawn from; label)."""


def _last(name: str) -> str:
    return op_name(name).rsplit("/", 1)[-1]


def switch_of(name: str) -> tuple[float | bool, str] | None:
    """``(neutral value, label)`` when an op name looks like a keep_prob-like switch."""
    return next(((v, label) for p, v, label in SWITCHES if p.search(_last(name))), None)


def setting_of(name: str) -> tuple[tuple[float, float], str] | None:
    """``((low, high), label)`` when an op name looks like a setting (factor, minimum, ...)."""
    return next(((r, label) for p, r, label in SETTINGS if p.search(_last(name))), None)
