"""State objects behind the browse and pick views: :class:`BrowserState`, :class:`PickerState`.

No ipywidgets here: the logic is tested without a front end, and ``.widget`` builds the view on
first access. Fields listed in ``FIELDS`` notify observers when they change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ._observable import Change, Observable

SEARCH_MODES = ("auto", "substring", "glob", "regex")
RESULT_CAP = 5000  # matches kept per search; more means "refine the search"
PAGE_SIZE = 50  # table rows per page


def _fmt_shape(shape: Any) -> str:
    if shape is None:
        return "?"
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def _model_and_catalog(source: Any) -> tuple[Any, Any]:
    """(model or None, catalog) from a V1Model, a Catalog, or a path to load."""
    from ..catalog import Catalog

    if isinstance(source, Catalog):
        return None, source
    if not hasattr(source, "catalog"):
        from ..loader import load

        source = load(source)
    return source, source.catalog()


class BrowserState(Observable):
    """What the TensorBrowser shows: a search over a model's ops, a page of it, one selected op.

    Fields (observable): ``query`` (text), ``mode`` (``auto``: the catalog's rules, substring
    unless the text holds ``*?[``; ``substring``; ``glob`` over the whole name; ``regex``),
    ``op_type`` and ``dtype`` filters (``""`` = any), ``page`` (0-based), ``selected`` (op name or
    ``None``), ``hops`` (neighbourhood radius), ``results`` (matching op names, graph order, at
    most ``RESULT_CAP``), ``error`` (the last search error, ``""`` when fine).

    Args:
        source: a ``V1Model``, a ``Catalog``, or a path for ``explorer.load``.
        page_size: rows per page.
    """

    FIELDS = ("query", "mode", "op_type", "dtype", "page", "selected", "hops", "results", "error")
    WIDGET = "browser:TensorBrowser"

    def __init__(self, source: Any, page_size: int = PAGE_SIZE) -> None:
        super().__init__()
        self.model, self.catalog = _model_and_catalog(source)
        self.page_size = page_size
        self.query = ""
        self.mode = "auto"
        self.op_type = ""
        self.dtype = ""
        self.page = 0
        self.selected: str | None = None
        self.hops = 2
        self.error = ""
        self.truncated = False
        self.results: list[str] = list(self.catalog.names)
        self.observe(self._refilter, ("query", "mode", "op_type", "dtype"))

    # -- search ----------

    def search_text(self) -> str:
        """The text given to ``Catalog.search`` for the current query and mode."""
        q = self.query.strip()
        if not q or self.mode == "auto":
            return q
        if self.mode == "regex":
            return f"re:{q}"
        if self.mode == "substring":
            return f"re:(?i){re.escape(q)}" if any(c in q for c in "*?[") else q
        if self.mode == "glob":
            return q if any(c in q for c in "*?[") else f"re:(?i)^{re.escape(q)}$"
        raise ValueError(f"unknown search mode {self.mode!r}: choose one of {SEARCH_MODES}")

    def _refilter(self, change: Change | None = None) -> None:
        if self.mode not in SEARCH_MODES:
            raise ValueError(f"unknown search mode {self.mode!r}: choose one of {SEARCH_MODES}")
        text = self.search_text()
        if not text and not self.op_type and not self.dtype:
            names, self.truncated = list(self.catalog.names), False
        else:
            try:
                found = self.catalog.search(
                    text,
                    op_type=self.op_type or None,
                    dtype=self.dtype or None,
                    limit=RESULT_CAP + 1,
                )
            except (re.error, ValueError) as e:
                self.error = f"bad {self.mode} pattern {self.query!r}: {e}"
                return
            names = [o.name for o in found[:RESULT_CAP]]
            self.truncated = len(found) > RESULT_CAP
        self.error = ""
        self.page = 0
        self.results = names

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.results) // self.page_size))

    def next_page(self) -> None:
        """Show the next page (stays on the last one)."""
        self.page = min(self.page + 1, self.page_count - 1)

    def prev_page(self) -> None:
        """Show the previous page (stays on the first one)."""
        self.page = max(self.page - 1, 0)

    def page_rows(self) -> list[dict[str, Any]]:
        """The current page: one dict per op with ``name, op, dtype, shape, consumers``.

        ``dtype``/``shape`` describe output 0 (``+N`` more outputs noted); ``consumers`` counts the
        ops reading any output. Only this page's ops are looked up, whatever the graph's size.
        """
        start = self.page * self.page_size
        rows = []
        for name in self.results[start : start + self.page_size]:
            op = self.catalog.op(name)
            dtype, shape = "", ""
            if op.outputs:
                t = self.catalog.tensor(op.outputs[0])
                dtype, shape = t.dtype, _fmt_shape(t.shape)
                if len(op.outputs) > 1:
                    dtype += f" (+{len(op.outputs) - 1})"
            rows.append(
                {
                    "name": name,
                    "op": op.type,
                    "dtype": dtype,
                    "shape": shape,
                    "consumers": len(op.consumers),
                }
            )
        return rows

    def summary(self) -> str:
        """``"12 of 1,337 ops · page 1/1"`` (``5000+`` when the search was capped)."""
        n = f"{len(self.results):,}" + ("+" if self.truncated else "")
        return f"{n} of {len(self.catalog):,} ops · page {self.page + 1}/{self.page_count}"

    # -- selection ----------

    def select(self, name: str | None) -> None:
        """Select an op (``op`` or ``op:idx``; ``None`` clears); raises ``TensorNotFoundError``."""
        if name is None or name == "":
            self.selected = None
            return
        self.selected = self.catalog.op(name).name

    def detail(self) -> dict[str, Any] | None:
        """The selected op: ``name, op, scope, device, attrs, inputs, outputs, consumers,
        control_inputs`` (outputs as ``{name, dtype, shape}``), or ``None`` when none is."""
        if self.selected is None:
            return None
        op = self.catalog.op(self.selected)
        outs = [self.catalog.tensor(t) for t in op.outputs]
        return {
            "name": op.name,
            "op": op.type,
            "scope": op.scope,
            "device": op.device,
            "attrs": op.attrs,
            "inputs": list(op.inputs),
            "control_inputs": list(op.control_inputs),
            "outputs": [
                {"name": t.name, "dtype": t.dtype, "shape": _fmt_shape(t.shape)} for t in outs
            ],
            "consumers": list(op.consumers),
        }

    def neighbours(self) -> list[str]:
        """Ops one hop away from the selection (inputs first, then consumers), for click-through."""
        if self.selected is None:
            return []
        op = self.catalog.op(self.selected)
        seen: dict[str, None] = {}
        for t in op.inputs:
            seen[t.partition(":")[0]] = None
        for c in op.control_inputs:
            seen[c] = None
        for c in list(op.consumers) + list(op.control_consumers):
            seen[c] = None
        seen.pop(op.name, None)
        return list(seen)

    def neighbourhood(self) -> Any:
        """``Catalog.neighbours`` of the selection, ``hops`` up and down (``None`` without one)."""
        if self.selected is None:
            return None
        return self.catalog.neighbours(self.selected, up=self.hops, down=self.hops, limit=60)

    def neighbourhood_svg(self, values: dict[str, float | None] | None = None) -> str:
        """The selection's neighbourhood drawn as SVG (``""`` without a selection)."""
        from .graph_svg import render_svg

        sub = self.neighbourhood()
        if sub is None:
            return ""
        return render_svg(
            [(n.name, n.type) for n in sub.nodes],
            [(e.src, e.dst) for e in sub.edges],
            selected=sub.center,
            values=values,
            title=f"{sub.center}: {self.hops} hop(s) up and down",
        )

    def code(self) -> str:
        """The explorer API calls that reproduce this view."""
        src = self.catalog.source
        lines = [
            "import explorer",
            "",
            f"model = explorer.load({src!r})",
            "catalog = model.catalog()",
        ]
        args = [repr(self.search_text())]
        if self.op_type:
            args.append(f"op_type={self.op_type!r}")
        if self.dtype:
            args.append(f"dtype={self.dtype!r}")
        lines.append(f"ops = catalog.search({', '.join(args)})")
        if self.selected is not None:
            lines.append(f"op = catalog.op({self.selected!r})")
            lines.append(f"sub = catalog.neighbours(op.name, up={self.hops}, down={self.hops})")
        return "\n".join(lines)


@dataclass(frozen=True)
class Selection:
    """What to run: a signature name, or input and output tensor names (``op:idx``).

    The value an :class:`IOPicker` produces and the runner, converter and parity states take.
    """

    signature: str | None = None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``V1Runner``/``explorer.convert``: ``signature=`` or
        ``inputs=``/``outputs=``; empty for the model's default."""
        if self.signature is not None:
            return {"signature": self.signature}
        if self.outputs:
            return {"inputs": list(self.inputs), "outputs": list(self.outputs)}
        return {}

    def code_args(self) -> str:
        """The same as Python source, e.g. ``signature='serving_default'``."""
        return ", ".join(f"{k}={v!r}" for k, v in self.kwargs().items())


def _tensor_names(spec: Any) -> list[str]:
    """Graph tensor names behind a signature ``TensorSpec`` (a sparse one has three)."""
    if spec.kind == "dense":
        return [spec.name] if spec.name else []
    return [c for c in spec.components if c]


class PickerState(Observable):
    """Which tensors to feed and fetch: ranked suggestions, a signature preset or a custom choice.

    Fields: ``signature`` (the preset in use, ``None`` for a custom choice), ``inputs`` and
    ``outputs`` (tensor names ``op:idx``, tuples), ``validation`` (the
    ``explorer.suggester.Validation`` of the current choice) and ``message`` (its one line).
    Editing inputs or outputs makes the choice custom. :attr:`value` is the choice as a
    :class:`Selection`.

    Args:
        source: a ``V1Model`` or a path for ``explorer.load``.
        limit: suggestions kept per side.
    """

    FIELDS = ("signature", "inputs", "outputs", "validation", "message")
    WIDGET = "picker:IOPicker"

    def __init__(self, source: Any, limit: int = 20) -> None:
        from ..suggester import suggest

        super().__init__()
        self.model, self.catalog = _model_and_catalog(source)
        if self.model is None:
            raise TypeError("PickerState needs a model (V1Model or path), not a bare Catalog")
        self.choice = suggest(self.model, limit=limit)
        self.signature: str | None = None
        self.inputs: tuple[str, ...] = ()
        self.outputs: tuple[str, ...] = ()
        self.validation: Any = None
        self.message = ""
        self._presetting = False
        self.observe(self._changed, ("inputs", "outputs"))
        if self.model.signatures:
            self.apply_preset(
                self.model.signature(None).name
                if self._has_default()
                else next(iter(self.model.signatures))
            )
        elif self.choice.outputs:
            best = self.choice.outputs[0].name
            needed = self.choice.validate([], [best]).missing
            self._set_choice(tuple(self._canon(n) for n in needed), (best,))

    def _has_default(self) -> bool:
        sigs = self.model.signatures
        return "serving_default" in sigs or len(sigs) == 1

    @property
    def presets(self) -> list[str]:
        """Signature names of the model (each a preset)."""
        return list(self.model.signatures)

    @property
    def value(self) -> Selection:
        """The choice: the preset signature, or the chosen inputs and outputs."""
        if self.signature is not None:
            return Selection(signature=self.signature)
        return Selection(inputs=self.inputs, outputs=self.outputs)

    def _canon(self, name: str) -> str:
        return self.catalog.tensor(name.strip()).name

    def _set_choice(self, inputs: tuple[str, ...], outputs: tuple[str, ...]) -> None:
        self.inputs = inputs
        self.outputs = outputs
        self._changed()

    def _changed(self, change: Change | None = None) -> None:
        if change is not None and not self._presetting:
            self.signature = None
        if not self.outputs:
            self.validation = None
            self.message = "choose at least one output"
            return
        dense_in = [n for n in self.inputs if n]
        self.validation = self.choice.validate(dense_in, self.outputs)
        self.message = self.validation.message

    def apply_preset(self, name: str | None) -> None:
        """Use a signature's inputs and outputs (``None`` or ``""``: keep the tensors, custom)."""
        if not name:
            self.signature = None
            return
        sig = self.model.signature(name)
        self._presetting = True
        try:
            self.inputs = tuple(t for s in sig.inputs.values() for t in _tensor_names(s))
            self.outputs = tuple(t for s in sig.outputs.values() for t in _tensor_names(s))
            self._changed()
        finally:
            self._presetting = False
        self.signature = sig.name

    def add_input(self, name: str) -> None:
        """Feed tensor ``name`` too; raises ``TensorNotFoundError`` for an unknown name."""
        t = self._canon(name)
        if t not in self.inputs:
            self.inputs = (*self.inputs, t)

    def remove_input(self, name: str) -> None:
        """Stop feeding ``name``."""
        t = self._canon(name)
        self.inputs = tuple(n for n in self.inputs if n != t)

    def add_output(self, name: str) -> None:
        """Fetch tensor ``name`` too; raises ``TensorNotFoundError`` for an unknown name."""
        t = self._canon(name)
        if t not in self.outputs:
            self.outputs = (*self.outputs, t)

    def remove_output(self, name: str) -> None:
        """Stop fetching ``name``."""
        t = self._canon(name)
        self.outputs = tuple(n for n in self.outputs if n != t)

    def code(self) -> str:
        """The explorer API calls that reproduce this choice and check it."""
        lines = [
            "import explorer",
            "",
            f"model = explorer.load({str(self.model.path)!r})",
            "choice = explorer.suggest(model)",
        ]
        if self.signature is not None:
            lines.append(f"sig = model.signature({self.signature!r})")
        else:
            lines.append(f"check = choice.validate({list(self.inputs)!r}, {list(self.outputs)!r})")
        lines.append(f"runner = explorer.V1Runner(model, {self.value.code_args()})")
        return "\n".join(lines)
