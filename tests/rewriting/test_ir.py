"""Literals and layer calls written into the generated source."""

from __future__ import annotations

import numpy as np

from explorer.rewriting.graph import KERAS_RULES, kwargs_code, layer_code, lit


def test_literals_are_short_and_exact_for_float32():
    assert lit(np.float32(1e-3)) == "0.001" and lit(0.30000001192092896) == "0.3"
    assert lit((3,)) == "(3,)" and lit([np.int64(1), 2]) == "[1, 2]" and lit(True) == "True"
    assert np.float32(float(lit(np.float32(1 / 3)))) == np.float32(1 / 3)
    assert kwargs_code(a=1, b=None, c="same") == 'a=1, c="same"'


def test_layer_code_names_the_layer_and_calls_it_on_its_inputs():
    assert layer_code("Dense", 8, use_bias=False) == (
        'keras.layers.Dense(8, use_bias=False, name="{name}")({0})'
    )
    assert KERAS_RULES.many  # several rules may share an op type (Add: Dense, batch norm, ...)
