"""Figures of parity results: pure functions of records and arrays returning matplotlib Figures
(no pyplot, no global state; shown as PNG via ``_repr_png_``)."""

from __future__ import annotations

import functools
import io
import math
from typing import Any

from explorer.errors import ParityError, plain
from explorer.graph.names import num_text

V1_LABEL, V2_LABEL = "v1 (reference)", "v2"
MAX_SCATTER_POINTS = 20_000
MAX_NAMED_TICKS = 40  # divergence plot: op names under the x axis up to this many tensors
PNG_DPI = 90

EXACT, WITHIN, OVER = "tab:green", "tab:blue", "tab:red"  # exactly equal, within, over atol


@functools.cache
def _classes() -> tuple[type, type]:
    """A ``Figure`` shown as a PNG in Jupyter, and log ticks labelling the row of zeros ``0``."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import LogFormatterSciNotation

    class ExplorerFigure(Figure):
        def _repr_png_(self) -> bytes:
            return figure_png_bytes(self)

    class FloorFormatter(LogFormatterSciNotation):
        def __init__(self, floor: float) -> None:
            super().__init__()
            self.floor = floor

        def __call__(self, x: float, pos: int | None = None) -> str:
            if x > 0 and abs(math.log10(x) - math.log10(self.floor)) < 1e-9:
                return "0"
            return super().__call__(x, pos)

    for cls in (ExplorerFigure, FloorFormatter):
        cls.__module__, cls.__qualname__ = __name__, cls.__name__
    return ExplorerFigure, FloorFormatter


def figure_png_bytes(fig: Any, dpi: int = PNG_DPI) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _figure(ncols: int = 1, width: float = 5.0, height: float = 3.6) -> tuple[Any, list[Any]]:
    fig = _classes()[0](figsize=(width * ncols, height), layout="constrained")
    return fig, list(fig.subplots(1, ncols, squeeze=False)[0])


def _equal_panel(ax: Any, lines: list[str], title: str) -> None:
    """An axes without ticks that says, in words, that everything compared equal."""
    ax.set_axis_off()
    text = "\n".join(lines)
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=EXACT)
    ax.set_title(title)


def error_histogram(report: Any) -> Any:
    """Histogram of absolute errors, log-scaled, a panel per numeric output of a ``ParityReport``
    (or one ``OutputComparison``), exact zeros in the legend, an equal output said in words.
    ``ParityError`` when no output is numeric."""
    records = list(report.outputs.values()) if hasattr(report, "outputs") else [report]
    records = [r for r in records if r.max_abs is not None or r.hist_zeros]
    if not records:
        raise ParityError("no numeric outputs in the report: there is no error to plot")
    equal = all(not r.hist_counts for r in records)
    fig, axes = _figure(1, width=4.5, height=2.6) if equal else _figure(len(records), width=4.5)
    fig.suptitle("Absolute error per output")
    if equal:
        lines = [f"{plain(r.key)}: all {r.hist_zeros:,} values exactly equal" for r in records]
        one = f"{plain(records[0].key)}: exactly equal"
        _equal_panel(axes[0], lines, "All outputs equal" if len(records) > 1 else one)
        return fig
    for ax, rec in zip(axes, records):
        title = f"{plain(rec.key)}: max abs {num_text(rec.max_abs, 'n/a')} ({rec.status})"
        if not rec.hist_counts:
            _equal_panel(ax, [f"all {rec.hist_zeros:,} values", "exactly equal"], title)
            continue
        edges = rec.hist_edges
        widths = [hi - lo for lo, hi in zip(edges, edges[1:])]
        label = f"{sum(rec.hist_counts):,} non-zero of {rec.count:,} values"
        bars = {"align": "edge", "color": WITHIN, "edgecolor": "white", "label": label}
        ax.bar(edges[:-1], rec.hist_counts, width=widths, **bars)
        if max(rec.hist_counts) > 0:
            ax.set_yscale("log")
            ax.set_ylim(bottom=0.5)
        ax.axvline(rec.atol, color=OVER, linestyle="--", label=f"atol {rec.atol:g}")
        ax.set_xscale("log")
        ax.plot([], [], " ", label=f"{rec.hist_zeros:,} exactly equal")
        ax.set(xlabel="|v2 - v1|", ylabel="elements", title=title)
        ax.legend(fontsize="small")
    return fig


def scatter(
    a: Any, b: Any, *, title: str = "", max_points: int = MAX_SCATTER_POINTS, count: int = 0
) -> Any:
    """v1 values ``a`` (x) against v2 values ``b`` (y) with the ``y = x`` line, evenly subsampled
    to ``max_points``, non-finite values dropped; the legend counts ``count`` values (default:
    those given) and those drawn."""
    import numpy as np

    a, b = (np.asarray(x, dtype=np.float64).reshape(-1) for x in (a, b))
    if a.shape != b.shape:
        raise ParityError(f"scatter of {title or 'output'}: {a.size} values vs {b.size}")
    count = count or a.size
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    if a.size > max_points:
        idx = np.linspace(0, a.size - 1, max_points).astype(np.int64)
        a, b = a[idx], b[idx]
    fig, (ax,) = _figure(1, width=4.2, height=4.0)
    drawn = "" if a.size == count else f", {a.size:,} drawn"
    ax.scatter(a, b, s=6, alpha=0.6, color=WITHIN, label=f"{count:,} values{drawn}")
    lo, hi = (float(min(a.min(), b.min())), float(max(a.max(), b.max()))) if a.size else (0.0, 1.0)
    ax.plot([lo, hi], [lo, hi], color=OVER, linewidth=1, label="y = x")
    ax.set(xlabel=V1_LABEL, ylabel=V2_LABEL, title=title or "v1 vs v2")
    ax.legend(fontsize="small")
    return fig


def error_heatmap(a: Any, b: Any, *, title: str = "") -> Any:
    """|v2 - v1| as an image with a colour bar: a 2-D output whole, a 4-D ``[N, H, W, C]`` one
    as its first example's maximum over channels (other ranks: ``ParityError``)."""
    import numpy as np

    a, b = (np.asarray(x, dtype=np.float64) for x in (a, b))
    if a.shape != b.shape:
        raise ParityError(f"heatmap of {title or 'output'}: shape {a.shape} vs {b.shape}")
    err = np.abs(b - a)
    if err.ndim == 2:
        image, what = err, f"{err.shape[0]}x{err.shape[1]}"
    elif err.ndim == 4:
        image, what = err[0].max(axis=-1), "example 0, max over channels"
    else:
        raise ParityError(
            f"heatmap of {title or 'output'}: rank {err.ndim} output; heatmaps take 2-D or 4-D "
            "outputs (use error_histogram for others)"
        )
    fig, (ax,) = _figure(1, width=4.8, height=3.8)
    im = ax.imshow(image, aspect="auto", interpolation="nearest", cmap="viridis")
    fig.colorbar(im, ax=ax, label="|v2 - v1|")
    ax.set_title(f"{title or 'output'}: abs error ({what})")
    ax.set(xlabel="column" if err.ndim == 2 else "W", ylabel="row" if err.ndim == 2 else "H")
    return fig


def middle_cut(text: str, limit: int = 22) -> str:
    """``text`` in at most ``limit`` characters, cut in the middle, its last scope part whole
    (``inputs/…/PlaceholderWithDefault_1:0``; the end when that is too long)."""
    if len(text) <= limit:
        return text
    cut = text.rfind("/")
    leaf = text[cut:] if cut > 0 else text[len(text) // 2 :]
    if len(leaf) > limit - 2:
        return "…" + text[-(limit - 1) :]
    head = text[: limit - len(leaf) - 1]
    return (head[: head.rfind("/") + 1] or head) + "…" + leaf


_STYLES = {  # kind of a divergence step -> marker, colour, label
    "exact": ("v", EXACT, "exactly equal"),
    "within": ("o", WITHIN, "within tolerance"),
    "over": ("o", OVER, "over tolerance"),
    "nonfinite": ("X", OVER, "NaN or Inf"),
}


def divergence_plot(divergence: Any) -> Any:
    """Max abs error of every shared tensor of a ``Divergence`` in topological order, log-scaled:
    ``atol`` dashed, exact zeros on a row below, NaN/Inf above all, the first divergence a star."""
    from matplotlib.ticker import MaxNLocator

    steps = divergence.steps
    if not steps:
        raise ParityError("the divergence result has no compared tensors: nothing to plot")
    n = len(steps)
    named = n <= MAX_NAMED_TICKS
    width = min(14.0, max(7.5, 3.5 + 0.25 * n)) if named else 9.0
    fig, (ax,) = _figure(1, width=width, height=4.4 if named else 3.6)
    atol = divergence.atol
    finite = [s.max_abs for s in steps if s.max_abs and math.isfinite(s.max_abs)]
    positive = [v for v in finite + [atol] if v > 0]  # the row of exact zeros: a decade below
    floor = 10.0 ** (math.floor(math.log10(min(positive))) - 1) if positive else 1e-12
    ceiling = 10.0 ** math.ceil(math.log10(max(finite + [atol, floor * 10]))) * 10
    points = []  # (y, kind) per step
    for s in steps:
        v = s.max_abs
        if v is None or v == 0:
            points.append((floor, "exact" if s.passed else "over"))
        elif not math.isfinite(v):
            points.append((ceiling, "nonfinite"))
        else:
            points.append((v, "within" if s.passed else "over"))
    ys_all = [y for y, _ in points]
    ax.plot(range(n), ys_all, color="lightgray", linewidth=1, zorder=1)
    for kind, (marker, colour, label) in _STYLES.items():
        if xs := [i for i, (_, k) in enumerate(points) if k == kind]:
            label = f"{label} ({len(xs)})"
            ys = [ys_all[i] for i in xs]
            ax.scatter(xs, ys, marker=marker, color=colour, s=22, zorder=2, label=label)
    ax.set_yscale("log")
    ax.set_ylim(floor / 3, ceiling * 3)
    line = atol if atol > 0 else floor
    ax.axhline(line, color=OVER, linestyle="--", linewidth=1, label=f"atol {atol:g}")
    if divergence.index is not None:
        i, s = divergence.index, steps[divergence.index]
        star = {"marker": "*", "s": 180, "color": OVER, "edgecolor": "black", "zorder": 3}
        label = f"first divergence: {middle_cut(s.tensor, 40)} ({s.op_type})"
        ax.scatter([i], [ys_all[i]], **star, label=label)
        title = f"First divergence at position {i} of {n} shared tensors"
    elif divergence.outputs_skipped:  # never a claim of agreement on what was not judged
        skipped = ", ".join(divergence.outputs_skipped)
        title = f"No divergence among {n} tensors; not judged: {skipped}"
    else:
        title = f"No divergence: all {n} shared tensors within tolerance"
    ax.set_title(title)
    ax.set_xlim(-0.6, n - 0.4)
    if named:
        labels = [middle_cut(s.tensor) for s in steps]
        ax.set_xticks(range(n), labels, rotation=60, ha="right", rotation_mode="anchor", fontsize=7)
        ax.set_xlabel("shared tensor, in topological order")
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("position of the shared tensor in topological order")
    ax.yaxis.set_major_formatter(_classes()[1](floor))
    ax.set_ylabel("max |v2 - v1|")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return fig


def report_figures(report: Any) -> dict[str, Any]:
    """Every figure that applies to a report: ``histogram``, per numeric output ``scatter <key>``
    (a sample of all batches) and ``heatmap <key>`` (the first batch; 2-D/4-D, not equal)."""
    figures: dict[str, Any] = {}
    if any(o.max_abs is not None or o.hist_zeros for o in report.outputs.values()):
        figures["histogram"] = error_histogram(report)
    for key, rec in report.outputs.items():
        if rec.max_abs is None or key not in report.samples:
            continue
        a, b = report.samples[key]
        figures[f"scatter {key}"] = scatter(a, b, title=plain(key), count=rec.count)
        a, b = report.arrays.get(key) or (None, None)
        if getattr(a, "ndim", 0) in (2, 4) and a.shape == b.shape and rec.max_abs != 0:
            figures[f"heatmap {key}"] = error_heatmap(a, b, title=f"{plain(key)}, first batch")
    return figures
