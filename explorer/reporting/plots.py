"""Figures of parity results: pure functions over reports and arrays returning matplotlib Figures.

Figures are built with ``matplotlib.figure.Figure`` directly (no pyplot, no global state, no
window): save them with ``fig.savefig(...)`` or let Jupyter display them. Nothing here runs a
model; every function reads a :class:`~explorer.ParityReport`, an
:class:`~explorer.OutputComparison`, a divergence result or plain arrays.
"""

from __future__ import annotations

import math
from typing import Any

from explorer.errors import ParityError

V1_LABEL = "v1 (reference)"
V2_LABEL = "v2"
MAX_SCATTER_POINTS = 20_000


def _figure(ncols: int = 1, width: float = 5.0, height: float = 3.6) -> tuple[Any, list[Any]]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def error_histogram(report: Any) -> Any:
    """Histogram of absolute errors per output, log-scaled x (error) and y (count).

    Args:
        report: a ``ParityReport`` (one panel per numeric output) or one ``OutputComparison``.

    Returns:
        A Figure; each panel is titled with the output key and its max abs error. Exact zeros
        cannot sit on a log axis: their count is in the panel's legend.

    Raises:
        ParityError: no numeric output to plot (string/bool outputs have no error histogram).
    """
    records = list(report.outputs.values()) if hasattr(report, "outputs") else [report]
    records = [r for r in records if r.max_abs is not None or r.hist_zeros]
    if not records:
        raise ParityError("no numeric outputs in the report: there is no error to plot")
    fig, axes = _figure(len(records), width=4.5)
    for ax, rec in zip(axes, records):
        if rec.hist_counts:
            edges = rec.hist_edges
            widths = [edges[i + 1] - edges[i] for i in range(len(edges) - 1)]
            ax.bar(
                edges[:-1],
                rec.hist_counts,
                width=widths,
                align="edge",
                color="tab:blue",
                edgecolor="white",
                label=f"{sum(rec.hist_counts)} non-zero",
            )
            if max(rec.hist_counts) > 0:
                ax.set_yscale("log")
                ax.set_ylim(bottom=0.5)
        ax.axvline(rec.atol, color="tab:red", linestyle="--", label=f"atol {rec.atol:g}")
        ax.set_xscale("log")
        ax.plot([], [], " ", label=f"{rec.hist_zeros} exactly equal")
        ax.set_xlabel("|v2 - v1|")
        ax.set_ylabel("elements")
        ax.set_title(f"{rec.key}: max abs {_fmt(rec.max_abs)} ({rec.status})")
        ax.legend(fontsize="small")
    fig.suptitle("Absolute error per output")
    return fig


def scatter(a: Any, b: Any, *, title: str = "", max_points: int = MAX_SCATTER_POINTS) -> Any:
    """v1 values (x) against v2 values (y) with the ``y = x`` line; points on it are equal.

    Args:
        a, b: arrays of the same shape (a = v1, b = v2); flattened, evenly subsampled to at most
            ``max_points`` points, non-finite values dropped.
        title: the axes title (an output key).
    """
    import numpy as np

    a = np.asarray(a, dtype=np.float64).reshape(-1)
    b = np.asarray(b, dtype=np.float64).reshape(-1)
    if a.shape != b.shape:
        raise ParityError(f"scatter of {title or 'output'}: {a.size} values vs {b.size}")
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    if a.size > max_points:
        idx = np.linspace(0, a.size - 1, max_points).astype(np.int64)
        a, b = a[idx], b[idx]
    fig, (ax,) = _figure(1, width=4.2, height=4.0)
    ax.scatter(a, b, s=6, alpha=0.6, color="tab:blue", label=f"{a.size} values")
    if a.size:
        lo = float(min(a.min(), b.min()))
        hi = float(max(a.max(), b.max()))
    else:
        lo, hi = 0.0, 1.0
    ax.plot([lo, hi], [lo, hi], color="tab:red", linewidth=1, label="y = x")
    ax.set_xlabel(V1_LABEL)
    ax.set_ylabel(V2_LABEL)
    ax.set_title(title or "v1 vs v2")
    ax.legend(fontsize="small")
    return fig


def error_heatmap(a: Any, b: Any, *, title: str = "") -> Any:
    """|v2 - v1| as an image, with a colour bar.

    2-D outputs ``[rows, cols]`` are shown whole; 4-D outputs ``[N, H, W, C]`` show the first
    example with the maximum over channels. Other ranks raise ``ParityError``.
    """
    import numpy as np

    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
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
    ax.set_xlabel("column" if err.ndim == 2 else "W")
    ax.set_ylabel("row" if err.ndim == 2 else "H")
    return fig


def divergence_plot(divergence: Any) -> Any:
    """Max abs error of every shared tensor along the topological order, log-scaled.

    Args:
        divergence: a :class:`~explorer.Divergence` (from ``first_divergence``).

    The tolerance is a dashed line; the first diverging op is marked and named.
    """
    steps = divergence.steps
    if not steps:
        raise ParityError("the divergence result has no compared tensors: nothing to plot")
    fig, (ax,) = _figure(1, width=7.5, height=3.6)
    floor = _log_floor([s.max_abs for s in steps])
    xs = list(range(len(steps)))
    ys = [floor if not s.max_abs else s.max_abs for s in steps]
    colors = ["tab:red" if not s.passed else "tab:blue" for s in steps]
    ax.plot(xs, ys, color="lightgray", linewidth=1, zorder=1)
    ax.scatter(xs, ys, c=colors, s=14, zorder=2)
    ax.set_yscale("log")
    ax.axhline(divergence.atol, color="tab:red", linestyle="--", label=f"atol {divergence.atol:g}")
    if divergence.index is not None:
        s = steps[divergence.index]
        ax.annotate(
            f"first: {s.tensor} ({s.op_type})",
            (divergence.index, ys[divergence.index]),
            xytext=(10, 10),
            textcoords="offset points",
            arrowprops={"arrowstyle": "->"},
            fontsize="small",
        )
        title = f"First divergence at {s.tensor}"
    else:
        title = "No divergence"
    ax.set_title(f"{title} ({len(steps)} shared tensors)")
    ax.set_xlabel("tensor, in topological order")
    ax.set_ylabel(f"max |v2 - v1| (exact zeros at {floor:g})")
    ax.legend(fontsize="small")
    return fig


def report_figures(report: Any) -> dict[str, Any]:
    """Every figure that applies to a report: ``histogram``, then per output ``scatter <key>``
    and (2-D/4-D numeric outputs) ``heatmap <key>``, from the arrays the report keeps."""
    figures: dict[str, Any] = {}
    numeric = [o for o in report.outputs.values() if o.max_abs is not None or o.hist_zeros]
    if numeric:
        figures["histogram"] = error_histogram(report)
    for key, (a, b) in getattr(report, "arrays", {}).items():
        rec = report.outputs.get(key)
        if rec is None or rec.max_abs is None or getattr(a, "shape", None) != b.shape:
            continue
        figures[f"scatter {key}"] = scatter(a, b, title=key)
        if a.ndim in (2, 4):
            figures[f"heatmap {key}"] = error_heatmap(a, b, title=key)
    return figures


def _log_floor(values: list[float | None]) -> float:
    positive = [v for v in values if v]
    if not positive:
        return 1e-12
    return 10.0 ** (math.floor(math.log10(min(positive))) - 1)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"
