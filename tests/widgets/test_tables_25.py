"""Issue 25's tables, search and drawings: names cut in the middle with the whole name on hover
(escaped), dtype/shape columns as wide as their values, exact and prefix matches ranked first,
"no op matches" quoting what was typed, the selected op's page shown, drawings that show in
untrusted notebooks with op types and titles whole, and plots whose counts agree."""

from __future__ import annotations

import base64
import html
import re

import numpy as np
import pytest

import explorer
from explorer import compare
from explorer.reporting.plots import error_histogram, middle_cut, report_figures
from explorer.widgets import TensorBrowser
from explorer.widgets._common import grid_html
from explorer.widgets.browse import COLUMNS
from explorer.widgets.browse_state import BrowserState
from explorer.widgets.graph_svg import CHAR_W, NODE_W, Drawing, render_svg
from tests.model_builders.long_names import HEADS, INPUT, build_long_names


@pytest.fixture(scope="module")
def long_names(tmp_path_factory):
    return explorer.load(build_long_names(tmp_path_factory.mktemp("long") / "long_names.pb"))


def test_middle_cut_keeps_the_head_and_the_last_scope_part():
    name = "inputs/preprocessing/resize_block_3/normalize/PlaceholderWithDefault_1:0"
    assert middle_cut(name, 36) == "inputs/…/PlaceholderWithDefault_1:0"
    assert middle_cut(name, 50) == "inputs/preprocessing/…/PlaceholderWithDefault_1:0"
    assert middle_cut("short/name", 22) == "short/name"
    assert middle_cut("x/" + "y" * 40, 12) == "…" + "y" * 11  # the leaf alone: its end
    assert all(len(middle_cut(name, n)) <= n for n in range(3, 80))


def test_table_cuts_names_in_the_middle_and_fits_dtype_and_shape(long_names):
    s = BrowserState(long_names)
    s.query = "PlaceholderWithDefault"
    rows = s.page_rows()
    assert [r["name"] for r in rows] == [INPUT[:-2], INPUT]
    assert rows[1]["dtype"] == "float32" and rows[1]["shape"] == "[1, 80, 80, 3]"
    table = TensorBrowser(s).table.html
    # head and last scope part in two spans: CSS cuts only the head
    assert "<span>inputs/preprocessing/resize_block_3/normalize</span>" in table
    assert "<span><bdi>/PlaceholderWithDefault_1</bdi></span>" in table
    assert f'title="{INPUT}"' in table  # the whole name on hover
    widths = re.findall(r"<col class='tf1x-fit' style='width:calc\((\d+)ch \+ 14px\)'>", table)
    assert [int(w) for w in widths] == [len("float32"), len("[1, 80, 80, 3]"), len("consumers")]
    s.query, s.op_type = "", "Split"
    assert s.page_rows()[0]["dtype"] == "float32 (+2)"
    assert "calc(12ch + 14px)" in TensorBrowser(s).table.html  # "float32 (+2)": 12 characters
    assert [c for c, _, cls in COLUMNS if cls == "tf1x-fit"] == ["dtype", "shape", "consumers"]


def test_hover_text_and_cut_parts_are_escaped():
    name = 'scope"<b>&/x"><script>'
    table = grid_html(COLUMNS[:1], [[name]], [name])
    assert "<script>" not in table and "<b>" not in table
    assert f'title="{html.escape(name)}"' in table and 'data-name="' in table
    assert "<span>scope&quot;&lt;b&gt;&amp;</span>" in table


def test_search_ranks_exact_then_prefix_matches_first(long_names):
    s = BrowserState(long_names)
    s.query = "Softmax"
    assert s.results[0] == "Softmax"  # last in graph order, first here
    assert all(n.endswith("/softmax_temperature") for n in s.results[1 : 1 + HEADS])
    assert all("softmax_scores/" in n for n in s.results[1 + HEADS :])
    cat = s.catalog
    assert cat.search_names("Softmax")[-1] == "Softmax"  # the API keeps graph order by default
    assert cat.search_names("softmax:0", ranked=True, limit=2) == s.results[:2]
    assert cat.search_names("*Softmax", ranked=True) == ["Softmax"]  # globs are not ranked
    everything = cat.search_names("softmax", ranked=True)  # the same ops, each once
    assert sorted(everything) == sorted(cat.search_names("softmax")) and len(everything) > 1000
    consts = cat.search_names("softmax", op_type="Const", ranked=True, limit=2)
    assert consts == ["heads/head_0/softmax_scores/softmax_temperature", s.results[2]]
    assert cat.search_names("SOFTMAX", op_type="Softmax", ranked=True) == ["Softmax"]


def test_no_match_message_quotes_what_was_typed_and_clears(long_names):
    view = TensorBrowser(long_names)
    view.search.value = "q"
    assert "no op matches 'q'" in view.search_status.text
    view.search.value = "qzzq_nothing"  # still nothing: the message follows the text
    assert "no op matches 'qzzq_nothing'" in view.search_status.text
    view.search.value = "Softmax"
    assert view.search_status.text == "" and 'data-name="Softmax"' in view.table.html


def test_selecting_an_op_turns_to_its_page(long_names):
    view = TensorBrowser(long_names)
    s = view.state
    last = s.catalog.names[-1]
    s.select(last)
    assert s.page == s.page_count - 1
    assert 'class="tf1x-row tf1x-selected"' in view.table.html
    s.page = 0
    view.table.click(s.results[3])  # a row of this page: the page stays
    assert s.page == 0 and s.selected == s.results[3]


def test_drawing_shows_in_untrusted_notebooks_with_op_types_and_title_whole():
    long_type = "SparseSoftmaxCrossEntropyWithLogits"
    title = "optimization/sequence_loss/" + long_type + ": 2 hop(s) up and down"
    svg = render_svg(
        [("a/b/c/" + long_type, long_type), ("x", "Relu")],
        [("x", "a/b/c/" + long_type)],
        title=title,
    )
    assert isinstance(svg, Drawing) and isinstance(svg, str)
    bundle = svg._repr_mimebundle_()
    assert bundle["image/svg+xml"] == str(svg)
    uri = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', bundle["text/html"]).group(1)
    assert base64.b64decode(uri).decode() == str(svg)  # the same drawing, as an <img>
    assert f">{long_type}</text>" in svg  # the op type whole, squeezed into its box
    assert f'textLength="{NODE_W - 8}"' in svg
    assert f">{title}</text>" in svg  # the title whole, the drawing as wide as it
    width = float(re.search(r'width="(\d+)"', svg).group(1))
    assert width >= len(title) * CHAR_W


def test_scatter_and_histogram_count_the_same_values_over_all_batches():
    rng = np.random.default_rng(1)
    a = [{"y": rng.normal(size=3).astype(np.float32)} for _ in range(3)]
    b = [{"y": x["y"] + np.float32(1e-3) * (i % 2)} for i, x in enumerate(a)]
    report = compare(a, b, atol=1e-5)
    assert report.batches == 3 and report.outputs["y"].count == 9
    hist = error_histogram(report).axes[0].get_legend_handles_labels()[1]
    scatter = report_figures(report)["scatter y"].axes[0].get_legend_handles_labels()[1]
    assert "3 non-zero of 9 values" in hist and "6 exactly equal" in hist
    assert "9 values" in scatter  # all 9 drawn and counted, as in the histogram
