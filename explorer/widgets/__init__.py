"""Jupyter views of the flow: browse, pick, run, convert and compare (ipywidgets 8).

Each view is a thin ``ipywidgets.VBox`` over a plain state object that owns the logic and can be
used (and tested) without ipywidgets::

    from explorer.widgets import TensorBrowser, MigrationWizard
    TensorBrowser(model)          # a widget; TensorBrowser(model).state is a BrowserState
    BrowserState(model).widget    # the same view, built on first access

Importing this package imports neither ipywidgets nor TensorFlow; names resolve on first use.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    # state objects (no ipywidgets)
    "BrowserState": "state",
    "PickerState": "state",
    "Selection": "state",
    "RunnerState": "flow_state",
    "ConverterState": "flow_state",
    "ParityState": "parity_state",
    "WizardState": "wizard_state",
    # views (ipywidgets)
    "TensorBrowser": "browser",
    "IOPicker": "picker",
    "SessionRunner": "session_runner",
    "Converter": "converter_view",
    "ParityView": "parity_view",
    "MigrationWizard": "wizard",
    # drawing
    "render_svg": "graph_svg",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
