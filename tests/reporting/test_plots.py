"""``explorer.plots``: the figures each function builds (axes, artists, scales, titles)."""

from __future__ import annotations

import numpy as np
import pytest

from explorer import ParityError, compare
from explorer.comparing.records import Divergence, DivergenceStep
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
    # the identical output: no bars, all its elements counted as exact zeros
    assert len(img.patches) == 0 and "48 exactly equal" in img.get_legend_handles_labels()[1]
    assert fig.get_suptitle() == "Absolute error per output"


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


def test_divergence_plot_marks_the_first_diverging_tensor():
    steps = [
        DivergenceStep("x:0", "Placeholder", 0.0, 0.0, True),
        DivergenceStep("w:0", "Const", 0.5, 1.0, False),
        DivergenceStep("y:0", "MatMul", 0.25, 0.5, False),
    ]
    div = Divergence(steps, index=1, atol=1e-5)
    fig = plots.divergence_plot(div)
    (ax,) = fig.axes
    assert ax.get_yscale() == "log"
    assert ax.get_title() == "First divergence at w:0 (3 shared tensors)"
    (points,) = ax.collections
    assert points.get_offsets().shape == (3, 2)
    (note,) = ax.texts
    assert note.get_text() == "first: w:0 (Const)"
    none = plots.divergence_plot(Divergence(steps[:1], index=None))
    assert none.axes[0].get_title().startswith("No divergence") and not none.axes[0].texts
    with pytest.raises(ParityError, match="no compared tensors"):
        plots.divergence_plot(Divergence([], index=None))


def test_report_figures_picks_what_applies(report):
    figs = plots.report_figures(report)
    assert list(figs) == ["histogram", "scatter mat", "heatmap mat", "scatter img", "heatmap img"]
    assert all(type(f).__name__ == "Figure" for f in figs.values())
