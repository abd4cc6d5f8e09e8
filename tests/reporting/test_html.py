"""``reporting.html``: numerics environment, self-contained HTML with embedded PNGs and JSON."""

from __future__ import annotations

import numpy as np
import pytest

from explorer import compare
from explorer.comparing.records import ParitySummary
from explorer.reporting import html as report


@pytest.fixture(scope="module")
def summary():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 4)).astype(np.float32)
    b = a.copy()
    b[0, 0] += 1.0
    good = compare({"y": a}, {"y": a.copy()}, name="good")
    bad = compare({"y": a, "<tag>": a}, {"y": b, "<tag>": a}, name="bad")
    return ParitySummary({"good": good, "bad": bad}, report.numerics_environment())


def test_html_embeds_plots_tables_and_the_full_json(summary, tmp_path):
    path = report.write_html(tmp_path / "sub" / "r.html", summary, extra={"scan": {"n": 1}})
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and '<span class="failed">failed</span>' in text
    # good: histogram, scatter y (no flat heatmap of an exactly equal output); bad: histogram,
    # scatter and heatmap of y, scatter of <tag> (equal)
    assert text.count("<img ") == 6
    assert text.count('src="data:image/png;base64,') == 6
    assert "&lt;tag&gt;" in text and "<tag>" not in text.split('id="parity-json"')[0]
    assert "TF_ENABLE_ONEDNN_OPTS" in text and "op_determinism" in text
    embedded = report.read_embedded_json(path)
    assert embedded["extra"] == {"scan": {"n": 1}}
    assert ParitySummary.from_json(embedded).to_json() == summary.to_json()


def test_html_of_a_single_report_without_plots(summary):
    text = report.to_html(summary["good"], plots=False, title="one")
    assert "<img" not in text and "<title>one</title>" in text
    assert '<span class="passed">passed</span>' in text


def test_json_file_round_trip(summary, tmp_path):
    path = report.write_json(tmp_path / "r.json", summary)
    assert ParitySummary.from_json(path.read_text()).to_json() == summary.to_json()


def test_unwritable_report_path_is_a_one_line_error(summary, tmp_path):
    from explorer.errors import ConversionError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConversionError, match="cannot write the report"):
        report.write_html(blocker / "r.html", summary, plots=False)
