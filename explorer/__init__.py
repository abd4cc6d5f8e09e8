"""tf1-explorer: get TensorFlow 1.x models running in TensorFlow 2.x, with proof nothing changed.

The flow (each step a plain-Python module; widgets and the CLI are views over them)::

    path --load--> V1Model --catalog/suggest/scan--> browse and pick
                      |--sample--> Feeds --V1Runner.infer--> outputs
                      `--convert--> V2Model --V2Runner.infer--> outputs
    outputs(v1) x outputs(v2) --compare/parity--> ParityReport --plots--> figures

``import explorer`` is cheap: TensorFlow is imported on first use of a step that needs it.
"""

from __future__ import annotations

from ._lazy import lazy_exports

__version__ = "0.1.0"

# Public name -> submodule that defines it. Resolved lazily (PEP 562) so that importing the
# package imports neither TensorFlow nor the widgets. No submodule is named like a public function
# (``loader`` defines ``load``): importing a submodule sets the package attribute of its name, which
# would hide the function.
_EXPORTS: dict[str, str] = {
    # errors
    "ExplorerError": "errors",
    "ModelNotFoundError": "errors",
    "ModelFormatError": "errors",
    "AmbiguousModelError": "errors",
    "TagsError": "errors",
    "MissingVariablesError": "errors",
    "TensorNotFoundError": "errors",
    "SignatureNotFoundError": "errors",
    "SessionError": "errors",
    "UnsupportedOpError": "errors",
    "UnsafeModelError": "errors",
    "FeedError": "errors",
    "ConversionError": "errors",
    "OutputExistsError": "errors",
    "ParityError": "errors",
    # load
    "load": "loader",
    "V1Model": "loader",
    "TensorSpec": "specs",
    "Signature": "specs",
    "Variable": "specs",
    "ModelSession": "session",
    # browse and pick
    "Catalog": "catalog",
    "suggest": "suggester",
    "IOChoice": "suggester",
    "Candidate": "output_heuristics",
    "Validation": "suggester",
    "scan": "scanner",
    "Findings": "scanner",
    "Finding": "scanner",
    # run
    "sample": "sampler",
    "Feeds": "sampler",
    "SparseValue": "sampler",
    "Runner": "runners",
    "V1Runner": "runners",
    "V2Runner": "runners_v2",
    # convert
    "convert": "converter",
    "V2Model": "converter",
    "keras_layer": "keras_bridge",
    "map_weights": "weights",
    "WeightMapping": "weights",
    # parity
    "compare": "comparison",
    "parity": "parity_run",
    "first_divergence": "divergence",
    "ParityReport": "parity_records",
    "ParitySummary": "parity_records",
    "OutputComparison": "parity_records",
    "Divergence": "parity_records",
    "DivergenceStep": "parity_records",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
