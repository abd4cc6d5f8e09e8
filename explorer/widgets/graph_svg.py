"""Draw an op's neighbourhood as SVG: a layered top-to-bottom layout computed here (no graphviz).

Pure Python, no ipywidgets or matplotlib: :func:`layered_layout` places nodes, :func:`render_svg`
turns them into an SVG string that an ``HTML`` widget (or ``IPython.display.SVG``) shows. Nodes can
be coloured by a value (ParityView colours ops by their error against the v1 run).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

NODE_W = 168  # px
NODE_H = 38  # px
GAP_X = 24  # px between nodes of a layer
GAP_Y = 34  # px between layers
MARGIN = 12  # px

SELECTED = "#1f6feb"
PLAIN = "#f4f6f8"
MISSING = "#d0d7de"


@dataclass(frozen=True)
class Placed:
    """A node placed by :func:`layered_layout`: name, op type, layer (row), x and y (px)."""

    name: str
    op: str
    layer: int
    x: float
    y: float


def layered_layout(
    nodes: Sequence[tuple[str, str]], edges: Iterable[tuple[str, str]]
) -> tuple[list[Placed], float, float]:
    """Place ``nodes`` ((name, op type) pairs) in layers so that edges (src, dst) point down.

    A node's layer is the longest path to it from a node without inputs in the subgraph (cycles
    are broken where found); nodes in a layer are ordered by the mean position of their inputs,
    which keeps edges short. Returns the placed nodes and the drawing's width and height in px.
    """
    names = [n for n, _ in nodes]
    op_of = dict(nodes)
    known = set(names)
    preds: dict[str, list[str]] = {n: [] for n in names}
    succs: dict[str, list[str]] = {n: [] for n in names}
    for a, b in edges:
        if a in known and b in known and a != b and a not in preds[b]:
            preds[b].append(a)
            succs[a].append(b)
    layer: dict[str, int] = {}
    indeg = {n: len(preds[n]) for n in names}
    ready = [n for n in names if indeg[n] == 0]
    while len(layer) < len(names):
        if not ready:  # a cycle: start from the first unplaced node
            ready = [next(n for n in names if n not in layer)]
        n = ready.pop(0)
        if n in layer:
            continue
        layer[n] = max((layer[p] + 1 for p in preds[n] if p in layer), default=0)
        for s in succs[n]:
            indeg[s] -= 1
            if indeg[s] == 0 and s not in layer:
                ready.append(s)
    rows: dict[int, list[str]] = {}
    for n in names:
        rows.setdefault(layer[n], []).append(n)
    pos: dict[str, float] = {}
    for li in sorted(rows):
        row = rows[li]
        if li > 0:
            row.sort(
                key=lambda n: (
                    sum(pos[p] for p in preds[n] if p in pos) / max(1, len(preds[n]))
                    if any(p in pos for p in preds[n])
                    else math.inf
                )
            )
        for i, n in enumerate(row):
            pos[n] = float(i)
    widest = max((len(r) for r in rows.values()), default=0)
    width = MARGIN * 2 + widest * NODE_W + max(0, widest - 1) * GAP_X
    height = MARGIN * 2 + len(rows) * NODE_H + max(0, len(rows) - 1) * GAP_Y
    placed = []
    for li in sorted(rows):
        row = rows[li]
        row_w = len(row) * NODE_W + (len(row) - 1) * GAP_X
        x0 = (width - row_w) / 2
        for i, n in enumerate(row):
            placed.append(
                Placed(n, op_of[n], li, x0 + i * (NODE_W + GAP_X), MARGIN + li * (NODE_H + GAP_Y))
            )
    return placed, float(width), float(height)


def error_colour(value: float | None, worst: float) -> str:
    """Fill colour for an error ``value``: green (0) through yellow to red (``worst``) on a log
    scale from 1e-8; grey when ``value`` is ``None`` (not measured) and red for NaN."""
    if value is None:
        return MISSING
    if value != value:  # NaN
        return "#d1242f"
    lo = 1e-8
    top = max(worst, lo * 10)
    t = 0.0 if value <= lo else min(1.0, math.log10(value / lo) / math.log10(top / lo))
    # green (46,160,67) -> yellow (212,167,44) -> red (209,36,47)
    if t < 0.5:
        a, b, u = (46, 160, 67), (212, 167, 44), t * 2
    else:
        a, b, u = (212, 167, 44), (209, 36, 47), (t - 0.5) * 2
    r, g, bl = (round(x + (y - x) * u) for x, y in zip(a, b))
    return f"#{r:02x}{g:02x}{bl:02x}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]


def render_svg(
    nodes: Sequence[tuple[str, str]],
    edges: Iterable[tuple[str, str]],
    selected: str | None = None,
    values: Mapping[str, float | None] | None = None,
    title: str = "",
) -> str:
    """An SVG drawing of the subgraph: boxes with op name and type, arrows for edges.

    ``selected`` is outlined in blue; with ``values`` (op name -> error) boxes are filled by
    :func:`error_colour` and the value is printed under the op type. Each box carries a
    ``<title>`` with the full name so hovering shows it.
    """
    edges = list(edges)
    placed, width, height = layered_layout(nodes, edges)
    at = {p.name: p for p in placed}
    worst = max((v for v in (values or {}).values() if v is not None and v == v), default=0.0)
    top = 22 if title else 0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tf1x-graph" width="{width:.0f}" '
        f'height="{height + top:.0f}" viewBox="0 0 {width:.0f} {height + top:.0f}" '
        'font-family="sans-serif" font-size="11">',
        '<defs><marker id="tf1x-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker>'
        "</defs>",
    ]
    if title:
        out.append(f'<text x="{MARGIN}" y="15" font-weight="bold">{html.escape(title)}</text>')
    seen = set()
    for a, b in edges:
        if a not in at or b not in at or (a, b) in seen or a == b:
            continue
        seen.add((a, b))
        pa, pb = at[a], at[b]
        x1, y1 = pa.x + NODE_W / 2, pa.y + NODE_H + top
        x2, y2 = pb.x + NODE_W / 2, pb.y + top
        if pb.layer <= pa.layer:  # back edge of a cycle: route it along the side
            y1, y2 = pa.y + NODE_H / 2 + top, pb.y + NODE_H / 2 + top
        mid = (y1 + y2) / 2
        out.append(
            f'<path d="M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}"'
            ' fill="none" stroke="#57606a" stroke-width="1.2" marker-end="url(#tf1x-arrow)"/>'
        )
    for p in placed:
        value = (values or {}).get(p.name) if values is not None else None
        fill = error_colour(value, worst) if values is not None else PLAIN
        stroke, sw = (SELECTED, 3) if p.name == selected else ("#8c959f", 1)
        text_fill = "#ffffff" if values is not None and value is not None else "#1f2328"
        y = p.y + top
        label = html.escape(_short(p.name, 26))
        sub = html.escape(_short(p.op, 18))
        if values is not None and value is not None:
            sub += f" · {value:.1e}"
        out.append(
            f'<g class="tf1x-node" data-name="{html.escape(p.name)}">'
            f"<title>{html.escape(p.name)} ({html.escape(p.op)})</title>"
            f'<rect x="{p.x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>'
            f'<text x="{p.x + NODE_W / 2:.1f}" y="{y + 15:.1f}" text-anchor="middle" '
            f'fill="{text_fill}">{label}</text>'
            f'<text x="{p.x + NODE_W / 2:.1f}" y="{y + 30:.1f}" text-anchor="middle" '
            f'fill="{text_fill}" font-style="italic">{sub}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)
