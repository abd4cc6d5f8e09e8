"""The zoo's builders: one per advertised zoo model, registered by name, none of them twice."""

from __future__ import annotations

import pytest

from tests.model_builders import zoo_builders
from tests.model_builders.zoo import ZOO_MODELS


def test_one_builder_per_zoo_model():
    assert set(zoo_builders.BUILDERS) == set(ZOO_MODELS)
    assert all(callable(fn) for fn in zoo_builders.BUILDERS.values())


def test_a_name_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="cond_while"):
        zoo_builders._builder("cond_while")(lambda out: out)
