"""A tiny observable base for the plain state objects behind the widgets.

State objects are plain Python: no ipywidgets, no traitlets. Declared fields notify observers when
they change, which is all a widget needs to mirror them. Widgets are built lazily on first access
of ``.widget`` (see :class:`Observable.widget`), so logic tests never create one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class Change:
    """One field change: ``name``, ``old`` and ``new`` value, and the ``owner`` state object."""

    owner: Any
    name: str
    old: Any
    new: Any


Observer = Callable[[Change], None]


def _differs(old: Any, new: Any) -> bool:
    if old is new:
        return False
    try:
        return bool(old != new)
    except (ValueError, TypeError):  # numpy arrays and other types without a truth value
        return True


class Observable:
    """Base of the state objects: fields listed in ``FIELDS`` notify observers on change.

    ``observe(fn, names)`` registers ``fn(change)`` for the named fields (all when ``names`` is
    ``None``); setting a field to an equal value notifies nobody. A method ``_check_<field>(value)``
    checks (and may normalise) each new value of that field once it is set up; raising
    ``ValueError`` refuses it, so the field keeps its old value. Subclasses set ``FIELDS`` and
    ``WIDGET`` ("module:Class" of the view under ``explorer.widgets``, imported on first use).
    """

    FIELDS: ClassVar[tuple[str, ...]] = ()
    WIDGET: ClassVar[str] = ""

    def __init__(self) -> None:
        object.__setattr__(self, "_observers", [])
        object.__setattr__(self, "_widget", None)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self.FIELDS or not hasattr(self, name):
            object.__setattr__(self, name, value)
            return
        check = getattr(self, f"_check_{name}", None)
        if check is not None:  # refuses a bad value (ValueError) before anyone sees it
            value = check(value)
        old = getattr(self, name)
        object.__setattr__(self, name, value)
        if _differs(old, value):
            self._notify(Change(self, name, old, value))

    def observe(self, fn: Observer, names: str | Iterable[str] | None = None) -> None:
        """Call ``fn(change)`` whenever one of ``names`` (default: any field) changes."""
        wanted = None if names is None else ({names} if isinstance(names, str) else set(names))
        self._observers.append((fn, wanted))

    def unobserve(self, fn: Observer) -> None:
        """Stop calling ``fn``."""
        self._observers[:] = [(f, n) for f, n in self._observers if f is not fn]

    def _notify(self, change: Change) -> None:
        for fn, wanted in list(self._observers):
            if wanted is None or change.name in wanted:
                fn(change)

    @property
    def widget(self) -> Any:
        """The ipywidgets view of this state (a ``VBox`` subclass), built on first access."""
        if self._widget is None:
            import importlib

            module, cls = self.WIDGET.split(":")
            view = getattr(importlib.import_module(f"explorer.widgets.{module}"), cls)
            object.__setattr__(self, "_widget", view(self))
        return self._widget

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
