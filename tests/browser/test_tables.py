"""Issue 25's tables in JupyterLab at a 1100 px wide window, as a person reads them: the
TensorBrowser on a ~2k-op graph of long, alike scoped names (``tests/model_builders/long_names``)
and on the shared 2,215-op seq2seq checkpoint. No dtype/shape cell is clipped, names keep their
last scope part whole (the full name on hover), a row click keeps the table where it was and the
row in view, exact matches come first, and the drawing shows op types and its title whole.
Screenshots: ``build/screenshots/tables_*.png``."""

from __future__ import annotations

import pytest

from tests.browser._lab import Lab, write_notebook
from tests.conftest import SHARED_MODELS
from tests.model_builders.long_names import INPUT

SEQ2SEQ = SHARED_MODELS / "leanderlxz_seq2seq_ckpt"
LOSS = "optimization/sequence_loss/SparseSoftmaxCrossEntropyWithLogits"

# per visible table: dtype/shape/consumers cells wider inside than shown, and the name cells
# whose last scope part (the second span) is cut
_CLIPPED_JS = """
table => ({
  fit: [...table.querySelectorAll('td.tf1x-fit, th')]
    .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent),
  leaf: [...table.querySelectorAll('td.tf1x-mid span + span')]
    .filter(s => s.scrollWidth > s.clientWidth + 1).map(s => s.textContent),
  rows: table.querySelectorAll('tr[data-name]').length,
})
"""

# where the selected row sits in its scrolling box (px), and the box's scroll position
_IN_VIEW_JS = """
box => {
  const row = box.querySelector('tr.tf1x-selected');
  const b = box.getBoundingClientRect(), r = row.getBoundingClientRect();
  const head = box.querySelector('thead').getBoundingClientRect().height;
  return {top: box.scrollTop, inView: r.top >= b.top + head - 1 && r.bottom <= b.bottom + 1};
}
"""

# each box's op type (second text) and the drawing's title: drawn width vs room
_SVG_JS = """
svg => {
  const boxes = [...svg.querySelectorAll('g.tf1x-node')].map(g => {
    const t = g.querySelectorAll('text')[1], r = g.querySelector('rect');
    return {text: t.textContent, width: t.getComputedTextLength(), room: +r.getAttribute('width')};
  });
  const title = svg.querySelector(':scope > text');
  return {boxes, title: title.textContent, titleWidth: title.getBBox().width,
          svgWidth: svg.viewBox.baseVal.width};
}
"""


def _type(view, text: str) -> None:
    search = view.locator(".tf1x-search input")
    search.click()
    search.fill("")
    search.press_sequentially(text, delay=10)


def test_tables_read_at_a_glance_at_1100_px(lab, lab_root, browser):
    from playwright.sync_api import expect

    if not SEQ2SEQ.is_dir():
        pytest.skip(f"no shared model at {SEQ2SEQ}")
    write_notebook(
        lab_root / "tables_25.ipynb",
        [
            "import os, tempfile\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
            "from pathlib import Path\nfrom explorer.widgets import TensorBrowser\n"
            "from tests.model_builders.long_names import build_long_names\n"
            "LONG = build_long_names(Path(tempfile.mkdtemp()) / 'long_names.pb')",
            "TensorBrowser(LONG)",
            f"TensorBrowser({str(SEQ2SEQ)!r})",
            "from explorer.widgets import IOPicker\nIOPicker(LONG)",
        ],
    )
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.set_default_timeout(60_000)
    lab_ = Lab(lab, page)
    try:
        lab_.open("tables_25.ipynb")
        lab_.run_all()
        assert lab_.problems() == []
        long_view, seq_view = (
            page.locator(".tf1x-browser").nth(0),
            page.locator(".tf1x-browser").nth(1),
        )
        table = long_view.locator(".tf1x-browser-table")

        # alike names deep in scopes: each keeps its last part whole, the full name on hover
        _type(long_view, "PlaceholderWithDefault")
        rows = table.locator("tr[data-name]")
        expect(rows).to_have_count(2, timeout=30_000)
        lab_.shot("tables_1_long_names", long_view)
        assert table.locator("table").evaluate(_CLIPPED_JS) == {"fit": [], "leaf": [], "rows": 2}
        cell = rows.nth(1).locator("td").first
        assert cell.get_attribute("title") == INPUT
        assert cell.inner_text().replace("\n", "").endswith("/PlaceholderWithDefault_1")
        assert cell.locator("span").first.inner_text().startswith("inputs/")
        assert "[1, 80, 80, 3]" in rows.nth(1).inner_text()
        lab_.shot("tables_1_long_names", long_view)

        # exact match first among 1,000+ hits, though it is the graph's last op
        _type(long_view, "Softmax")
        expect(rows.first).to_have_attribute("data-name", "Softmax", timeout=30_000)
        expect(long_view.locator(".tf1x-search-status")).to_have_text("")
        lab_.shot("tables_2_softmax_first", long_view)

        # a click on a row far down the page: the table stays where it was, the row in view
        _type(long_view, "")
        expect(long_view).to_contain_text("1,994 of 1,994 ops", timeout=30_000)
        box = table.locator(".tf1x-scroll")
        box.evaluate("b => { b.scrollTop = b.scrollHeight; }")
        before = box.evaluate("b => b.scrollTop")
        assert before > 300
        row = rows.nth(46)
        name = row.get_attribute("data-name")
        row.click()
        expect(table.locator(f'tr[data-name="{name}"]')).to_have_class("tf1x-row tf1x-selected")
        where = box.evaluate(_IN_VIEW_JS)
        assert where["inView"] and abs(where["top"] - before) < 30, (where, before)
        assert table.locator("table").evaluate(_CLIPPED_JS)["fit"] == []
        lab_.shot("tables_3_row_clicked_far_down", long_view)

        # the shared 2,215-op checkpoint: nothing clipped, the exact op first, its drawing whole
        seq_table = seq_view.locator(".tf1x-browser-table table")
        expect(seq_table.locator("tr[data-name]")).to_have_count(50, timeout=30_000)
        assert seq_table.evaluate(_CLIPPED_JS) == {"fit": [], "leaf": [], "rows": 50}
        _type(seq_view, "SparseSoftmaxCrossEntropyWithLogits")
        first = seq_table.locator("tr[data-name]").first
        loss = f"{LOSS}/SparseSoftmaxCrossEntropyWithLogits"
        expect(first).to_have_attribute("data-name", loss, timeout=30_000)
        assert seq_table.evaluate(_CLIPPED_JS)["fit"] == []
        lab_.shot("tables_4_seq2seq_exact_first", seq_view)
        first.click()
        svg = seq_view.locator(".tf1x-drawing svg")
        expect(svg).to_have_count(1, timeout=30_000)
        drawn = svg.evaluate(_SVG_JS)
        types = {b["text"] for b in drawn["boxes"]}
        assert "SparseSoftmaxCrossEntropyWithLogits" in types, types  # whole, not "…Logits"
        assert all(b["width"] <= b["room"] - 4 for b in drawn["boxes"]), drawn["boxes"]
        assert drawn["title"].startswith(loss[:20]) and "hop(s) up and down" in drawn["title"]
        assert drawn["titleWidth"] <= drawn["svgWidth"] - 8, drawn
        lab_.shot("tables_5_seq2seq_drawing", seq_view.locator(".tf1x-drawing"))

        # the picker's suggestions: dtype and shape whole, each reason on one line
        picker = page.locator(".tf1x-suggest-inputs table")
        expect(picker.locator("tr[data-name]").first).to_be_visible()
        lab_.shot("tables_6_picker", page.locator(".tf1x-suggest-inputs"))
        clipped = picker.evaluate(_CLIPPED_JS)
        assert clipped["fit"] == [] and clipped["leaf"] == [], clipped
        heights = picker.locator("tr[data-name]").evaluate_all("rs => rs.map(r => r.offsetHeight)")
        assert max(heights) < 30, heights  # one line each, the reason whole on hover
        lab_.shot("tables_6_picker", page.locator(".tf1x-suggest-inputs"))
        assert lab_.problems() == []
    finally:
        lab_.stop_kernels()
        page.close()
