"""The README stays short and every relative link in it and in the docs site leads to a file; the
generated pages (error table, CLI reference) hold what the tests and the parser hold.
``make docs`` (part of ``make test``) builds the site itself with ``--strict``."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from explorer.cli import VERBS
from tests.contracts.error_cases import BAD_INPUTS, HOSTILE

ROOT = Path(__file__).resolve().parents[1]
README_LIMIT = 10_000  # bytes
PAGES = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def _hook(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_is_at_most_10_kb():
    size = len((ROOT / "README.md").read_bytes())
    assert size <= README_LIMIT, f"README.md is {size} bytes: move reference material to docs/"


def _relative_links(page: Path) -> list[str]:
    text = CODE.sub("", page.read_text(encoding="utf-8"))
    return [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:|#", t)]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_points_at_a_file(page):
    links = _relative_links(page)
    missing = [t for t in links if not (page.parent / t.split("#", 1)[0]).exists()]
    assert not missing, f"{page.relative_to(ROOT)} links to missing files: {missing}"


def test_the_readme_links_into_the_docs_site():
    links = _relative_links(ROOT / "README.md")
    assert any(t.startswith("docs/") for t in links), links


def test_each_error_table_example_is_a_message_its_pattern_accepts():
    for case in [*BAD_INPUTS, *HOSTILE]:
        assert case.example, case.id
        assert re.search(case.pattern, case.example), case.id


def test_the_security_page_renders_every_case_of_the_table():
    tables = _hook("error_table").render()
    page = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    assert all(marker in page for marker in tables)
    rendered = "\n".join(tables.values())
    for case in BAD_INPUTS:
        assert f"| {case.id} | {case.step} | `{case.error.__name__}` |" in rendered
    assert all(h.what in rendered for h in HOSTILE)


def test_the_cli_reference_renders_every_verb_from_the_parser():
    text = _hook("cli_reference").render()
    for verb in VERBS:
        assert f"## {verb}\n" in text and f"usage: tf1-explorer {verb} " in text
    assert "<!-- cli-reference -->" in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
