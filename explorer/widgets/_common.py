"""What every view shares: status line, bindings, click handlers, show-code, tables, ``View``,
``ClickableHTML`` (HTML reporting clicks on ``data-name`` elements), the "whole graph" buttons."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from functools import partialmethod
from pathlib import Path
from typing import Any, TypeVar

import anywidget
import ipywidgets as W
import traitlets

from explorer.errors import ExplorerError, first_line
from explorer.reporting.html import esc
from explorer.reporting.model_explorer import GraphView, view_graph
from explorer.running.session import GRAPH_FIX, RUN_FIX
from explorer.widgets._observable import Observable

S = TypeVar("S", bound=Observable)
R = TypeVar("R")


def button(description: str, icon: str, **layout: str) -> W.Button:
    """A button as wide as its label (``layout``: more CSS of its layout)."""
    return W.Button(description=description, icon=icon, layout=W.Layout(width="auto", **layout))


class StatusArea(W.HTML):
    """One line under a view: what happened, what is running, or the error (never a traceback)."""

    def __init__(self) -> None:
        super().__init__()
        self.add_class("tf1x-status")
        self.kind, self.text = "clear", ""

    def _show(self, kind: str, colour: str, text: str = "") -> None:
        self.kind, self.text = kind, text
        self.value = f'<span style="color:{colour}">{esc(text)}</span>' if text else ""

    ok = partialmethod(_show, "ok", "#1a7f37")
    busy = partialmethod(_show, "busy", "#57606a")
    error = partialmethod(_show, "error", "#d1242f")
    clear = partialmethod(_show, "clear", "")


def guarded(status: StatusArea, fn: Callable[[], R]) -> R | None:
    """``fn()``, or ``None`` with the error as one line in ``status``."""
    try:
        return fn()
    except Exception as e:  # shown inline: a widget callback has nowhere else to report
        status.error(error_line(e))
        return None


# what the API and CLI say, in the words of the widgets (no flags, no code, no class names):
# an error's ``fix`` field (SessionError), else the text
FIXES = {
    RUN_FIX: "if an input needs another shape or range, set low/high or upload feeds (.npz)",
    GRAPH_FIX: GRAPH_FIX.partition(":")[0],  # the graph is at fault: no API call to try
}
WIDGET_WORDS = (
    ("find names with catalog.search(...)", "find names in the browse tab"),
    ("pass overwrite=True", "tick “overwrite”"),
)


def error_line(e: BaseException) -> str:
    """One line in the widgets' words: never a class name, CLI flag or API call."""
    if isinstance(e, OSError) and e.strerror:
        text = f"cannot use {e.filename}: {e.strerror}" if e.filename else e.strerror
    else:
        text = str(e).strip() if isinstance(e, ExplorerError) else first_line(e, 400)
    fix = getattr(e, "fix", "")
    if fix in FIXES:
        text = text.removesuffix(fix) + FIXES[fix]
    for code, words in WIDGET_WORDS:
        text = text.replace(code, words)
    return re.sub(r" ?\((?:CLI|API)\b[^)]*\)", "", text) or "failed: see the kernel log"


def on_click(
    button: W.Button,
    status: StatusArea,
    fn: Callable[[], R],
    busy: str | None = None,
    done: Callable[[R], str] | None = None,
) -> None:
    """``button`` calls ``fn()`` (disabled meanwhile; errors, ``busy``, ``done(result)`` shown)."""

    def call() -> R:
        if busy is not None:
            status.busy(busy)
        result = fn()
        if done is not None:
            status.ok(done(result))
        elif status.kind in ("error", "busy"):
            status.clear()  # an old error must not outlive the action that succeeded
        return result

    def handler(_: W.Button) -> None:
        button.disabled = True
        try:
            guarded(status, call)
        finally:
            button.disabled = False

    button.on_click(handler)


def bind(
    state: Observable,
    field: str,
    widget: W.Widget,
    trait: str = "value",
    to_widget: Callable[[Any], object] = lambda v: v,
    to_state: Callable[[Any], object] = lambda v: v,
    status: StatusArea | None = None,
) -> None:
    """Two-way link of ``state.field`` and ``widget.trait``; a refused value is shown, put back."""
    busy = [False]  # a change made by one side must not echo back from the other
    shown: list[str | None] = [None]  # the error this binding put in the status line

    def quiet(fn: Callable[[Any], None]) -> Callable[[Any], None]:
        def run(change: Any) -> None:
            if not busy[0]:
                busy[0] = True
                try:
                    fn(change)
                finally:
                    busy[0] = False

        return run

    def from_widget(change: dict[str, object]) -> None:
        try:
            setattr(state, field, to_state(change["new"]))
            if status is not None and status.kind == "error" and status.text == shown[0]:
                status.clear()
        except (ExplorerError, ValueError, TypeError) as e:
            if status is None:
                raise
            shown[0] = error_line(e)
            status.error(shown[0])
            setattr(widget, trait, to_widget(getattr(state, field)))

    setattr(widget, trait, to_widget(getattr(state, field)))
    state.observe(quiet(lambda change: setattr(widget, trait, to_widget(change.new))), field)
    widget.observe(quiet(from_widget), trait)


def bind_all(state: Observable, widgets: dict[str, W.Widget], status: StatusArea) -> None:
    for field, widget in widgets.items():
        bind(state, field, widget, status=status)


def clear_on(state: Observable, status: StatusArea, fields: Iterable[str]) -> None:
    """A result or error line goes when one of ``fields`` changes (by a click or from code)."""
    state.observe(lambda _: status.kind in ("ok", "error") and status.clear(), fields)


def enter_clicks(box: W.Text, button: W.Button) -> None:
    box._submission_callbacks.register_callback(lambda _: button.click())


def set_options(widget: W.Widget, options: Sequence[object], value: object = None) -> None:
    """``options`` (set only when they changed: that fires the observers), then ``value``."""
    if list(widget.options) != list(options):
        widget.options = options
    widget.value = value


class CodePane(W.VBox):
    """A "show code" toggle and the API calls that do what was clicked, current while open."""

    def __init__(
        self, code: Callable[[], str], watch: Observable | Iterable[Observable] = ()
    ) -> None:
        self.button = W.Button(description="show code", icon="code").add_class("tf1x-show-code")
        self.pre = W.HTML().add_class("tf1x-code")
        self._code, self.is_open = code, False
        self.button.on_click(lambda _: self.toggle())
        for state in [watch] if isinstance(watch, Observable) else list(watch):
            state.observe(lambda _: self.refresh())
        super().__init__([self.button, self.pre])

    def toggle(self) -> str:
        """Open the pane (the code rendered now) or close it; returns the code shown."""
        self.is_open = not self.is_open
        self.button.description = "hide code" if self.is_open else "show code"
        return self.refresh()

    def refresh(self) -> str:
        """Render the code again when the pane is open; returns it (``""`` when closed)."""
        if not self.is_open:
            self.pre.value = ""
            return ""
        try:
            text = self._code()
        except Exception as e:  # the code of a half-done step: say why, never a traceback
            text = f"# no code yet: {error_line(e)}"
        self.pre.value = f"<pre>{html.escape(text, quote=False)}</pre>"  # names in it are repr()
        return text


class View(W.VBox):
    """Base of the views: ``state``, ``status``; failing to open or ``repr()``: one line."""

    state: Any = None  # the state object (its class depends on the view)

    def _open(self, source: object, state_cls: type[S], *args: Any, **kwargs: Any) -> S | None:
        """``state`` made from ``source`` (or it), with a fresh ``status``; ``None``: it failed."""
        self.status = StatusArea()
        try:
            s = source if isinstance(source, state_cls) else state_cls(source, *args, **kwargs)
            object.__setattr__(s, "_widget", self)
            self.state = s
        except Exception as e:  # shown inline, like every other widget error
            self.state = None
            self.status.error(error_line(e))
            W.VBox.__init__(self, [self.status])
            self.add_class("tf1x-failed")
        return self.state

    def _lay_out(self, children: list[W.Widget], css: str, show_code: bool) -> None:
        """Lay out ``children`` (then the code pane when ``show_code``); ``css`` names the view."""
        self.code = CodePane(self.state.code, watch=self.state)
        W.VBox.__init__(self, children + ([self.code] if show_code else []))
        self.add_class(css)

    def __repr__(self) -> str:
        name = type(self).__name__
        if self.state is None:
            return f"{name}: could not open ({self.status.text})"
        model = self.state.model  # None: a BrowserState over a bare Catalog
        src = model.path if model is not None else self.state.catalog.source
        where = f" of {Path(str(src)).name}" if src else ""
        return f"{name}{where}: an interactive view; run this cell in a live kernel to use it"


_ESM = """
function render({ model, el }) {
  el.classList.add("tf1x-clickable");
  const first = (box) => box?.querySelector("tr[data-name]")?.getAttribute("data-name");
  const draw = () => {  // keeps a page's scroll position and the selected row in view
    const old = el.querySelector(".tf1x-scroll"), top = old?.scrollTop, was = first(old);
    el.innerHTML = model.get("html");
    const box = el.querySelector(".tf1x-scroll"), row = box?.querySelector(".tf1x-selected");
    if (box && first(box) === was) box.scrollTop = top;
    if (!row) return;
    const y = row.offsetTop - box.querySelector("thead").offsetHeight;
    const low = row.offsetTop + row.offsetHeight - box.clientHeight;
    box.scrollTop = Math.min(Math.max(box.scrollTop, low), y);
  };
  el.addEventListener("click", (event) => {
    const hit = event.target.closest("[data-name]");
    if (!hit || !el.contains(hit)) return;
    model.set("clicked", hit.getAttribute("data-name"));
    model.set("clicks", model.get("clicks") + 1);
    model.save_changes();
  });
  el.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    const hit = event.target.closest("[data-name]");
    if (hit) { event.preventDefault(); hit.click(); }
  });
  model.on("change:html", draw);
  draw();
}
export default { render };
"""

_CSS = """
.tf1x-clickable { width: 100%; } .tf1x-clickable [data-name] { cursor: pointer; }
.tf1x-clickable .tf1x-scroll { max-height: 440px; overflow-y: auto; position: relative; }
.tf1x-clickable table.tf1x-grid {
  width: 100%; table-layout: fixed; border-collapse: collapse; font-size: 12px; line-height: 18px;
}
.tf1x-clickable table.tf1x-grid th, .tf1x-clickable table.tf1x-grid td {
  padding: 1px 6px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  text-align: left; border-bottom: 1px solid var(--jp-border-color2, #eaeef2);
}
.tf1x-clickable table.tf1x-grid thead th {
  position: sticky; top: 0; background: var(--jp-layout-color1, #fff); font-weight: 600;
}
.tf1x-clickable table.tf1x-grid tbody tr[data-name]:hover { background: #f6f8fa; }
.tf1x-clickable table.tf1x-grid tbody tr.tf1x-selected { background: #ddf4ff; }
.tf1x-clickable .tf1x-fit { font-family: var(--jp-code-font-family, monospace); font-size: 12px; }
.tf1x-clickable td.tf1x-mid > div { display: flex; }
.tf1x-clickable td.tf1x-mid span { overflow: hidden; text-overflow: ellipsis; }
.tf1x-clickable td.tf1x-mid span + span { flex-shrink: 0; max-width: 85%; direction: rtl; }
.tf1x-clickable td.tf1x-mid bdi { direction: ltr; unicode-bidi: isolate; }
.tf1x-clickable .tf1x-node:hover rect { stroke-width: 2.5; }
"""


class ClickableHTML(anywidget.AnyWidget):
    """HTML reporting clicks on ``data-name`` elements: ``clicked`` (a name), ``clicks``."""

    _esm = traitlets.Unicode(_ESM).tag(sync=True)
    _css = traitlets.Unicode(_CSS).tag(sync=True)
    html = traitlets.Unicode("").tag(sync=True)
    clicked = traitlets.Unicode("").tag(sync=True)
    clicks = traitlets.Int(0).tag(sync=True)

    def on_pick(self, fn: Callable[[str], object]) -> None:
        """Call ``fn(name)`` whenever an element with ``data-name="name"`` is clicked."""
        self.observe(lambda _: fn(self.clicked), "clicks")

    def click(self, name: str) -> None:
        """What the front end does when a person clicks the element named ``name``."""
        self.set_state({"clicked": name, "clicks": self.clicks + 1})

    def __repr__(self) -> str:
        return "ClickableHTML()"


Column = tuple[str, str, str]  # header, CSS width ("" = the rest), cell class (see grid_html)


def grid_html(
    columns: Sequence[Column],
    rows: Sequence[Sequence[object]],
    names: Sequence[str],
    selected: str | None = None,
    empty: str = "",
) -> str:
    """A table for ``ClickableHTML`` (row ``i`` reports ``names[i]``), one line a cell, whole on
    hover: ``""`` cells end in an ellipsis, ``"tf1x-mid"`` are cut in the middle, ``"tf1x-fit"``
    never (as wide as the longest); ``empty``: the line shown instead of an empty body."""
    cols = ""
    for i, (h, w, cls) in enumerate(columns):
        if cls == "tf1x-fit":
            w = f"calc({max([len(h), *(len(str(r[i])) for r in rows)])}ch + 14px)"
        cols += f"<col class='{cls}' style='width:{w or 'auto'}'>"
    head = "".join(f"<th class='{cls}'>{esc(h)}</th>" for h, _, cls in columns)
    body = []
    for name, row in zip(names, rows):
        sel = " tf1x-selected" if name == selected else ""
        attrs = f' data-name="{html.escape(name)}" class="tf1x-row{sel}" tabindex="0"'
        attrs += ' aria-selected="true"' if sel else ""
        cells = []
        for (_, _, cls), c in zip(columns, row):
            raw = str(c)
            text = inner = esc(raw)
            if cls == "tf1x-mid":  # head and last scope part, only the head cut (CSS)
                cut = raw.rfind("/") if raw.rfind("/") > 0 else len(raw) // 2
                inner = f"<div><span>{esc(raw[:cut])}</span><span><bdi>{esc(raw[cut:])}</bdi>"
                inner += "</span></div>"
            attr = f' class="{cls}"' if cls else ""
            cells.append(f'<td{attr} title="{text}">{inner}</td>')
        body.append(f"<tr{attrs}>{''.join(cells)}</tr>")
    if not rows and empty:
        cell = f"<td class='tf1x-empty' colspan='{len(columns)}'><i>{esc(empty)}</i></td>"
        body.append(f"<tr>{cell}</tr>")
    return (
        "<div class='tf1x-scroll'><table class='tf1x-grid tf1x-table'>"
        f"<colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def table_html(
    header: list[str], rows: list[list[object]], row_styles: list[str] | None = None
) -> str:
    """A small HTML table (values escaped); ``row_styles`` adds a ``style`` per row."""
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{esc(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        style = f' style="{row_styles[i]}"' if row_styles and row_styles[i] else ""
        cells = "".join(f"<td style='padding:2px 8px'>{esc(c)}</td>" for c in row)
        body.append(f"<tr{style}>{cells}</tr>")
    return (
        "<table class='tf1x-table' style='border-collapse:collapse;font-size:12px'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def whole_graph_box(
    source: Any,
    result: Callable[[], Any] = list,
    selected: Callable[[], Any] = str,
    converted: Callable[[], Any] | None = None,
    watch: tuple[Observable, tuple[str, ...]] | None = None,
) -> W.VBox:
    """ "whole graph" opens ``source`` (``V1Model``/``Catalog``), "converted graph" ``converted()``
    (a ``V2Model``), with ``result()`` overlaid and ``selected()``'s scope open, in place of the
    box's ``view``; "close" stops it. A change of ``watch`` (state, fields) reopens it."""
    whole = button("whole graph", "sitemap")  # each its own layout
    v2_button = button("converted graph", "sitemap", display="" if converted else "none")
    close = W.Button(description="close", icon="times", layout=W.Layout(display="none"))
    frame, status = W.HTML(), StatusArea()
    status.remove_class("tf1x-status").add_class("tf1x-graph-status")  # the view's own stays one
    box = W.VBox([W.HBox([whole, v2_button, close]), status, frame]).add_class("tf1x-whole-graph")
    box.view = box.opened = None  # the view shown; the button that opened it, until "close"

    def show(view: GraphView | None = None, opened: Any = None) -> GraphView | None:
        if box.view is not None:
            box.view.stop()
        box.view, box.opened, frame.value = view, opened, view._repr_html_() if view else ""
        close.layout.display = "none" if view is None else ""
        return view

    def opener(v2: Callable[[], Any] | None) -> Callable[[], GraphView | None]:
        def opened() -> GraphView | None:
            kept, v2_model = selected() or None, v2() if v2 is not None else None
            return show(view_graph(source, result(), select=kept, v2=v2_model), opened)

        return opened

    def said(view: GraphView, new: str = "") -> str:
        return f"Model Explorer at {view.url.split('/?')[0]}{new}"

    def refresh(_: Any) -> None:
        if box.opened is not None and not any(r is not None for r in result()):
            show(None, box.opened)  # opened again by the next results
            status.ok("Model Explorer closed: the results it showed are gone")
        elif box.opened is not None and guarded(status, box.opened) is not None:
            status.ok(said(box.view, " (the new results)"))

    busy = "starting Model Explorer with the whole graph…"
    on_click(whole, status, opener(None), busy, said)
    on_click(v2_button, status, opener(converted), busy.replace("whole", "converted"), said)
    on_click(close, status, show, None, lambda _: "Model Explorer closed")
    if watch is not None:
        watch[0].observe(refresh, watch[1])
    return box
