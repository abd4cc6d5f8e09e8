"""``reporting.plots``: the figures each function builds (axes, artists, scales, titles)."""

from __future__ import annotations

import numpy as np
import pytest

from explorer import compare
from explorer.comparing.records import Divergence, DivergenceStep
from explorer.errors import ParityError
from explorer.reporting import plots


@pytest.fixture(scope="module")
def report():
    rng = np.random.default_rng(0)
    a2 = rng.normal(size=(6, 5)).astype(np.float32)
    b2 = a2 + rng.normal(scale=1e-6, size=a2.shape).astype(np.float32)
    b2[2, 3] += 0.1
    a4 = rng.normal(size=(2, 4, 3, 2)).astype(np.float32)
    words = np.array([b"a", b"b"], dtype=object)
    return compare(
        {"mat": a2, "img": a4, "words": words},
        {"mat": b2, "img": a4.copy(), "words": words.copy()},
        atol=1e-5,
    )


def test_error_histogram_has_one_log_panel_per_numeric_output(report):
    fig = plots.error_histogram(report)
    axes = fig.axes
    assert len(axes) == 2  # strings have no error histogram
    mat, img = axes
    assert mat.get_title().startswith("mat: max abs 0.1") and "failed" in mat.get_title()
    assert mat.get_xscale() == "log" and mat.get_yscale() == "log"
    rec = report.outputs["mat"]
    assert len(mat.patches) == len(rec.hist_counts)
    assert sum(p.get_height() for p in mat.patches) == sum(rec.hist_counts)
    labels = mat.get_legend_handles_labels()[1]
    assert "atol 1e-05" in labels and f"{rec.hist_zeros} exactly equal" in labels
    # the identical output: a panel that says so in words, not empty log axes
    assert len(img.patches) == 0 and not img.axison
    assert [t.get_text() for t in img.texts] == ["all 48 values\nexactly equal"]
    assert fig.get_suptitle() == "Absolute error per output"


def test_error_histogram_when_every_output_is_equal_is_one_panel_saying_so():
    a = np.ones((3, 4), np.float32)
    fig = plots.error_histogram(compare({"p": a, "q": a}, {"p": a.copy(), "q": a.copy()}))
    (ax,) = fig.axes
    assert ax.get_title() == "All outputs equal" and not ax.axison
    assert (
        ax.texts[0].get_text() == "p: all 12 values exactly equal\nq: all 12 values exactly equal"
    )


def test_error_histogram_of_one_record_and_of_strings_only(report):
    fig = plots.error_histogram(report.outputs["mat"])
    assert len(fig.axes) == 1 and fig.axes[0].get_title().startswith("mat")
    words = compare({"w": np.array([b"x"], dtype=object)}, {"w": np.array([b"x"], dtype=object)})
    with pytest.raises(ParityError, match="no numeric outputs"):
        plots.error_histogram(words)


def test_scatter_plots_every_value_against_the_identity_line(report):
    a, b = report.arrays["mat"]
    fig = plots.scatter(a, b, title="mat")
    (ax,) = fig.axes
    (points,) = ax.collections
    assert points.get_offsets().shape == (30, 2)
    np.testing.assert_allclose(points.get_offsets()[:, 0], a.reshape(-1).astype(np.float64))
    (line,) = ax.lines
    xs, ys = line.get_data()
    assert list(xs) == list(ys) and line.get_label() == "y = x"
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("mat", "v1 (reference)", "v2")


def test_scatter_subsamples_and_drops_non_finite_values():
    a = np.arange(1000, dtype=np.float64)
    a[3] = np.nan
    fig = plots.scatter(a, a, max_points=100)
    assert fig.axes[0].collections[0].get_offsets().shape == (100, 2)


def test_heatmap_of_2d_and_4d_outputs(report):
    a, b = report.arrays["mat"]
    fig = plots.error_heatmap(a, b, title="mat")
    ax, cbar = fig.axes
    (image,) = ax.images
    data = image.get_array()
    assert data.shape == (6, 5) and np.argmax(data) == 2 * 5 + 3
    assert ax.get_title() == "mat: abs error (6x5)" and cbar.get_ylabel() == "|v2 - v1|"
    a4, b4 = report.arrays["img"]
    fig = plots.error_heatmap(a4, b4, title="img")
    assert fig.axes[0].images[0].get_array().shape == (4, 3)
    assert "max over channels" in fig.axes[0].get_title()
    with pytest.raises(ParityError, match="rank 1 output"):
        plots.error_heatmap(np.zeros(3), np.zeros(3))


def _texts_overlap(fig):
    """Pairs of visible texts (title, labels, tick labels, legend) whose boxes overlap."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    r = canvas.get_renderer()
    (ax,) = fig.axes
    boxes = [
        ("title", ax.title.get_window_extent(r)),
        ("xlabel", ax.xaxis.label.get_window_extent(r)),
    ]
    boxes.append(("legend", ax.get_legend().get_window_extent(r)))
    boxes += [(t.get_text(), t.get_window_extent(r)) for t in ax.get_xticklabels() if t.get_text()]
    return [
        (a, b)
        for i, (a, ba) in enumerate(boxes)
        for b, bb in boxes[i + 1 :]
        if ba.overlaps(bb) and ba.width and bb.width
    ]


def test_divergence_plot_marks_the_first_diverging_tensor():
    steps = [
        DivergenceStep("x:0", "Placeholder", 0.0, 0.0, True),
        DivergenceStep("h:0", "Relu", 1e-7, 1e-7, True),
        DivergenceStep("w:0", "Const", 0.5, 1.0, False),
        DivergenceStep("y:0", "MatMul", 0.25, 0.5, False),
    ]
    div = Divergence(steps, index=2, atol=1e-5)
    fig = plots.divergence_plot(div)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    assert ax.get_title() == "First divergence at position 2 of 4 shared tensors"
    labels = ax.get_legend_handles_labels()[1]
    assert labels == [
        "exactly equal (1)",
        "within tolerance (1)",
        "over tolerance (2)",
        "atol 1e-05",
        "first divergence: w:0 (Const)",
    ]
    exact = ax.collections[labels.index("exactly equal (1)")]
    (exact_y,) = exact.get_offsets()[:, 1]
    assert exact_y < 1e-5 < 0.25  # exact matches sit below the tolerance line, not above it
    assert exact_y < 1e-7  # and below every non-zero error
    # integer positions, each named by its tensor
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x:0", "h:0", "w:0", "y:0"]
    assert list(ax.get_xticks()) == [0, 1, 2, 3]
    assert not ax.texts and not _texts_overlap(fig)


def test_divergence_plot_of_many_tensors_has_integer_ticks_and_no_overlaps():
    steps = [
        DivergenceStep(f"model/block_{i}/MatMul:0", "MatMul", 0.0, 0.0, True) for i in range(90)
    ]
    fig = plots.divergence_plot(Divergence(steps, index=None))
    (ax,) = fig.axes
    assert ax.get_title() == "No divergence: all 90 shared tensors within tolerance"
    ticks = [t for t in ax.get_xticks() if 0 <= t < 90]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert not _texts_overlap(fig)
    with pytest.raises(ParityError, match="no compared tensors"):
        plots.divergence_plot(Divergence([], index=None))


def test_figures_display_as_png_images_in_a_notebook(report):
    from IPython.core.formatters import PNGFormatter

    fig = plots.scatter(*report.arrays["mat"], title="mat")
    png = PNGFormatter()(fig)  # what IPython puts in the cell's output (and the .ipynb)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_figures_picks_what_applies(report):
    figs = plots.report_figures(report)
    # img is exactly equal: no flat heatmap of zeros
    assert list(figs) == ["histogram", "scatter mat", "heatmap mat", "scatter img"]
    from matplotlib.figure import Figure

    assert all(isinstance(f, Figure) for f in figs.values())
