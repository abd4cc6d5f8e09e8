"""An op's neighbourhood as SVG in pure Python (layered layout, wide layers folded)."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from explorer.inspection.catalog import Subgraph
from explorer.reporting.html import data_uri, esc
from explorer.reporting.plots import middle_cut

NODE_W, NODE_H = 168, 38  # px
GAP_X, GAP_Y, MARGIN = 24, 34, 12  # px: between the boxes of a layer, between layers, around
MAX_PER_LAYER = 6  # boxes per layer; the rest of a wider layer is one "+k more" box
MORE = "+more"  # op type of a "+k more" box
TOOLTIP_NAMES = 60  # names listed in a "+k more" box's tooltip (a neighbourhood has at most 60)
CHAR_W = 6.6  # px: the widest a character of the 11 px font averages (bold), to fit texts

# box outlines and fills: selected, plain, no value measured, a "+k more" box
SELECTED, PLAIN, MISSING, MORE_FILL = "#1f6feb", "#f4f6f8", "#d0d7de", "#ffffff"


@dataclass(frozen=True)
class Placed:
    """A node placed by :func:`layered_layout`: name, op type, layer (row), x and y (px)."""

    name: str
    op: str
    layer: int
    x: float
    y: float


Links = dict[str, list[str]]


class Drawing(str):
    """An SVG (a ``str``) shown with an ``<img>`` copy: untrusted notebooks show no SVG."""

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict:
        uri = data_uri(self.encode(), "image/svg+xml")
        img = f'<img src="{uri}" alt="graph drawing" style="max-width:100%">'
        return {"image/svg+xml": str(self), "text/html": img, "text/plain": "graph drawing"}

    def _repr_pretty_(self, p: object, cycle: bool) -> None:  # else IPython prints the str
        p.text("graph drawing")  # type: ignore[attr-defined]


def _layers(
    names: Sequence[str], edges: Iterable[tuple[str, str]]
) -> tuple[dict[int, list[str]], Links, Links]:
    """Layer -> names (its longest path from a source; cycles broken), inputs, consumers."""
    preds: Links = {n: [] for n in names}
    succs: Links = {n: [] for n in names}
    for a, b in edges:
        if a in preds and b in preds and a != b and a not in preds[b]:
            preds[b].append(a)
            succs[a].append(b)
    layer: dict[str, int] = {}
    indeg = {n: len(preds[n]) for n in names}
    ready = [n for n in names if indeg[n] == 0]
    while len(layer) < len(names):
        if not ready:  # a cycle: start from the first unplaced node
            ready = [next(n for n in names if n not in layer)]
        n = ready.pop(0)  # never placed yet: a node is ready once
        layer[n] = max((layer[p] + 1 for p in preds[n] if p in layer), default=0)
        for s in succs[n]:
            indeg[s] -= 1
            if indeg[s] == 0 and s not in layer:
                ready.append(s)
    rows: dict[int, list[str]] = {}
    for n in names:
        rows.setdefault(layer[n], []).append(n)
    return dict(sorted(rows.items())), preds, succs


def layered_layout(
    nodes: Sequence[tuple[str, str]], edges: Iterable[tuple[str, str]]
) -> tuple[list[Placed], float, float]:
    """Place ``nodes`` ((name, op type)) in layers, edges (src, dst) pointing down, a layer ordered
    by its nodes' inputs' mean position; returns the placed nodes, the width and height (px)."""
    op_of = dict(nodes)
    rows, preds, _ = _layers(list(op_of), edges)
    pos: dict[str, float] = {}
    for li, row in rows.items():
        if li > 0:
            known = {n: [pos[p] for p in preds[n] if p in pos] for n in row}
            row.sort(key=lambda n: sum(known[n]) / max(1, len(preds[n])) if known[n] else math.inf)
        pos.update((n, float(i)) for i, n in enumerate(row))
    widest = max((len(r) for r in rows.values()), default=0)
    width = MARGIN * 2 + widest * NODE_W + max(0, widest - 1) * GAP_X
    height = MARGIN * 2 + len(rows) * NODE_H + max(0, len(rows) - 1) * GAP_Y
    placed = []
    for li, row in rows.items():
        x0 = (width - len(row) * NODE_W - (len(row) - 1) * GAP_X) / 2
        y = MARGIN + li * (NODE_H + GAP_Y)
        placed += [Placed(n, op_of[n], li, x0 + i * (NODE_W + GAP_X), y) for i, n in enumerate(row)]
    return placed, float(width), float(height)


def collapse(
    nodes: Sequence[tuple[str, str]],
    edges: Iterable[tuple[str, str]],
    keep: Iterable[str] = (),
    max_per_layer: int = MAX_PER_LAYER,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], dict[str, list[str]]]:
    """Fold every layer wider than ``max_per_layer`` into its first ``max_per_layer - 1`` nodes
    (``keep`` and its neighbours first, then the order given) and one "+k more" node for the
    rest, edges merged. Returns ``(nodes, edges, hidden)``: "+k more" node -> names it hides."""
    if max_per_layer < 2:
        raise ValueError(f"max_per_layer={max_per_layer}: keep at least 2 boxes per layer")
    edges, order = list(edges), {n: i for i, (n, _) in enumerate(nodes)}
    rows, preds, succs = _layers(list(order), edges)
    keep = [k for k in keep if k in order]
    near = set(keep) | {m for k in keep for m in preds[k] + succs[k]}
    alias: dict[str, str] = {}
    hidden: dict[str, list[str]] = {}
    for row in rows.values():
        if len(row) <= max_per_layer:
            continue
        ranked = sorted(row, key=lambda n: (n not in keep, n not in near, order[n]))
        rest = sorted(ranked[max_per_layer - 1 :], key=order.__getitem__)
        more = f"+{len(rest)} more"
        while more in order or more in hidden:  # a real op could be named so
            more += " "
        hidden[more] = rest
        alias.update(dict.fromkeys(rest, more))
    if not hidden:
        return list(nodes), edges, {}
    out_nodes = {alias.get(n, n): MORE if n in alias else op for n, op in nodes}
    moved = ((alias.get(a, a), alias.get(b, b)) for a, b in edges)
    out_edges = list(dict.fromkeys(e for e in moved if e[0] != e[1]))
    return list(out_nodes.items()), out_edges, hidden


def error_colour(value: float | None, worst: float) -> str:
    """Green (0) to red (``worst``) on a log scale from 1e-8; grey: ``None``, red: NaN."""
    if value is None:
        return MISSING
    if value != value:  # NaN
        return "#d1242f"
    lo, top = 1e-8, max(worst, 1e-7)
    t = 0.0 if value <= lo else min(1.0, math.log10(value / lo) / math.log10(top / lo))
    stops = ((46, 160, 67), (212, 167, 44), (209, 36, 47))  # green, yellow, red
    a, b, u = (*stops[:2], t * 2) if t < 0.5 else (*stops[1:], t * 2 - 1)
    r, g, bl = (round(x + (y - x) * u) for x, y in zip(a, b))
    return f"#{r:02x}{g:02x}{bl:02x}"


def _worst(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return None if not known else math.nan if any(v != v for v in known) else max(known)


def render_svg(
    nodes: Sequence[tuple[str, str]],
    edges: Iterable[tuple[str, str]],
    selected: str | None = None,
    values: Mapping[str, float | None] | None = None,
    title: str = "",
    max_per_layer: int = MAX_PER_LAYER,
) -> Drawing:
    """The subgraph as SVG, as wide as its ``title``: boxes with op name (cut in the middle),
    type and full name(s) on hover, wide layers folded (:func:`collapse`, keeping ``selected``,
    outlined in blue); ``values`` (op name -> error) fill and label boxes (a fold: its worst)."""
    nodes, edges, hidden = collapse(nodes, edges, [selected] if selected else [], max_per_layer)
    placed, drawn, height = layered_layout(nodes, edges)
    shown = middle_cut(title, 100)
    width = max(drawn, MARGIN * 2 + len(shown) * CHAR_W)
    top = 22 if title else 0
    placed = [replace(p, x=p.x + (width - drawn) / 2, y=p.y + top) for p in placed]
    at = {p.name: p for p in placed}
    if values is not None:
        values = dict(values)
        for more, names in hidden.items():
            values[more] = _worst(values.get(n) for n in names)
    worst = max((v for v in (values or {}).values() if v is not None and v == v), default=0.0)
    w, h = f"{width:.0f}", f"{height + top:.0f}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tf1x-graph" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" style="width:100%;max-width:{w}px;height:auto" '
        'font-family="sans-serif" font-size="11">',
        '<defs><marker id="tf1x-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#57606a"/></marker>'
        "</defs>",
    ]
    if title:
        out.append(
            f'<text x="{MARGIN}" y="15" font-weight="bold"><title>{esc(title)}</title>'
            f"{esc(shown)}</text>"
        )
    for a, b in dict.fromkeys(edges):
        if a not in at or b not in at or a == b:
            continue
        pa, pb = at[a], at[b]
        x1, y1, x2, y2 = pa.x + NODE_W / 2, pa.y + NODE_H, pb.x + NODE_W / 2, pb.y
        if pb.layer <= pa.layer:  # back edge of a cycle: route it along the side
            y1, y2 = pa.y + NODE_H / 2, pb.y + NODE_H / 2
        mid = (y1 + y2) / 2
        out.append(
            f'<path d="M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}"'
            ' fill="none" stroke="#57606a" stroke-width="1.2" marker-end="url(#tf1x-arrow)"/>'
        )
    out += [_box(p, selected, values, worst, hidden.get(p.name)) for p in placed]
    return Drawing("".join(out) + "</svg>")


def subgraph_svg(
    sub: Subgraph,
    title: str,
    values: Mapping[str, float | None] | None = None,
    selected: str | None = None,
) -> str:  # :func:`render_svg` of a ``Catalog`` subgraph (``selected``: its center by default)
    nodes, edges = [(n.name, n.type) for n in sub.nodes], [(e.src, e.dst) for e in sub.edges]
    return render_svg(nodes, edges, selected or sub.center, values, title)


def _box(
    p: Placed,
    selected: str | None,
    values: Mapping[str, float | None] | None,
    worst: float,
    stands_for: list[str] | None,
) -> str:
    value = values.get(p.name) if values is not None else None
    if stands_for is not None:
        listed = "\n".join(esc(n) for n in stands_for[:TOOLTIP_NAMES])
        if len(stands_for) > TOOLTIP_NAMES:
            listed += f"\n… and {len(stands_for) - TOOLTIP_NAMES} more"
        fill = error_colour(value, worst) if value is not None else MORE_FILL
        tip, label, sub = listed, p.name.strip(), "ops not drawn"
        attrs, stroke, dash = 'class="tf1x-node tf1x-more"', "#8c959f", ' stroke-dasharray="4 3"'
    else:
        fill = error_colour(value, worst) if values is not None else PLAIN
        tip, label, sub = esc(f"{p.name} ({p.op})"), middle_cut(p.name, 25), p.op
        attrs = f'class="tf1x-node" data-name="{html.escape(p.name)}"'
        stroke, dash = (SELECTED if p.name == selected else "#8c959f"), ""
    sw, text_fill = (3 if p.name == selected else 1), "#ffffff" if value is not None else "#1f2328"
    if value is not None:
        sub += f" · {value:.1e}"
    lines = []
    for dy, text, style in ((15, label, ""), (30, sub, ' font-style="italic"')):
        if len(text) * CHAR_W > NODE_W - 8:  # squeezed into the box, never cut
            style += f' textLength="{NODE_W - 8}" lengthAdjust="spacingAndGlyphs"'
        lines.append(
            f'<text x="{p.x + NODE_W / 2:.1f}" y="{p.y + dy:.1f}" text-anchor="middle" '
            f'fill="{text_fill}"{style}>{esc(text)}</text>'
        )
    return (
        f"<g {attrs}><title>{tip}</title>"
        f'<rect x="{p.x:.1f}" y="{p.y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="6" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{sw}"{dash}/>{"".join(lines)}</g>'
    )
