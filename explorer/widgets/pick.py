"""IOPicker: what to feed and fetch, from ranked suggestions or a signature preset, validated."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import ipywidgets as W

from explorer.graph.names import shape_text
from explorer.reporting.html import esc
from explorer.widgets import _common as C
from explorer.widgets.pick_state import PickerState, Selection

if TYPE_CHECKING:
    from explorer.inspection.suggestions import Candidate

COLUMNS = [("tensor", "45%", "tf1x-mid"), ("dtype", "", "tf1x-fit"), ("shape", "", "tf1x-fit")]
COLUMNS += [("why", "", "")]


class _Side(W.VBox):
    """Suggestions, a name box, add/remove buttons and the chosen ``title`` (inputs or outputs)."""

    def __init__(self, title: str, state: PickerState, names: list[str], status: C.StatusArea):
        feed = state.feed_shapes if title == "inputs" else {}
        self.candidates, self.feed = list(getattr(state.choice, title)), feed
        self.value: str | None = None  # the highlighted suggestion
        self.suggestions = C.ClickableHTML().add_class(f"tf1x-suggest-{title}")
        self.suggestions.on_pick(self.highlight)
        hint, width = "or type a tensor name", W.Layout(width="60%")
        self.name = W.Combobox(placeholder=hint, options=names, layout=width)
        self.add, self.remove = C.button(f"add {title[:-1]}", "plus"), C.button("remove", "minus")
        one = title[:-1]  # input or output
        C.on_click(self.add, status, partial(self._add, getattr(state, f"add_{one}")))
        C.on_click(self.remove, status, partial(self._remove, getattr(state, f"remove_{one}")))
        C.enter_clicks(self.name, self.add)
        self.chosen = W.Select(options=[], value=None, rows=4, layout=W.Layout(width="95%"))
        self._render()
        head = W.HTML(f"<b>{title}</b> (suggested, best first: click one, then add)")
        children = [head, self.suggestions, W.HBox([self.name, self.add]), W.HTML("chosen")]
        layout = W.Layout(flex="1 1 460px", min_width="0", padding="0 6px 0 0")  # or stacked
        super().__init__([*children, self.chosen, self.remove], layout=layout)

    def highlight(self, name: str | None) -> None:
        """Highlight a suggestion (what a click on its row does); ``None`` clears."""
        self.value = name if name in {c.name for c in self.candidates} else None
        self._render()

    def _row(self, c: Candidate) -> list[str]:  # name, dtype, shape (as fed), reason
        why, shape, f = c.reason, shape_text(c.shape), self.feed.get(c.name)
        if f is not None:
            shape = shape_text(f["shape"])
            if said := "; ".join([*f.get("reasons", []), *f.get("notes", [])]):
                why = f"{why}; feed {shape}: {said}"
        return [c.name, c.dtype, shape, why]

    def _render(self) -> None:
        rows = [self._row(c) for c in self.candidates]
        names, empty = [c.name for c in self.candidates], "nothing to suggest: type a tensor name"
        self.suggestions.html = C.grid_html(COLUMNS, rows, names, self.value, empty)

    def _add(self, add: Callable[[str], None]) -> None:  # the typed name, else the highlighted
        typed = self.name.value.strip()
        if not typed and self.value is None:
            raise ValueError("highlight a suggestion or type a tensor name first")
        add(typed or self.value)
        self.name.value = ""

    def _remove(self, remove: Callable[[str], None]) -> None:
        if self.chosen.value is None:
            raise ValueError("highlight a chosen tensor to remove first")
        remove(self.chosen.value)


class IOPicker(C.View):
    """Inputs and outputs to run, over a :class:`PickerState`; ``.value`` is the choice."""

    def __init__(self, source: object, show_code: bool = True, **kwargs: object) -> None:
        s = self._open(source, PickerState, **kwargs)
        if s is None:
            return
        presets = [("custom", "")] + [(n, n) for n in s.presets]
        self.preset = preset = W.Dropdown(options=presets, description="preset")
        names = [f"{n}:0" for n in s.catalog.names] if len(s.catalog) <= 20_000 else []
        self.ins, self.outs = (_Side(t, s, names, self.status) for t in ("inputs", "outputs"))
        self.message = W.HTML().add_class("tf1x-validation")
        C.bind(s, "signature", preset, "value", lambda v: v or "", lambda v: v or None, self.status)
        self.preset.observe(self._preset_chosen, "value")
        s.observe(lambda _: self._render(), ("inputs", "outputs", "validation", "message"))
        C.clear_on(s, self.status, ("signature", "inputs", "outputs"))
        self._render()
        sides = W.HBox([self.ins, self.outs], layout=W.Layout(flex_flow="row wrap"))
        children = [self.preset, sides, self.message, self.status]
        self._lay_out(children, "tf1x-picker", show_code)

    @property
    def value(self) -> Selection:  # the choice (the state's :attr:`~PickerState.value`)
        return self.state.value

    def _preset_chosen(self, change: dict[str, str]) -> None:
        if change["new"]:
            self.state.apply_preset(change["new"])

    def _render(self) -> None:
        s = self.state
        for side, names in ((self.ins, s.inputs), (self.outs, s.outputs)):  # keeps a highlight
            kept = side.chosen.value if side.chosen.value in names else None
            C.set_options(side.chosen, list(names), kept)
        ok = s.validation is not None and bool(s.validation)
        colour, mark = ("#1a7f37", "✔") if ok else ("#d1242f", "✘")
        self.message.value = f'<span style="color:{colour}">{mark} {esc(s.message)}</span>'
