"""Lazy exports (PEP 562) for ``explorer`` and ``explorer.widgets``; the old module paths."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any


def lazy_exports(
    package: str, exports: dict[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package``.

    ``exports`` maps a public name to the submodule defining it; the submodule is imported on
    first access and the value cached in ``namespace`` (the package's ``globals()``).
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__


# Module paths of release 0.1 (one flat package), kept for one release: ``import explorer.sampler``
# gives ``explorer.feeding.sampling``. Modules that were split map to the part holding most of their
# public names; the rest of their names are re-exported from the new home listed here.
OLD_MODULES: dict[str, str] = {
    "registry": "graph.registry",
    "op_families": "graph.op_families",
    "specs": "graph.specs",
    "graph_index": "graph.proto_reader",
    "graph_facts": "graph.traversal",
    "loader": "loading.model",
    "graphcheck": "loading.validation",
    "replace": "loading.replacements",
    "isolation": "loading.isolation",
    "session": "running.session",
    "catalog": "inspection.catalog",
    "catalog_items": "inspection.catalog_items",
    "suggester": "inspection.suggestions",
    "output_heuristics": "inspection.output_heuristics",
    "scanner": "inspection.scanner",
    "scan_rules": "inspection.scan_rules",
    "feeds": "feeding.feeds",
    "sampler": "feeding.sampling",
    "tf_example": "feeding.tf_example",
    "index_bounds": "feeding.index_ranges",
    "runners": "running.v1_runner",
    "converter": "conversion.converter",
    "converter_build": "conversion.build",
    "rewrite": "conversion.rewrite",
    "runners_v2": "conversion.v2_runner",
    "keras_bridge": "conversion.keras_layer",
    "weights": "conversion.weight_mapping",
    "parity_records": "comparing.records",
    "comparison": "comparing.outputs",
    "parity_run": "comparing.parity_check",
    "divergence": "comparing.divergence",
    "plots": "reporting.plots",
    "report": "reporting.html",
    "examples": "examples",
    "zoo": "examples.zoo",
    "zoo_builders": "examples.zoo_builders",
    "widgets.state": "widgets.browse_state",
    "widgets.browser": "widgets.browse",
    "widgets.picker": "widgets.pick",
    "widgets.flow_state": "widgets.run_state",
    "widgets.session_runner": "widgets.run",
    "widgets.converter_view": "widgets.convert",
    "widgets.parity_state": "widgets.compare_state",
    "widgets.parity_view": "widgets.compare",
}


class _OldPathLoader(importlib.abc.Loader):
    """Loads an old module path as the module at its new path (the same object)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the new module is already imported."""


class OldPathFinder(importlib.abc.MetaPathFinder):
    """Resolves ``explorer.<old name>`` to ``explorer.<new path>`` (see :data:`OLD_MODULES`)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        prefix, _, rest = fullname.partition(".")
        if prefix != "explorer" or rest not in OLD_MODULES:
            return None
        new = f"explorer.{OLD_MODULES[rest]}"
        return importlib.machinery.ModuleSpec(fullname, _OldPathLoader(new))


def install_old_paths() -> None:
    """Put :class:`OldPathFinder` on ``sys.meta_path`` once (after the normal finders)."""
    if not any(isinstance(f, OldPathFinder) for f in sys.meta_path):
        sys.meta_path.append(OldPathFinder())
