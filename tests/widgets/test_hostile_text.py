"""Untrusted text stays text (issue 23): signature and output keys holding ``<script>``, ANSI
escapes and newlines are shown escaped in every view and in the HTML report, never as markup or
raw control characters."""

from __future__ import annotations

import re
import warnings

import pytest

import explorer
from explorer.reporting.html import to_html
from explorer.widgets import Converter, IOPicker, ParityView, SessionRunner
from explorer.widgets.graph_svg import render_svg
from tests.model_builders.keyed import build_keyed

HOSTILE = "<script>alert(1)</script>\x1b[31m\x1b]0;title\x07\nx"
SEEN = r"&lt;script&gt;alert(1)&lt;/script&gt;\x1b[31m\x1b]0;title\x07\nx"  # what a page shows


def _visible(text: str) -> str:
    """The text of a page minus the ``data-name`` attributes (what clicks report, never shown)
    and the embedded JSON of a report (data, escaped as JSON)."""
    text = re.sub(r'data-name="[^"]*"', "", text)
    return text.split('<script type="application/json"')[0]


def _safe(text: str) -> None:
    shown = _visible(text)
    assert "<script>" not in shown and "\x1b" not in shown and "\x07" not in shown, shown
    assert "alert(1)" not in shown or "&lt;script&gt;alert(1)" in shown


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    path = build_keyed(tmp_path_factory.mktemp("hostile") / "m", "s" + HOSTILE, "x", "y" + HOSTILE)
    model = explorer.load(path)
    return model, explorer.convert(model)


def test_the_report_and_the_verdict_escape_model_keys(hostile):
    model, v2 = hostile
    summary = explorer.parity(model, v2, source=explorer.Sampled(1))
    assert summary.passed and list(summary.reports) == ["s" + HOSTILE]
    page = to_html(summary)
    _safe(page)
    assert f"<h2>s{SEEN}: " in page and f'<td class="k">y{SEEN}</td>' in page


def test_the_parity_view_escapes_keys_in_table_plots_and_status(hostile):
    model, v2 = hostile
    view = ParityView(model, v2)
    view.batches.value = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a control character drawn in a figure warns
        view.run_button.click()
    assert view.status.text == "parity: passed", view.status.text
    for html in (view.table.value, view.verdict.value, view.plots.value, view.status.value):
        _safe(html)
    assert f"y{SEEN}" in view.table.value and f"scatter y{SEEN}" in view.plots.value


def test_the_other_views_escape_keys(hostile):
    model, v2 = hostile
    runner = SessionRunner(model)
    runner.run_button.click()
    _safe(runner.outputs_table.value)
    assert f"y{SEEN}" in runner.outputs_table.value
    picker = IOPicker(model)
    _safe(picker.message.value)
    converter = Converter(model)
    converter.state.selection = picker.value
    _safe(converter.what.value)
    assert f"signature <code>s{SEEN}</code>" in converter.what.value
    svg = render_svg([("a" + HOSTILE, "Op" + HOSTILE)], [], title=HOSTILE)
    _safe(svg)
    assert f"<title>a{SEEN} (Op{SEEN})</title>" in svg
