"""IOPicker: choose what to feed and fetch from ranked suggestions (each with its reason) or a
signature preset; a message says whether the outputs are computable from the chosen inputs."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as W

from explorer.widgets._common import CodePane, StatusArea, adopt_state, bind, on_click
from explorer.widgets.pick_state import PickerState


def _options(candidates: list[Any], feed: dict[str, Any] | None = None) -> list[tuple[str, str]]:
    out = []
    for c in candidates:
        label = f"{c.name}  [{c.dtype}] — {c.reason}"
        if feed and c.name in feed:  # the feed shape the graph decides, and why
            f = feed[c.name]
            dims = ", ".join("?" if d is None else str(d) for d in f["shape"] or [])
            shape = "<unknown rank>" if f["shape"] is None else f"[{dims}]"
            label += f" — feed {shape}: {'; '.join(f['reasons'] + f['notes'])}"
        out.append((label, c.name))
    return out


class _Side(W.VBox):
    """Suggestions, a name box, add/remove buttons and the chosen list for inputs or outputs."""

    def __init__(
        self, title: str, candidates: list[Any], names: list[str], feed: dict | None = None
    ) -> None:
        self.suggestions = W.Select(options=_options(candidates, feed), value=None, rows=6)
        self.name = W.Combobox(placeholder="or type a tensor name", options=names)
        self.add = W.Button(description=f"add {title[:-1]}", icon="plus")
        self.remove = W.Button(description="remove", icon="minus")
        self.chosen = W.Select(options=[], value=None, rows=4)
        super().__init__(
            [
                W.HTML(f"<b>{title}</b> (suggested, best first)"),
                self.suggestions,
                W.HBox([self.name, self.add]),
                W.HTML("chosen"),
                self.chosen,
                self.remove,
            ],
            layout=W.Layout(width="50%"),
        )

    def picked(self) -> str:
        """The typed name, else the highlighted suggestion."""
        typed = self.name.value.strip()
        if typed:
            return typed
        if self.suggestions.value is None:
            raise ValueError("highlight a suggestion or type a tensor name first")
        return self.suggestions.value


class IOPicker(W.VBox):
    """Inputs and outputs to run, over a :class:`PickerState`; ``.value`` is the choice.

    Args:
        source: a ``PickerState``, or what it takes (a ``V1Model`` or path).
    """

    def __init__(self, source: Any, **kwargs: Any) -> None:
        self.state = s = adopt_state(self, source, PickerState, **kwargs)
        self.status = StatusArea()
        self.preset = W.Dropdown(
            options=[("custom", "")] + [(n, n) for n in s.presets], description="preset"
        )
        names = s.catalog.names if len(s.catalog) <= 20_000 else []
        self.ins = _Side("inputs", s.choice.inputs, [f"{n}:0" for n in names], s.feed_shapes)
        self.outs = _Side("outputs", s.choice.outputs, [f"{n}:0" for n in names])
        self.message = W.HTML()
        self.message.add_class("tf1x-validation")
        self.code = CodePane(s.code)

        bind(
            s,
            "signature",
            self.preset,
            to_widget=lambda v: v or "",
            to_state=lambda v: v or None,
            status=self.status,
        )
        self.preset.observe(self._preset_chosen, "value")
        on_click(self.ins.add, self.status, lambda: self._add(self.ins, s.add_input))
        on_click(self.outs.add, self.status, lambda: self._add(self.outs, s.add_output))
        on_click(self.ins.remove, self.status, lambda: self._remove(self.ins, s.remove_input))
        on_click(self.outs.remove, self.status, lambda: self._remove(self.outs, s.remove_output))
        s.observe(lambda _: self._render(), ("inputs", "outputs", "validation", "message"))
        self._render()
        super().__init__(
            [self.preset, W.HBox([self.ins, self.outs]), self.message, self.status, self.code]
        )
        self.add_class("tf1x-picker")

    @property
    def value(self) -> Any:
        """The choice as a :class:`~explorer.widgets.state.Selection`."""
        return self.state.value

    def _preset_chosen(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.state.apply_preset(change["new"])

    def _add(self, side: _Side, add: Any) -> None:
        add(side.picked())
        side.name.value = ""

    def _remove(self, side: _Side, remove: Any) -> None:
        if side.chosen.value is None:
            raise ValueError("highlight a chosen tensor to remove first")
        remove(side.chosen.value)

    def _render(self) -> None:
        s = self.state
        for side, names in ((self.ins, s.inputs), (self.outs, s.outputs)):
            if tuple(side.chosen.options) != tuple(names):
                side.chosen.options = list(names)
            side.chosen.value = None
        v = s.validation
        ok = v is not None and bool(v)
        colour = "#1a7f37" if ok else "#d1242f"
        self.message.value = (
            f'<span style="color:{colour}">{"✔" if ok else "✘"} {html.escape(s.message)}</span>'
        )
