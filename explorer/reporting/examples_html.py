"""The per-example section of the HTML report (runs on the user's data only): per output, examples
compared and differing, quantiles of each example's largest absolute error, and the worst
examples (index, source, inputs, both outputs side by side)."""

from __future__ import annotations

import html
import math
from typing import Any


def _g(v: Any) -> str:
    if v is None:
        return "-"
    return f"{v:.3g}" if isinstance(v, float) else html.escape(str(v))


def _vals(values: list[Any], shape: list[int]) -> str:
    text = ", ".join(_g(v) if isinstance(v, float) else html.escape(repr(v)) for v in values)
    return f"[{text}{', …' if math.prod(shape) > len(values) else ''}]"


def examples_html(report: Any) -> list[str]:
    """HTML lines for ``report.data`` and ``report.examples`` (``[]`` when absent)."""
    e = html.escape
    out: list[str] = []
    d = report.data
    if d:
        secs = d.get("seconds", {})
        out.append(
            f"<p>Data: {d.get('examples', 0):,} examples from "
            f"<code>{e(str(d.get('source')))}</code>"
            f" in batches of {d.get('batch_size')}; {d.get('examples_per_second') or 0:,.0f} "
            f"examples/s (v1 {secs.get('v1', 0):.3g} s, v2 {secs.get('v2', 0):.3g} s, "
            f"total {secs.get('total', 0):.3g} s).</p>"
        )
    examples = report.examples
    if not examples:
        return out
    out.append("<h3>Per example</h3>")
    out.append(
        '<table><tr><th class="k">output</th><th>examples</th><th>differ</th>'
        "<th>p50 max abs</th><th>p90</th><th>p99</th><th>max</th></tr>"
    )
    for key, ex in examples.items():
        q = ex.quantiles
        cells = "".join(f"<td>{_g(q.get(k))}</td>" for k in ("p50", "p90", "p99", "max"))
        note = f" <small>({e(ex.reason)})</small>" if ex.reason else ""
        out.append(
            f'<tr><td class="k">{e(key)}{note}</td><td>{ex.examples}</td>'
            f"<td>{ex.failed}</td>{cells}</tr>"
        )
    out.append("</table>")
    for key, ex in examples.items():
        out.extend(_histogram_html(key, ex))
    for key, ex in examples.items():
        if not ex.worst:
            continue
        out.append(f"<h4>{e(key)}: worst examples</h4>")
        out.append(
            '<table class="worst"><tr><th>index</th><th class="k">where</th><th>max abs</th>'
            '<th>differ</th><th class="k">v1</th><th class="k">v2</th>'
            '<th class="k">inputs</th></tr>'
        )
        for w in ex.worst:
            out.append(
                f"<tr><td>{w.index}</td><td class='k'>{e(w.where)}</td><td>{_g(w.max_abs)}</td>"
                f"<td>{w.mismatches}</td><td class='k'>{_vals(w.a, w.shape)}</td>"
                f"<td class='k'>{_vals(w.b, w.shape)}</td>"
                f"<td class='k'><small>{e(w.inputs)}</small></td></tr>"
            )
        out.append("</table>")
    return out


def _histogram_html(key: str, ex: Any) -> list[str]:
    """The distribution of the examples' largest absolute errors as a bar table: exact zeros,
    then each non-empty log-spaced bin."""
    bins = [("0 (equal)", ex.hist_zeros)] if ex.hist_zeros else []
    for lo, hi, n in zip(ex.hist_edges, ex.hist_edges[1:], ex.hist_counts):
        if n:
            bins.append((f"[{lo:.2g}, {hi:.2g})", n))
    if not ex.hist_counts:  # none differ at all: the table above says so
        return []
    top = max(n for _, n in bins)
    rows = "".join(
        f"<tr><td class='k'>{html.escape(label)}</td><td>{n}</td><td class='k'>"
        f"<div style='background:#6a8fd8;height:10px;width:{max(1, round(200 * n / top))}px'>"
        "</div></td></tr>"
        for label, n in bins
    )
    return [
        f"<h4>{html.escape(key)}: largest absolute error per example</h4>",
        f"<table><tr><th class='k'>error</th><th>examples</th><th></th></tr>{rows}</table>",
    ]
