"""mkdocs hook: ``<!-- api-reference -->`` in a page becomes one mkdocstrings directive per public
name of ``explorer`` (``explorer.__all__``), pointed at the module that defines it, so the
reference follows the package as it is (the names are exported lazily, which static analysis
cannot see)."""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

MARKER = "<!-- api-reference -->"
ROOT = Path(__file__).resolve().parents[2]
OPTIONS = "    options:\n      show_root_full_path: false\n      heading_level: 3\n"


def render(package: str = "explorer") -> str:
    """``::: module.qualname`` for each public name, grouped by the module that defines it."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    pkg = importlib.import_module(package)
    by_module: dict[str, list[str]] = {}
    for name in pkg.__all__:
        obj = getattr(pkg, name)
        if inspect.ismodule(obj):  # a namespace exported whole
            by_module.setdefault(obj.__name__, []).append(obj.__name__)
            continue
        module = getattr(obj, "__module__", None) or package
        by_module.setdefault(module, []).append(f"{module}.{getattr(obj, '__qualname__', name)}")
    parts = []
    for module, paths in by_module.items():
        parts.append(f"## `{module}`\n")
        parts += [f"::: {path}\n{OPTIONS}" for path in paths]
    return "\n".join(parts)


def on_page_markdown(markdown: str, page, config, files) -> str:
    return markdown.replace(MARKER, render()) if MARKER in markdown else markdown
