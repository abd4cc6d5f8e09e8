"""The HTML report's per-example section: distribution table and the worst examples."""

from __future__ import annotations

import numpy as np

from explorer.comparing.outputs import Comparator
from explorer.comparing.records import Tolerance
from explorer.feeding.data.sources import Batch
from explorer.reporting.html import examples_html, to_html


def _report():
    acc = Comparator(Tolerance(1e-5, 1e-5), worst=2, name="serving_default")
    a = np.zeros((4, 2), np.float32)
    b = a.copy()
    b[2, 1] = 0.25
    feeds = {"words": np.array([b"a", b"<b>", b"c", b"d"], dtype=object)}
    acc.add({"y": a}, {"y": b}, Batch(feeds, 10, [f"d.csv:{i}" for i in range(2, 6)]))
    rep = acc.report()
    rep.data = {
        "source": "CSV d.csv",
        "examples": 4,
        "batch_size": 4,
        "seconds": {"v1": 0.1, "v2": 0.1, "total": 0.3},
        "examples_per_second": 13.3,
    }
    return rep


def test_the_section_lists_the_worst_examples_escaped():
    text = "\n".join(examples_html(_report()))
    assert "4 examples from <code>CSV d.csv</code>" in text
    assert "<h4>y: worst examples</h4>" in text
    assert '<td>12</td><td class="k">d.csv:4</td><td>0.25</td>' in text
    assert "[0, 0.25]" in text and "words: &#x27;&lt;b&gt;&#x27;" not in text
    assert "b&#x27;c&#x27;" in text  # inputs are escaped


def test_reports_without_data_have_no_section():
    rep = _report()
    rep.examples, rep.data = {}, {}
    assert examples_html(rep) == []
    page = to_html(_report(), plots=False)
    assert "Per example" in page and 'id="parity-json"' in page


def test_the_distribution_of_per_example_errors_is_drawn():
    text = "\n".join(examples_html(_report()))
    assert "y: largest absolute error per example" in text
    assert '<td class="k">0 (equal)</td><td>3</td>' in text
    assert "[0.18, 0.32)</td><td>1</td>" in text
