"""MigrationWizard: five tabs over one state under a header, and one "show code" for all."""

from __future__ import annotations

from functools import partial
from typing import Any

import ipywidgets as W

from explorer.feeding.data.sources import ImageSource, data
from explorer.reporting.html import data_uri, esc
from explorer.widgets import _common as C
from explorer.widgets.browse import TensorBrowser
from explorer.widgets.compare import ParityView
from explorer.widgets.convert import Converter
from explorer.widgets.pick import IOPicker
from explorer.widgets.run import SessionRunner
from explorer.widgets.wizard_state import MARKS, STEPS, WizardState


class MigrationWizard(C.View):
    """The five steps of a migration as tabs over a :class:`WizardState` (or a model and
    ``out_dir``); a model that cannot be opened: why in one line, and a path box to try again."""

    def __init__(self, source: object, **kwargs: str) -> None:
        self._kwargs = kwargs
        s = self._open(source, WizardState, **kwargs)
        if s is None:
            self._offer_retry(source)
            return
        super().__init__()
        self._build(s)

    def _offer_retry(self, source: object) -> None:
        pathlike = isinstance(source, (str, bytes)) or hasattr(source, "__fspath__")
        hint, width = "a SavedModel folder, .pb/.pbtxt or .meta file", W.Layout(width="70%")
        value = str(source) if pathlike else ""
        self.path = W.Text(value=value, description="model", placeholder=hint, layout=width)
        self.open_button = W.Button(description="open", icon="folder-open")
        C.on_click(self.open_button, self.status, self._retry)  # still not a model: one line
        C.enter_clicks(self.path, self.open_button)
        self.children = [self.status, W.HBox([self.path, self.open_button])]

    def _retry(self) -> None:
        s = self._open(WizardState(self.path.value.strip(), **self._kwargs), WizardState)
        self.remove_class("tf1x-failed")
        self._build(s)

    def _build(self, s: WizardState) -> None:  # after _open: state and status are set
        self.browser = TensorBrowser(s.browser, show_code=False)
        for side, icon in (("input", "sign-in"), ("output", "sign-out")):
            button = C.button(f"use selected as {side}", icon)
            setattr(self, f"as_{side}", button)
            done = f"added {{}} to the {side}s (see 2. pick)".format
            C.on_click(button, self.status, partial(s.use_selected, f"{side}s"), None, done)
        self.picker = IOPicker(s.picker, show_code=False)
        self.runner = SessionRunner(s.runner, show_code=False)
        self.converter = Converter(s.converter, show_code=False)
        self.parity = ParityView(s.parity, show_code=False)
        self.save_button = W.Button(description="save run", icon="save")
        saved = "saved the run (feeds, outputs, JSON and HTML report) to {}".format
        C.on_click(self.save_button, self.parity.status, s.save, "saving the run…", saved)
        self.data_note = W.HTML().add_class("tf1x-data-note")
        self.header = W.HTML().add_class("tf1x-wizard-header")
        browse = W.VBox([self.browser, W.HBox([self.as_input, self.as_output])])
        compare = W.VBox([self.parity, self.data_note, self.save_button])
        self.tabs = W.Tab(children=[browse, self.picker, self.runner, self.converter, compare])
        watch = [s, s.browser, s.picker, s.runner, s.converter, s.parity]
        self.code = C.CodePane(s.code, watch=watch)
        C.bind(s, "step", self.tabs, trait="selected_index", status=self.status)
        C.bind(s, "marks", self.tabs, "titles", lambda marks: tuple(map(_title, STEPS, marks)))
        s.picker.observe(self._header, ("inputs", "outputs", "signature"))
        s.parity.observe(self._data_note, ("summary", "shown"))
        self._header()
        self.children = [self.header, self.tabs, self.status, self.code]
        self.add_class("tf1x-wizard")

    def _header(self, _: Any = None) -> None:
        self.header.value = f"<b>{esc(self.state.header())}</b>"

    def _data_note(self, _: Any = None) -> None:
        """Which data a comparison on the user's data ran on, and a thumbnail of an image."""
        report, where = self.state.parity.report(), self.state.parity.data
        info = report.data if report is not None else {}
        if not info:
            self.data_note.value = ""
            return
        thumb = ""
        if isinstance(source := data(where), ImageSource):
            img = source.paths[0]
            kind = img.suffix.lstrip(".").lower().replace("jpg", "jpeg")
            uri = data_uri(img.read_bytes(), f"image/{kind}")
            thumb = f"<img src='{uri}' title='{esc(img.name)}' height=48>"
        line = f"ran on {info['source']}: {info['examples']:,} examples"
        self.data_note.value = f"<div>{thumb} {esc(line)}</div>"


def _title(step: str, mark: str) -> str:  # "3. run ✔"
    return f"{STEPS.index(step) + 1}. {step} {MARKS.get(mark, '')}".rstrip()
