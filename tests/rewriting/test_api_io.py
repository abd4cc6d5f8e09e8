"""``to_keras`` checks custom inputs/outputs with the one custom-io check (ConversionError)."""

from __future__ import annotations

import pytest

import explorer
from explorer.errors import ConversionError


def test_custom_io_needs_outputs_and_no_signature(mlp):
    with pytest.raises(ConversionError, match="either signatures or inputs/outputs, not both"):
        explorer.to_keras(mlp, outputs=["probs"], signature="serving_default", check=False)
    with pytest.raises(ConversionError, match="no outputs given for .*: pass outputs="):
        explorer.to_keras(mlp, inputs=["x"], check=False)
