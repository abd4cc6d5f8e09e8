"""The observable base of the plain state objects behind the views (no ipywidgets)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from explorer import widgets
from explorer.errors import first_line
from explorer.inspection.catalog import Catalog
from explorer.loading.model import V1Model, as_model

if TYPE_CHECKING:
    from explorer.widgets._common import View


@dataclass(frozen=True)
class Change:
    """One field change: ``name``, ``old`` and ``new`` value, and the ``owner`` state object."""

    owner: Observable
    name: str
    old: Any
    new: Any


Observer = Callable[[Change], None]
F = TypeVar("F", bound=Callable[..., Any])


def recorded(step: F) -> F:
    """A step method whose failure (one line) goes in ``failed``, ``""`` once it works."""

    @functools.wraps(step)
    def run(self: Observable, *args: Any, **kwargs: Any) -> Any:
        self.failed = ""
        try:
            return step(self, *args, **kwargs)
        except Exception as e:
            self.failed = first_line(e)
            raise

    return run  # type: ignore[return-value]


def script(source: object, lines: list[str]) -> str:
    """A state's ``code()``: ``import explorer``, the model loaded from ``source``, ``lines``."""
    head = ["import explorer", "", f"model = explorer.load({str(source)!r})"]
    return "\n".join(head + lines)


def model_and_catalog(source: V1Model | Catalog | str | PathLike[str]) -> tuple[Any, Catalog]:
    """(model or None, catalog) from a V1Model, a Catalog, or a path to load."""
    if isinstance(source, Catalog):
        return None, source
    model = as_model(source)
    return model, Catalog.from_model(model)


def _differs(old: object, new: object) -> bool:
    if old is new:
        return False
    try:
        return bool(old != new)
    except (ValueError, TypeError):  # numpy arrays and other types without a truth value
        return True


class Observable:
    """Base of the states: ``FIELDS`` notify observers on change; ``_check_<field>`` refuses."""

    FIELDS: ClassVar[tuple[str, ...]] = ()
    WIDGET: ClassVar[str] = ""

    def __init__(self) -> None:
        object.__setattr__(self, "_observers", [])
        object.__setattr__(self, "_widget", None)

    def __setattr__(self, name: str, value: object) -> None:
        if name not in self.FIELDS or not hasattr(self, name):
            object.__setattr__(self, name, value)
            return
        check = getattr(self, f"_check_{name}", None)
        if check is not None:  # refuses a bad value (ValueError) before anyone sees it
            value = check(value)
        old = getattr(self, name)
        object.__setattr__(self, name, value)
        if _differs(old, value):
            for fn, wanted in list(self._observers):
                if wanted is None or name in wanted:
                    fn(Change(self, name, old, value))

    def observe(self, fn: Observer, names: str | Iterable[str] | None = None) -> None:
        """Call ``fn(change)`` whenever one of ``names`` (default: any field) changes."""
        wanted = None if names is None else ({names} if isinstance(names, str) else set(names))
        self._observers.append((fn, wanted))

    @property
    def widget(self) -> View:  # the ipywidgets view of this state, built on first access
        if self._widget is None:
            object.__setattr__(self, "_widget", getattr(widgets, self.WIDGET)(self))
        return self._widget

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
