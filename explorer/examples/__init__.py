"""The example models the notebooks open (test-only builders: ``tests/model_builders``)."""

from explorer._lazy import lazy_exports

_MODELS = (
    "MLP_SIZES build_example_parser_model build_mlp build_training_mlp mlp_reference mlp_weights"
)
__all__, __getattr__, __dir__ = lazy_exports(__name__, {"examples.models": tuple(_MODELS.split())})
