"""The example models the notebooks open (test-only builders: ``tests/model_builders``)."""

from explorer.examples.models import (
    MLP_FORMATS,
    MLP_SIZES,
    build_example_parser_model,
    build_mlp,
    mlp_reference,
    mlp_weights,
)

__all__ = [
    "MLP_FORMATS",
    "MLP_SIZES",
    "build_example_parser_model",
    "build_mlp",
    "mlp_reference",
    "mlp_weights",
]
