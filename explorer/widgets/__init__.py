"""Jupyter views of the flow: browse, pick, run, convert and compare (ipywidgets 8).

Each view is a thin ``ipywidgets.VBox`` over a plain state object that owns the logic and can be
used (and tested) without ipywidgets::

    from explorer.widgets import TensorBrowser, MigrationWizard
    TensorBrowser(model)          # a widget; TensorBrowser(model).state is a BrowserState
    BrowserState(model).widget    # the same view, built on first access

Importing this package imports neither ipywidgets nor TensorFlow; names resolve on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'explorer.widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
