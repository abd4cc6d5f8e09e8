"""The example models the notebooks open, built on the fly with ``tf.compat.v1``: the MLP in every
TF1 format and a ``tf.Example`` parser (:mod:`.models`), two TF1 Hub modules (:mod:`.hub_modules`).
Test-only builders live in ``tests/model_builders``."""

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
