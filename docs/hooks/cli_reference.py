"""mkdocs hook: ``<!-- cli-reference -->`` in a page becomes each verb's ``--help``, rendered from
the argument parser that ``explorer.cli.build_parser`` builds (nothing copied by hand)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

MARKER = "<!-- cli-reference -->"
ROOT = Path(__file__).resolve().parents[2]


def _help(parser: argparse.ArgumentParser) -> str:
    return "```text\n" + parser.format_help().rstrip() + "\n```\n"


def render() -> str:
    """The top-level ``--help``, then one section per verb, in the parser's order."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from explorer.cli import build_parser

    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal: fix the width
    try:
        parser = build_parser()
        verbs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parts = ["## tf1-explorer\n", _help(parser)]
        for name, sub in verbs.choices.items():
            parts += [f"## {name}\n", _help(sub)]
    finally:
        if saved is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = saved
    return "\n".join(parts)


def on_page_markdown(markdown: str, page, config, files) -> str:
    return markdown.replace(MARKER, render()) if MARKER in markdown else markdown
