"""Parity reports as one self-contained HTML file (PNG plots, the JSON inside, the numerics
environment) or JSON files. Every text from a model goes through :func:`esc`."""

from __future__ import annotations

import base64
import html
import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer._tf import numerics_environment
from explorer.errors import plain
from explorer.graph.names import num_text
from explorer.output_policy import write_file
from explorer.reporting.plots import figure_png_bytes, report_figures

if TYPE_CHECKING:
    from explorer.loading.model import V1Model

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;font-size:13px}
th{background:#f3f3f3} td.k,th.k{text-align:left}
.passed{color:#176d2c;font-weight:bold} .failed{color:#b00020;font-weight:bold}
.nondeterministic{color:#a65e00;font-weight:bold}
img{max-width:100%;margin:4px 0} pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}
"""

_COLUMNS = ["status", "dtype", "shape", "max_abs", "mean_abs", "median_abs", "p99_abs"]
_COLUMNS += ["max_rel", "p99_rel", "mismatch_fraction", "nan", "inf", "equal"]  # (or two cells)
_HEADERS = {"mismatch_fraction": "mismatch", "nan": "NaN a/b", "inf": "Inf a/b"}
_HEADERS["equal"] = "bitwise equal"
V1_SESSION = "v1 session"  # the baseline row of a latency table (migrate's, the benchmark's)


def esc(text: object) -> str:
    """Text for HTML: control characters as visible escapes (:func:`explorer.errors.plain`), then
    ``<>&"'`` escaped."""
    return html.escape(plain(text))


def data_uri(data: bytes, mime: str = "image/png") -> str:
    """``data`` (bytes) as a base64 ``data:`` URI (for ``<img src=...>``)."""
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def _g(v: Any) -> str:
    return num_text(v) if v is None or isinstance(v, float) else esc(v)


def _cell(rec: Any, col: str) -> str:
    if col in ("dtype", "shape"):
        a, b = getattr(rec, f"{col}_a"), getattr(rec, f"{col}_b")
        return esc(a if a == b else f"{a} / {b}")
    if col in ("nan", "inf"):
        return f"{getattr(rec, col + '_a')}/{getattr(rec, col + '_b')}"
    if col == "status":
        return _status(rec.status)
    v = getattr(rec, col)
    return ("yes" if v else "no") if isinstance(v, bool) else _g(v)


def _table(head: list[str], rows: Iterable[list[str]], left: tuple[int, ...] = (0,)) -> str:
    """A table of HTML cells: ``head``, then ``rows``; the columns ``left`` aligned left."""

    def tr(cells: list[str], tag: str) -> str:
        k = ' class="k"'
        return "".join(f"<{tag}{k * (i in left)}>{c}</{tag}>" for i, c in enumerate(cells))

    body = "".join(f"<tr>{tr(r, 'td')}</tr>" for r in rows)
    return f"<table><tr>{tr(head, 'th')}</tr>{body}</table>"


def _small(text: str) -> str:
    return f" <small>({esc(text)})</small>" if text else ""


def _status(status: str) -> str:
    return f'<span class="{esc(status)}">{esc(status)}</span>'


def _signature_html(report: Any, plots: bool) -> list[str]:
    stateful = "; stateful: v1 and v2 compared as call sequences from a fresh state"
    out = [
        f'<h2>{esc(report.name)}: <span class="{report.status}">{esc(report.verdict)}</span></h2>',
        f"<p>{report.batches} batches; atol {report.atol:g}, rtol {report.rtol:g}"
        + stateful * report.stateful
        + "</p>",
    ]
    if report.nondeterministic or report.remedy:
        ops = ", ".join(report.random_ops) or "-"
        out.append(f"<p>Nondeterministic in v1 (random ops: <code>{esc(ops)}</code>).</p>")
    if report.remedy:
        out.append(f"<p>Remedy applied: {esc(report.remedy)}</p>")
    out += [f"<p>{esc(note)}</p>" for note in report.notes]
    head = ["output", *(_HEADERS.get(col, col.replace("_", " ")) for col in _COLUMNS)]
    rows = [
        [esc(key) + _small(rec.reason), *(_cell(rec, col) for col in _COLUMNS)]
        for key, rec in report.outputs.items()
    ]
    out += [_table(head, rows), *examples_html(report)]
    if plots:
        for title, fig in report_figures(report).items():
            src = data_uri(figure_png_bytes(fig))
            out.append(f'<img alt="{esc(report.name)} {esc(title)}" src="{src}">')
    return out


def examples_html(report: Any) -> list[str]:
    """HTML lines for ``report.data`` and ``report.examples`` (``[]`` when absent): per output,
    examples differing, their max abs errors' quantiles and histogram, the worst side by side."""
    out: list[str] = []
    if d := report.data:
        secs = d.get("seconds", {})
        out.append(
            f"<p>Data: {d.get('examples', 0):,} examples from <code>{esc(d.get('source'))}</code>"
            f" in batches of {d.get('batch_size')}; {d.get('examples_per_second') or 0:,.0f} "
            f"examples/s (v1 {secs.get('v1', 0):.3g} s, v2 {secs.get('v2', 0):.3g} s, "
            f"total {secs.get('total', 0):.3g} s).</p>"
        )
    if not (examples := report.examples):
        return out
    quantiles = ("p50", "p90", "p99", "max")
    head = ["output", "examples", "differ", "p50 max abs", "p90", "p99", "max"]
    rows = [
        [esc(key) + _small(ex.reason), str(ex.examples), str(ex.failed)]
        + [_g(ex.quantiles.get(q)) for q in quantiles]
        for key, ex in examples.items()
    ]
    out += ["<h3>Per example</h3>", _table(head, rows)]
    for key, ex in examples.items():
        out.extend(_histogram_html(key, ex))
    head = ["index", "where", "max abs", "differ", "v1", "v2", "inputs"]
    for key, ex in ((k, ex) for k, ex in examples.items() if ex.worst):
        rows = [
            [str(w.index), esc(w.where), _g(w.max_abs), str(w.mismatches)]
            + [_values(w.a, w.shape), _values(w.b, w.shape), f"<small>{esc(w.inputs)}</small>"]
            for w in ex.worst
        ]
        out += [f"<h4>{esc(key)}: worst examples</h4>", _table(head, rows, (1, 4, 5, 6))]
    return out


def _values(values: list[Any], shape: list[int]) -> str:
    text = ", ".join(_g(v) if isinstance(v, float) else esc(repr(v)) for v in values)
    return f"[{text}{', …' if math.prod(shape) > len(values) else ''}]"


def _histogram_html(key: str, ex: Any) -> list[str]:
    """The examples' largest absolute errors as a bar table (``[]`` when none differ)."""
    if not ex.hist_counts:
        return []
    bins = [("0 (equal)", ex.hist_zeros)] if ex.hist_zeros else []
    edges = zip(ex.hist_edges, ex.hist_edges[1:], ex.hist_counts)
    bins += [(f"[{lo:.2g}, {hi:.2g})", n) for lo, hi, n in edges if n]
    top = max(n for _, n in bins)
    bar = "<div style='background:#6a8fd8;height:10px;width:{}px'></div>"
    rows = [[label, str(n), bar.format(max(1, round(200 * n / top)))] for label, n in bins]
    return [
        f"<h4>{esc(key)}: largest absolute error per example</h4>",
        _table(["error", "examples", ""], rows, (0, 2)),
    ]


def latency_rows(table: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """A :func:`~explorer.comparing.latency.latency_table` as a header and a text row per
    artifact: per batch the median ms, examples/s and the ratio to the v1 session."""
    arts = table.get("artifacts", {})
    batches = sorted({int(b) for cells in arts.values() for b in cells})
    base = arts.get(V1_SESSION, {})
    header = ["artifact"]
    for b in batches:
        header += [f"batch {b} ms", f"batch {b} examples/s", f"batch {b} × v1"]
    rows = []
    for name, cells in arts.items():
        row = [name]
        for b in batches:
            cell, ref = cells.get(str(b), {}), base.get(str(b), {})
            if "ms" not in cell:
                row += [cell.get("error", "-"), "", ""]
                continue
            ratio = f"{cell['ms'] / ref['ms']:.2f}" if ref.get("ms") else "-"
            row += [f"{cell['ms']:.3f}", f"{cell['examples_per_second']:,.0f}", ratio]
        rows.append(row)
    return header, rows


def serve_line(table: Mapping[str, Any]) -> str:
    """Which proven artifact to serve (the fastest at the smallest batch timed), in one line."""
    arts = table.get("artifacts", {})
    said = []
    for b in sorted({int(b) for cells in arts.values() for b in cells}):
        timed = {n: c[str(b)]["ms"] for n, c in arts.items() if "ms" in c.get(str(b), {})}
        base = timed.pop(V1_SESSION, None)
        if timed:
            best = min(timed, key=timed.get)
            ratio = f", {timed[best] / base:.2f}x the v1 session" if base else ""
            said.append((best, b, f"({timed[best]:.3f} ms{ratio})"))
    if not said:
        return "Nothing to serve: no proven artifact was timed"
    (best, b, why), rest = said[0], "".join(f"; at batch {b}: {n} {w}" for n, b, w in said[1:])
    return f"Serve {best}: the fastest proven artifact at batch {b} {why}{rest}"


def latency_html(table: Mapping[str, Any]) -> list[str]:
    """The ``Which artifact to serve`` section: :func:`serve_line` and the latency table."""
    header, rows = latency_rows(table)
    return [
        "<h2>Which artifact to serve</h2>",
        f"<p><b>{esc(serve_line(table))}</b>. Median per-call latency of interleaved rounds on "
        "the same feeds, after warm-up calls.</p>",
        _table([esc(h) for h in header], [[esc(c) for c in row] for row in rows]),
    ]


def reference_html(reports: Mapping[str, Any]) -> list[str]:
    """The ``TensorFlow's drift from the reference`` section (``[]`` without a reference): this
    TensorFlow's own v1 runtime against the outputs the original runtime recorded."""
    out: list[str] = []
    for name, rep in reports.items():
        if not (ref := rep.reference):
            continue
        if not out:
            out += [
                "<h2>TensorFlow's drift from the reference</h2>",
                "<p>The parity above compares the converted artifact with the outputs the "
                "original runtime recorded; this table compares this TensorFlow's own v1 runtime "
                "with them. A difference here is TensorFlow's, not the conversion's.</p>",
            ]
        about = f"TensorFlow {ref.get('tf_version')}, Python {ref.get('python')}"
        sha = str(ref.get("feeds_sha256", ""))[:12]
        out.append(
            f"<h3>{esc(name)}</h3><p>Recorded by {esc(about)} in <code>{esc(ref.get('path'))}"
            f"</code> (feeds sha256 {esc(sha)}…).</p>"
        )
        rows = [
            [esc(key) + _small(d.get("reason")), _status(d.get("status")), _g(d.get("max_abs"))]
            for key, d in ref.get("drift", {}).items()
        ]
        out.append(_table(["output", "status", "max abs"], rows))
    return out


def to_html(
    result: Any,
    *,
    title: str = "tf1-explorer parity report",
    extra: Mapping[str, Any] | None = None,
    plots: bool = True,
) -> str:
    """A self-contained HTML page for a ``ParitySummary`` or ``ParityReport``, its JSON inside.
    ``extra``: section title -> JSON-ready object (``migrate``'s steps); ``plots``: embed the
    per-output figures."""
    reports = result.reports if hasattr(result, "reports") else {result.name: result}
    env = getattr(result, "environment", None) or numerics_environment()
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f'<h1>{esc(title)}: <span class="{result.status}">{esc(result.verdict)}</span></h1>',
        "<h3>Numerics environment</h3><table>",
    ]
    for k, v in env.items():
        parts.append(f'<tr><th class="k">{esc(k)}</th><td class="k">{esc(v)}</td></tr>')
    parts.append("</table>")
    for report in reports.values():
        parts.extend(_signature_html(report, plots))
    parts.extend(reference_html(reports))
    extra = dict(extra or {})
    payload = dict(result.to_json())
    payload.setdefault("environment", env)
    if latency := extra.get("latency"):  # migrate's step: a section of its own
        parts.extend(latency_html(latency))
        payload["which_to_serve"] = serve_line(latency)
    for name, obj in extra.items():
        if name != "latency" or not latency:
            text = json.dumps(obj, indent=2, default=str)
            parts.append(f"<h2>{esc(name)}</h2><pre>{html.escape(text)}</pre>")
    if extra:
        payload["extra"] = extra
    blob = json.dumps(payload, default=str).replace("</", "<\\/")
    parts.append(f'<script type="application/json" id="parity-json">{blob}</script>')
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(
    path: str | os.PathLike[str],
    result: Any,
    overwrite: bool = False,
    model: V1Model | None = None,
    **kwargs: Any,
) -> Path:
    """Write :func:`to_html` to ``path`` by the output policy (never in or above ``model``'s
    folder; an existing file only with ``overwrite``); returns the path."""
    text = to_html(result, **kwargs)
    return write_file(path, lambda f: f.write(text.encode()), model, overwrite, "the report")


def write_json(
    path: str | os.PathLike[str], obj: Any, overwrite: bool = False, model: V1Model | None = None
) -> Path:
    """Write ``obj.to_json()`` (or ``obj`` itself) as indented JSON to ``path``."""
    data = obj.to_json() if hasattr(obj, "to_json") else obj
    text = json.dumps(data, indent=2, default=str) + "\n"
    return write_file(path, lambda f: f.write(text.encode()), model, overwrite, "the report")


def read_embedded_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON embedded in an HTML report written by :func:`write_html`."""
    text = Path(path).read_text(encoding="utf-8")
    start = text.index('id="parity-json">') + len('id="parity-json">')
    end = text.index("</script>", start)
    return json.loads(text[start:end].replace("<\\/", "</"))
