"""Models the widget tests share: the example MLP as loaded models and as a saved TF2 conversion."""

from __future__ import annotations

import pytest

import explorer


@pytest.fixture(scope="module")
def frozen(mlp_paths):
    return explorer.load(mlp_paths["frozen_pb"])


@pytest.fixture(scope="module")
def saved(mlp, tmp_path_factory):
    return explorer.convert(mlp).save(tmp_path_factory.mktemp("v2") / "mlp_tf2")
