"""Bits every view shares: a status line for errors and progress, guarded two-way bindings,
button handlers that show errors inline, and the "show code" pane. Imports ipywidgets."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any, TypeVar

import ipywidgets as W

from explorer.errors import ExplorerError
from explorer.widgets._observable import Change, Observable

S = TypeVar("S")


class StatusArea(W.HTML):
    """One line under a view: what happened, what is running, or the error (never a traceback)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("tf1x-status")
        self.kind = "clear"
        self.text = ""

    def _show(self, kind: str, text: str, colour: str) -> None:
        self.kind, self.text = kind, text
        self.value = f'<span style="color:{colour}">{html.escape(text)}</span>' if text else ""

    def ok(self, text: str) -> None:
        self._show("ok", text, "#1a7f37")

    def busy(self, text: str) -> None:
        self._show("busy", text, "#57606a")

    def error(self, text: str) -> None:
        self._show("error", text, "#d1242f")

    def clear(self) -> None:
        self._show("clear", "", "")


def guarded(status: StatusArea, fn: Callable[[], Any], done: str | None = None) -> Any:
    """Call ``fn()``; an exception becomes a one-line message in ``status`` instead of a traceback.

    Returns what ``fn`` returned, or ``None`` when it raised. ``done`` is shown on success.
    """
    try:
        result = fn()
    except ExplorerError as e:
        status.error(str(e))
        return None
    except Exception as e:  # shown inline: a widget callback has nowhere else to report
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        status.error(f"{type(e).__name__}: {first}"[:400])
        return None
    if done is not None:
        status.ok(done)
    return result


def adopt_state(view: Any, source: Any, state_cls: type[S], *args: Any, **kwargs: Any) -> S:
    """The state object a view mirrors: ``source`` itself when it is a ``state_cls``, else
    ``state_cls(source, *args, **kwargs)``; its ``.widget`` is ``view`` from now on."""
    state = source if isinstance(source, state_cls) else state_cls(source, *args, **kwargs)
    object.__setattr__(state, "_widget", view)
    return state


def on_click(
    button: W.Button,
    status: StatusArea,
    fn: Callable[[], Any],
    busy: str | None = None,
    done: Callable[[Any], str] | None = None,
) -> None:
    """Make ``button`` call ``fn()`` (one state method) with errors shown in ``status``.

    ``busy`` is shown while it runs; ``done(result)`` is the line shown when it succeeded.
    """

    def call() -> Any:
        if busy is not None:
            status.busy(busy)
        result = fn()
        if done is not None:
            status.ok(done(result))
        return result

    def handler(_: Any) -> None:
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
    to_widget: Callable[[Any], Any] = lambda v: v,
    to_state: Callable[[Any], Any] = lambda v: v,
    status: StatusArea | None = None,
) -> None:
    """Two-way link between ``state.field`` and ``widget.trait``, guarded against echo loops.

    The widget takes the state's value now. A state change is written to the widget; a widget
    change is written to the state, and an error raised by the state (a bad regex, an unknown
    tensor) is shown in ``status`` while the widget is put back to the state's value.
    """
    busy = [False]
    shown: list[str | None] = [None]  # the error this binding put in the status line

    def from_state(change: Change) -> None:
        if busy[0]:
            return
        busy[0] = True
        try:
            setattr(widget, trait, to_widget(change.new))
        finally:
            busy[0] = False

    def from_widget(change: dict[str, Any]) -> None:
        if busy[0]:
            return
        busy[0] = True
        try:
            setattr(state, field, to_state(change["new"]))
            if status is not None and status.kind == "error" and status.text == shown[0]:
                status.clear()
        except (ExplorerError, ValueError, TypeError) as e:
            if status is None:
                raise
            shown[0] = str(e)
            status.error(str(e))
            setattr(widget, trait, to_widget(getattr(state, field)))
        finally:
            busy[0] = False

    setattr(widget, trait, to_widget(getattr(state, field)))
    state.observe(from_state, field)
    widget.observe(from_widget, trait)


class CodePane(W.VBox):
    """A "show code" button and the explorer API calls equivalent to what was clicked."""

    def __init__(self, code: Callable[[], str]) -> None:
        self.button = W.Button(description="show code", icon="code")
        self.pre = W.HTML()
        self.pre.add_class("tf1x-code")
        self._code = code
        self.button.on_click(lambda _: self.show())
        super().__init__([self.button, self.pre])

    def show(self) -> str:
        """Render the code now and return it."""
        text = self._code()
        self.pre.value = f"<pre>{html.escape(text, quote=False)}</pre>"
        return text


def table_html(
    header: list[str], rows: list[list[Any]], row_styles: list[str] | None = None
) -> str:
    """A small HTML table (values escaped); ``row_styles`` adds a ``style`` per row."""
    head = "".join(
        f"<th style='text-align:left;padding:2px 8px'>{html.escape(h)}</th>" for h in header
    )
    body = []
    for i, row in enumerate(rows):
        style = f' style="{row_styles[i]}"' if row_styles and row_styles[i] else ""
        cells = "".join(f"<td style='padding:2px 8px'>{html.escape(str(c))}</td>" for c in row)
        body.append(f"<tr{style}>{cells}</tr>")
    return (
        "<table class='tf1x-table' style='border-collapse:collapse;font-size:12px'>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
