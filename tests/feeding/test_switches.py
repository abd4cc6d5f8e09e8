"""Keep_prob-like inputs: which names are switches, and the neutral value each takes."""

from __future__ import annotations

import re

import pytest

from explorer.feeding import sampling as switches


@pytest.mark.parametrize(
    ("name", "value", "label"),
    [
        ("keep_prob:0", 1.0, "keep probability"),
        ("model/dropout_keep_prob", 1.0, "keep probability"),
        ("is_training:0", False, "training flag"),
        ("net/phase_train", False, "training flag"),
        ("dropout_rate", 0.0, "dropout rate"),
    ],
)
def test_switch_names_and_neutral_values(name, value, label):
    assert switches.switch_of(name) == (value, label)


def test_other_names_are_not_switches():
    assert switches.switch_of("x:0") is None
    assert switches.switch_of("keep_prob_scale") is None  # the whole last component must match


def test_a_registered_switch_is_recognised():
    before = list(switches.SWITCHES)
    try:
        switches.SWITCHES.append((re.compile(r"^keep_rate$", re.IGNORECASE), 1.0, "keep rate"))
        assert switches.switch_of("a/keep_rate:0") == (1.0, "keep rate")
    finally:
        switches.SWITCHES[:] = before
