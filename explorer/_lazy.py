"""Lazy exports (PEP 562): ``import explorer`` imports no step until a name is used."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    namespace: str, homes: Mapping[str, tuple[str, ...]], submodules: tuple[str, ...] = ()
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``__all__``, ``__getattr__``, ``__dir__`` of ``namespace``: ``homes``: module -> names."""
    home = {name: module for module, names in homes.items() for name in names}
    cache = vars(sys.modules[namespace])

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f"{namespace}.{name}")
        if name not in home:
            raise AttributeError(f"module {namespace!r} has no attribute {name!r}")
        value = cache[name] = getattr(importlib.import_module(f"explorer.{home[name]}"), name)
        return value

    def __dir__() -> list[str]:
        return sorted(set(cache) | set(home) | set(submodules))

    return sorted(home), __getattr__, __dir__
