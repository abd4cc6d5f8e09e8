"""Example models for notebooks and demos, built on the fly with ``tf.compat.v1``.

:mod:`~explorer.examples.models`: the small MLP in every TF1 format and an Estimator-style
``tf.Example`` parser (what ``make lab`` opens); :mod:`~explorer.examples.hub_modules`: TF1 Hub
modules (text embedding, image feature vector, several signatures) written by ``tensorflow_hub``
0.15 (the dev extra), which notebook 07 opens. Test-only builders live in ``tests/model_builders``.
"""

from explorer.examples.models import (
    MLP_FORMATS,
    MLP_SIZES,
    build_all,
    build_example_parser_model,
    build_mlp,
    mlp_reference,
    mlp_weights,
)

__all__ = [
    "MLP_FORMATS",
    "MLP_SIZES",
    "build_all",
    "build_example_parser_model",
    "build_mlp",
    "mlp_reference",
    "mlp_weights",
]
