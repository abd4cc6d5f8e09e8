"""mkdocs hook: ``<!-- error-table -->`` and ``<!-- hostile-table -->`` in a page become the tables
of bad inputs that the contract tests iterate (``tests/contracts/error_cases.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else _cell(text)


def render() -> dict[str, str]:
    """Marker -> a markdown table, one row per case, in the table's order."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.contracts.error_cases import BAD_INPUTS, HOSTILE

    bad = ["| Bad input | Fails at | Error | Message (from a test run) |", "|---|---|---|---|"]
    for c in BAD_INPUTS:
        bad.append(
            f"| {_cell(c.id)} | {c.step} | `{c.error.__name__}` | {_code(c.example or c.pattern)} |"
        )
    hostile = ["| Hostile model | `tf1-explorer run` prints |", "|---|---|"]
    for h in HOSTILE:
        hostile.append(f"| {_cell(h.what)} | {_code(h.example or h.pattern)} |")
    return {"<!-- error-table -->": "\n".join(bad), "<!-- hostile-table -->": "\n".join(hostile)}


def on_page_markdown(markdown: str, page, config, files) -> str:
    if "<!-- error-table -->" not in markdown and "<!-- hostile-table -->" not in markdown:
        return markdown
    for marker, table in render().items():
        markdown = markdown.replace(marker, table)
    return markdown
