"""Parity reports for people and machines: one self-contained HTML file (plots embedded as PNG, the
JSON inside, the numerics environment), and JSON files."""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from explorer.comparing.numerics import numerics_environment
from explorer.output_policy import write_file
from explorer.reporting.examples_html import examples_html
from explorer.reporting.plots import figure_png_bytes, report_figures

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;font-size:13px}
th{background:#f3f3f3} td.k,th.k{text-align:left}
.passed{color:#176d2c;font-weight:bold} .failed{color:#b00020;font-weight:bold}
.nondeterministic{color:#a65e00;font-weight:bold}
img{max-width:100%;margin:4px 0} pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}
"""

_COLUMNS = (
    ("status", "status"),
    ("dtype", None),
    ("shape", None),
    ("max_abs", "max abs"),
    ("mean_abs", "mean abs"),
    ("median_abs", "median abs"),
    ("p99_abs", "p99 abs"),
    ("max_rel", "max rel"),
    ("p99_rel", "p99 rel"),
    ("mismatch_fraction", "mismatch"),
    ("nan", "NaN a/b"),
    ("inf", "Inf a/b"),
    ("equal", "bitwise equal"),
)


def figure_png(fig: Any, dpi: int = 90) -> str:
    """A matplotlib Figure as a base64 PNG data URI (for ``<img src=...>``)."""
    return "data:image/png;base64," + base64.b64encode(figure_png_bytes(fig, dpi)).decode("ascii")


def _cell(rec: Any, col: str) -> str:
    if col == "dtype":
        same = rec.dtype_a == rec.dtype_b
        return rec.dtype_a if same else f"{rec.dtype_a} / {rec.dtype_b}"
    if col == "shape":
        same = rec.shape_a == rec.shape_b
        return str(rec.shape_a) if same else f"{rec.shape_a} / {rec.shape_b}"
    if col in ("nan", "inf"):
        return f"{getattr(rec, col + '_a')}/{getattr(rec, col + '_b')}"
    if col == "status":
        return f'<span class="{rec.status}">{rec.status}</span>'
    v = getattr(rec, col)
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3g}"
    return html.escape(str(v))


def _signature_html(report: Any, plots: bool) -> list[str]:
    e = html.escape
    out = [
        f'<h2>{e(report.name)}: <span class="{report.status}">{report.status}</span></h2>',
        f"<p>{report.batches} batches; atol {report.atol:g}, rtol {report.rtol:g}"
        + ("; stateful: v1 and v2 compared as call sequences from a fresh state" * report.stateful)
        + "</p>",
    ]
    if report.nondeterministic or report.remedy:
        ops = ", ".join(report.random_ops) or "-"
        out.append(f"<p>Nondeterministic in v1 (random ops: <code>{e(ops)}</code>).</p>")
    if report.remedy:
        out.append(f"<p>Remedy applied: {e(report.remedy)}</p>")
    for note in report.notes:
        out.append(f"<p>{e(note)}</p>")
    head = "".join(f"<th>{e(label or col)}</th>" for col, label in _COLUMNS)
    out.append(f'<table><tr><th class="k">output</th>{head}</tr>')
    for key, rec in report.outputs.items():
        cells = "".join(f"<td>{_cell(rec, col)}</td>" for col, _ in _COLUMNS)
        reason = f" <small>({e(rec.reason)})</small>" if rec.reason else ""
        out.append(f'<tr><td class="k">{e(key)}{reason}</td>{cells}</tr>')
    out.append("</table>")
    out.extend(examples_html(report))
    if plots:
        for title, fig in report_figures(report).items():
            out.append(f'<img alt="{e(report.name)} {e(title)}" src="{figure_png(fig)}">')
    return out


def to_html(
    result: Any,
    *,
    title: str = "tf1-explorer parity report",
    extra: Mapping[str, Any] | None = None,
    figures: Mapping[str, Any] | None = None,
    plots: bool = True,
) -> str:
    """A self-contained HTML page for a ``ParitySummary`` or a single ``ParityReport``.

    Args:
        result: what :func:`explorer.parity` or :func:`explorer.compare` returned.
        title: the page title.
        extra: section title -> JSON-ready object, shown as preformatted JSON after the results
            (``migrate`` puts the inspect summary, suggestions, findings and conversion here).
        figures: extra figures (title -> matplotlib Figure), e.g. a divergence plot.
        plots: embed the per-output figures (histogram, scatter, heatmap) as PNG.

    The full JSON of the result is embedded in a ``<script type="application/json"
    id="parity-json">`` element, so the page alone is a complete record.
    """
    e = html.escape
    reports = result.reports if hasattr(result, "reports") else {result.name: result}
    status = result.status
    env = getattr(result, "environment", None) or numerics_environment()
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>",
        f'<h1>{e(title)}: <span class="{status}">{status}</span></h1>',
        "<h3>Numerics environment</h3><table>",
    ]
    for k, v in env.items():
        parts.append(f'<tr><th class="k">{e(str(k))}</th><td class="k">{e(str(v))}</td></tr>')
    parts.append("</table>")
    for report in reports.values():
        parts.extend(_signature_html(report, plots))
    for name, fig in (figures or {}).items():
        parts.append(f"<h2>{e(name)}</h2><img alt='{e(name)}' src='{figure_png(fig)}'>")
    payload = dict(result.to_json())
    payload.setdefault("environment", env)
    for name, obj in (extra or {}).items():
        text = json.dumps(obj, indent=2, default=str)
        parts.append(f"<h2>{e(name)}</h2><pre>{e(text)}</pre>")
    if extra:
        payload["extra"] = dict(extra)
    blob = json.dumps(payload, default=str).replace("</", "<\\/")
    parts.append(f'<script type="application/json" id="parity-json">{blob}</script>')
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(
    path: str | os.PathLike[str], result: Any, overwrite: bool = False, **kwargs: Any
) -> Path:
    """Write :func:`to_html` to ``path`` (parent folders created; an existing file only with
    ``overwrite``); returns the path."""
    return _write(Path(path), to_html(result, **kwargs), overwrite)


def write_json(path: str | os.PathLike[str], obj: Any, overwrite: bool = False) -> Path:
    """Write ``obj.to_json()`` (or ``obj`` itself) as indented JSON to ``path``."""
    data = obj.to_json() if hasattr(obj, "to_json") else obj
    return _write(Path(path), json.dumps(data, indent=2, default=str) + "\n", overwrite)


def read_embedded_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON embedded in an HTML report written by :func:`write_html`."""
    text = Path(path).read_text(encoding="utf-8")
    start = text.index('id="parity-json">') + len('id="parity-json">')
    end = text.index("</script>", start)
    return json.loads(text[start:end].replace("<\\/", "</"))


def _write(path: Path, text: str, overwrite: bool) -> Path:
    """Staged, all or nothing (:func:`explorer.output_policy.write_file`)."""
    return write_file(path, lambda f: f.write(text.encode()), None, overwrite, "the report")
