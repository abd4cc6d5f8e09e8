"""tf1-explorer: get TensorFlow 1.x models running in TensorFlow 2.x, with proof nothing changed.

The flow (each step a plain-Python module; widgets and the CLI are views over them)::

    path --load--> V1Model --catalog/suggest/scan--> browse and pick
                      |--sample--> Feeds --V1Runner.infer--> outputs
                      `--convert--> V2Model --V2Runner.infer--> outputs
    outputs(v1) x outputs(v2) --compare/parity--> ParityReport --plots--> figures

``import explorer`` is cheap: TensorFlow is imported on first use of a step that needs it.
"""

from __future__ import annotations

from explorer._lazy import install_old_paths, lazy_exports
from explorer._tf import install as _quiet_tensorflow_imports

_quiet_tensorflow_imports()  # the first `import tensorflow`, anyone's, without native log lines

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
    "OutputChoiceError": "errors",
    "UnsafeModelError": "errors",
    "FeedError": "errors",
    "ConversionError": "errors",
    "OutputExistsError": "errors",
    "ParityError": "errors",
    # load
    "load": "loading.model",
    "V1Model": "loading.model",
    "TensorSpec": "graph.specs",
    "Signature": "graph.specs",
    "Variable": "graph.specs",
    "ModelSession": "running.session",
    # browse and pick
    "Catalog": "inspection.catalog",
    "suggest": "inspection.suggestions",
    "IOChoice": "inspection.suggestions",
    "Candidate": "inspection.output_heuristics",
    "Validation": "inspection.suggestions",
    "scan": "inspection.scanner",
    "Findings": "inspection.findings",
    "Finding": "inspection.findings",
    # run
    "sample": "feeding.sampling",
    "Feeds": "feeding.feeds",
    "data": "feeding.data.sources",
    "DataSource": "feeding.data.sources",
    "SparseValue": "feeding.feeds",
    "Runner": "running.base",
    "V1Runner": "running.v1_runner",
    "V2Runner": "conversion.v2_runner",
    # convert
    "convert": "conversion.converter",
    "V2Model": "conversion.v2_model",
    "keras_layer": "conversion.keras_layer",
    "replacements_for": "loading.replacements",
    "map_weights": "conversion.weight_mapping",
    "WeightMapping": "conversion.weight_mapping",
    "to_keras": "rewriting.api",
    "KerasRewrite": "rewriting.api",
    # parity
    "compare": "comparing.outputs",
    "parity": "comparing.parity_check",
    "first_divergence": "comparing.divergence",
    "ParityReport": "comparing.records",
    "ParitySummary": "comparing.records",
    "OutputComparison": "comparing.records",
    "Divergence": "comparing.records",
    "DivergenceStep": "comparing.records",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
install_old_paths()
