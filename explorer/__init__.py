"""tf1-explorer: get TensorFlow 1.x models running in TensorFlow 2.x, with proof nothing changed.

The flow (each step a plain-Python module; widgets and the CLI are views over them)::

    path --load--> V1Model --catalog/suggest/scan--> browse and pick
                      |--sample--> Feeds --V1Runner.infer--> outputs
                      `--convert--> V2Model --V2Runner.infer--> outputs
    outputs(v1) x outputs(v2) --compare/parity--> ParityReport --plots--> figures

Here: the verbs, the model and runner classes, the base error; records, errors, extension points
and Jupyter views in :mod:`explorer.records`, ``errors``, ``extend``, ``widgets``. Names resolve
on first use (PEP 562). No submodule is named like a public function (importing a submodule sets
the package attribute of its name)."""

from __future__ import annotations

from explorer._lazy import lazy_exports
from explorer._tf import install as _quiet_tensorflow_imports

_quiet_tensorflow_imports()  # the first `import tensorflow`, anyone's, without native log lines

__version__ = "0.1.0"

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "errors": ("ExplorerError",),
        "loading.model": ("load", "V1Model"),
        "running.session": ("ModelSession",),
        "inspection.catalog": ("Catalog",),
        "inspection.suggestions": ("suggest",),
        "inspection.gate": ("scan",),
        "feeding.sampling": ("sample",),
        "feeding.feeds": ("Feeds",),
        "feeding.data.sources": ("data",),
        "running.v1_runner": ("V1Runner",),
        "conversion.v2_model": ("V2Runner", "V2Model"),
        "conversion.build": ("convert",),
        "conversion.keras_layer": ("keras_layer",),
        "rewriting.api": ("to_keras",),
        "comparing.outputs": ("compare",),
        "comparing.records": ("Tolerance",),
        "comparing.parity_check": ("parity", "Sampled", "reference"),
        "comparing.divergence": ("first_divergence",),
        "reporting.model_explorer": ("view_graph",),
        "fleets.workers": ("fleet",),
    },
    submodules=("errors", "records", "extend", "widgets"),
)
