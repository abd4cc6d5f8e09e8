"""Jupyter views (ipywidgets 8), each a thin ``VBox`` over a plain state object holding the logic
(``BrowserState(model).widget`` is ``TensorBrowser(model)``); imports neither ipywidgets nor TF."""

from __future__ import annotations

from explorer._lazy import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "widgets.browse_state": ("BrowserState",),
        "widgets.pick_state": ("PickerState", "Selection"),
        "widgets.run_state": ("RunnerState",),
        "widgets.convert_state": ("ConverterState",),
        "widgets.compare_state": ("ParityState",),
        "widgets.wizard_state": ("WizardState",),
        "widgets.browse": ("TensorBrowser",),
        "widgets.pick": ("IOPicker",),
        "widgets.run": ("SessionRunner",),
        "widgets.convert": ("Converter",),
        "widgets.compare": ("ParityView",),
        "widgets.wizard": ("MigrationWizard",),
        "widgets.graph_svg": ("render_svg",),
        "widgets.fleet": ("FleetView",),
    },
)
