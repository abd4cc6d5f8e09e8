"""MigrationWizard: browse, pick, run, convert and compare as five tabs over one shared state,
with "show code" printing the explorer calls equivalent to what was clicked."""

from __future__ import annotations

from typing import Any

import ipywidgets as W

from explorer.widgets._common import CodePane, StatusArea, adopt_state, bind, on_click
from explorer.widgets.browse import TensorBrowser
from explorer.widgets.compare import ParityView
from explorer.widgets.convert import Converter
from explorer.widgets.pick import IOPicker
from explorer.widgets.run import SessionRunner
from explorer.widgets.wizard_state import STEPS, WizardState


class MigrationWizard(W.VBox):
    """The five steps of a migration as tabs, over a :class:`WizardState`.

    Args:
        source: a ``WizardState``, or what it takes (a ``V1Model`` or path, ``out_dir``).
    """

    def __init__(self, source: Any, **kwargs: Any) -> None:
        self.state = s = adopt_state(self, source, WizardState, **kwargs)
        self.status = StatusArea()
        self.browser = TensorBrowser(s.browser)
        self.as_input = W.Button(description="use selected as input", icon="sign-in")
        self.as_output = W.Button(description="use selected as output", icon="sign-out")
        self.picker = IOPicker(s.picker)
        self.runner = SessionRunner(s.runner)
        self.converter = Converter(s.converter)
        self.parity = ParityView(s.parity)
        self.tabs = W.Tab(
            children=[
                W.VBox([self.browser, W.HBox([self.as_input, self.as_output])]),
                self.picker,
                self.runner,
                self.converter,
                self.parity,
            ],
            titles=[f"{i + 1}. {name}" for i, name in enumerate(STEPS)],
        )
        self.code = CodePane(s.code)
        bind(s, "step", self.tabs, trait="selected_index", status=self.status)
        on_click(self.as_input, self.status, lambda: s.use_selected("inputs"))
        on_click(self.as_output, self.status, lambda: s.use_selected("outputs"))
        super().__init__([self.tabs, self.status, self.code])
        self.add_class("tf1x-wizard")
