"""Jupyter views of the flow: browse, pick, run, convert and compare (ipywidgets 8).

Each view is a thin ``ipywidgets.VBox`` over a plain state object that owns the logic and can be
used (and tested) without ipywidgets::

    from explorer.widgets import TensorBrowser, MigrationWizard
    TensorBrowser(model)          # a widget; TensorBrowser(model).state is a BrowserState
    BrowserState(model).widget    # the same view, built on first access

Importing this package imports neither ipywidgets nor TensorFlow; names resolve on first use.
"""

from __future__ import annotations

from explorer._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    # state objects (no ipywidgets)
    "BrowserState": "browse_state",
    "PickerState": "pick_state",
    "Selection": "pick_state",
    "RunnerState": "run_state",
    "ConverterState": "convert_state",
    "ParityState": "compare_state",
    "WizardState": "wizard_state",
    # views (ipywidgets)
    "TensorBrowser": "browse",
    "IOPicker": "pick",
    "SessionRunner": "run",
    "Converter": "convert",
    "ParityView": "compare",
    "MigrationWizard": "wizard",
    # drawing
    "render_svg": "graph_svg",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
