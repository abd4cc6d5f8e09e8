"""Models the feeding tests share."""

from __future__ import annotations

import pytest

import explorer
from explorer.examples.models import build_example_parser_model


@pytest.fixture(scope="module")
def parser_model(tmp_path_factory):
    return explorer.load(build_example_parser_model(tmp_path_factory.mktemp("px") / "model"))
