"""tf1-explorer: get TensorFlow 1.x models running in TensorFlow 2.x, with proof nothing changed.

The flow: ``load`` -> ``V1Model`` (browse: ``Catalog``, ``suggest``, ``scan``); ``sample`` ->
``Feeds`` -> ``V1Runner``; ``convert`` -> ``V2Model`` -> ``V2Runner``; both outputs -> ``parity``.
Records, errors, extension points and Jupyter views: :mod:`explorer.records`, ``errors``,
``extend``, ``widgets``. Names resolve on first use (PEP 562); no submodule is named like a public
function (importing a submodule sets the package attribute of its name)."""

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
