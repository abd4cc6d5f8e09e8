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

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        # state objects (no ipywidgets)
        "widgets.browse_state": ("BrowserState",),
        "widgets.pick_state": ("PickerState", "Selection"),
        "widgets.run_state": ("RunnerState",),
        "widgets.convert_state": ("ConverterState",),
        "widgets.compare_state": ("ParityState",),
        "widgets.wizard_state": ("WizardState",),
        # views (ipywidgets)
        "widgets.browse": ("TensorBrowser",),
        "widgets.pick": ("IOPicker",),
        "widgets.run": ("SessionRunner",),
        "widgets.convert": ("Converter",),
        "widgets.compare": ("ParityView",),
        "widgets.wizard": ("MigrationWizard",),
        # drawing
        "widgets.graph_svg": ("render_svg",),
    },
)
