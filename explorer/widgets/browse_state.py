"""State behind the browse view (plain Python): :class:`BrowserState` searches and pages ops."""

from __future__ import annotations

import re
from os import PathLike
from typing import TYPE_CHECKING, Any

from explorer.graph.names import op_name, shape_text
from explorer.inspection.catalog import Catalog
from explorer.widgets._observable import Change, Observable, model_and_catalog, script
from explorer.widgets.graph_svg import subgraph_svg

if TYPE_CHECKING:
    from explorer.loading.model import V1Model

SEARCH_MODES = ("auto", "substring", "glob", "regex")
RESULT_CAP = 1000  # matches kept per search (20 pages); more means "refine the search"
PAGE_SIZE = 50  # table rows per page


class BrowserState(Observable):
    """A search over the ops of ``source`` (``V1Model``, ``Catalog`` or path), a page of it, one
    selected op. ``op_type``/``dtype``: ``""`` for any; ``page``: 0-based; ``results``: at most
    ``RESULT_CAP`` op names (exact, then prefix matches, then graph order)."""

    FIELDS = ("query", "mode", "op_type", "dtype", "page", "selected", "hops", "results", "error")
    WIDGET = "TensorBrowser"

    def __init__(
        self, source: V1Model | Catalog | str | PathLike[str], page_size: int = PAGE_SIZE
    ) -> None:
        super().__init__()
        self.model, self.catalog = model_and_catalog(source)
        self.page_size = page_size
        self.query, self.mode, self.op_type, self.dtype = "", "auto", "", ""
        self.page, self.hops = 0, 2
        self.selected: str | None = None
        self.error, self.truncated = "", False
        self.results: list[str] = list(self.catalog.names)
        self.observe(self._refilter, ("query", "mode", "op_type", "dtype"))

    def _check_mode(self, mode: str) -> str:
        if mode not in SEARCH_MODES:
            raise ValueError(f"unknown search mode {mode!r}: choose one of {SEARCH_MODES}")
        return mode

    def search_text(self) -> str:
        """The text given to ``Catalog.search`` for the current query and mode."""
        q = self.query.strip()
        wild = any(c in q for c in "*?[")
        if not q or self.mode == "auto":
            return q
        if self.mode == "regex":
            return f"re:{q}"
        if self.mode == "substring":
            return f"re:(?i){re.escape(q)}" if wild else q
        return q if wild else f"re:(?i)^{re.escape(q)}$"  # glob

    def _refilter(self, change: Change | None = None) -> None:
        text = self.search_text()
        if not text and not self.op_type and not self.dtype:
            names, self.truncated = list(self.catalog.names), False
        else:
            try:  # one more than the cap: whether it was capped
                found = self.catalog.search_names(text, **self.search_kwargs(RESULT_CAP + 1))
            except (re.error, ValueError) as e:
                self.error = f"bad {self.mode} pattern {self.query!r}: {e}"
                return
            names, self.truncated = found[:RESULT_CAP], len(found) > RESULT_CAP
        self.error, self.page, self.results = "", 0, names

    def search_kwargs(self, limit: int = RESULT_CAP) -> dict[str, Any]:
        """The keywords of the ``Catalog.search`` the table shows, as show-code writes them."""
        filters = {"op_type": self.op_type or None, "dtype": self.dtype or None}
        return filters | {"limit": limit, "ranked": True}  # exact and prefix matches first

    def empty_message(self) -> str:
        """The line shown instead of an empty table, the query quoted as typed (``""``: a match)."""
        if self.results or self.error:
            return ""
        filters = [f"op type {self.op_type}" if self.op_type else "", self.dtype]
        where = " and ".join(f for f in filters if f)
        if not self.query.strip():
            return f"no op has {where}"
        also = f" with {where}" if where else ""
        wild = "*" in self.query or self.mode == "regex"
        hint = "" if wild else f" (a glob: *{self.query.strip()}*)"
        return f"no op matches {self.query!r} ({self.mode}){also}: try a shorter text{hint}"

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.results) // self.page_size))

    def next_page(self) -> None:  # stays on the last page
        self.page = min(self.page + 1, self.page_count - 1)

    def prev_page(self) -> None:  # stays on the first page
        self.page = max(self.page - 1, 0)

    def page_rows(self) -> list[dict[str, str | int]]:
        """This page's ``name, op, dtype, shape, consumers`` (output 0; ``+N`` more noted)."""
        start = self.page * self.page_size
        rows = []
        for name in self.results[start : start + self.page_size]:
            op = self.catalog.op(name)
            dtype = shape = ""
            if op.outputs:
                t = self.catalog.tensor(op.outputs[0])
                dtype, shape = t.dtype, shape_text(t.shape)
                if len(op.outputs) > 1:
                    dtype += f" (+{len(op.outputs) - 1})"
            row = {"name": name, "op": op.type, "dtype": dtype, "shape": shape}
            rows.append(row | {"consumers": len(op.consumers)})
        return rows

    def summary(self) -> str:
        """``"12 of 1,337 ops · page 1/1"`` (``5000+`` when the search was capped)."""
        n = f"{len(self.results):,}" + ("+" if self.truncated else "")
        return f"{n} of {len(self.catalog):,} ops · page {self.page + 1}/{self.page_count}"

    def select(self, name: str | None) -> None:
        """Select an op (``op``/``op:idx``; ``None`` clears) and turn to its page of the results."""
        self.selected = self.catalog.op(name).name if name else None
        if self.selected in self.results:
            self.page = self.results.index(self.selected) // self.page_size

    def detail(self) -> dict[str, object] | None:
        """The selected op's name, type, scope, device, attrs, inputs, outputs, consumers."""
        if self.selected is None:
            return None
        op = self.catalog.op(self.selected)
        outs = [self.catalog.tensor(t) for t in op.outputs]
        outputs = [{"name": t.name, "dtype": t.dtype, "shape": shape_text(t.shape)} for t in outs]
        d = dict(name=op.name, op=op.type, scope=op.scope, device=op.device, attrs=op.attrs)
        d |= dict(inputs=list(op.inputs), control_inputs=list(op.control_inputs))
        return d | dict(outputs=outputs, consumers=list(op.consumers))

    def neighbours(self) -> list[str]:
        """Ops one hop away from the selection (inputs first, then consumers), for click-through."""
        if self.selected is None:
            return []
        op = self.catalog.op(self.selected)
        inputs = [op_name(t) for t in op.inputs]
        both = [*inputs, *op.control_inputs, *op.consumers, *op.control_consumers]
        return [n for n in dict.fromkeys(both) if n != op.name]

    def neighbourhood_svg(self) -> str:
        """The selection's neighbourhood, ``hops`` up and down, as SVG (``""`` without one)."""
        if self.selected is None:
            return ""
        sub = self.catalog.neighbours(self.selected, up=self.hops, down=self.hops, limit=60)
        return subgraph_svg(sub, f"{sub.center}: {self.hops} hop(s) up and down")

    def code(self) -> str:  # the explorer API calls that reproduce this view
        lines = ["catalog = explorer.Catalog.from_model(model)"]
        given = self.search_kwargs().items()
        args = [repr(self.search_text()), *(f"{k}={v!r}" for k, v in given if v is not None)]
        lines.append(f"ops = catalog.search({', '.join(args)})")
        if self.selected is not None:
            lines.append(f"op = catalog.op({self.selected!r})")
            lines.append(f"sub = catalog.neighbours(op.name, up={self.hops}, down={self.hops})")
        return script(self.catalog.source, lines)
