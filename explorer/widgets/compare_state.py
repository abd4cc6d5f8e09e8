"""State behind the compare view (plain Python): parity of a model with its TF2 conversion, and the
first divergence."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from explorer.comparing.records import Divergence, ParitySummary, Tolerance
from explorer.errors import ParityError
from explorer.graph.names import op_name
from explorer.inspection.catalog import Catalog
from explorer.loading.model import as_model
from explorer.reporting.plots import report_figures
from explorer.widgets._observable import Observable, script
from explorer.widgets.graph_svg import render_svg


class ParityState(Observable):
    """Parity of a model with its TF2 conversion, and where the two first diverge.

    Fields: ``v2`` (a ``V2Model`` or saved folder; ``None`` until converted), ``signature``
    (the one to compare, ``None`` for all), ``inputs``/``outputs`` (tensor names: with
    ``outputs`` and no ``signature``, that custom choice is compared, against a v2 converted
    with the same inputs/outputs), ``batches``, ``seed``, ``atol``, ``rtol`` (checked as a
    :class:`~explorer.comparing.records.Tolerance`: :attr:`tolerance`), ``summary`` (the
    ``ParitySummary`` of :meth:`run`), ``divergence`` (the ``Divergence`` of
    :meth:`find_divergence`), ``shown`` (the signature whose report is shown).

    With ``data`` (a path or ``explorer.data`` source of the user's records, ``limit`` records at
    most) :meth:`run` streams it instead of sampling; :meth:`worst_rows` lists the worst examples
    of the shown report and ``example`` (output key, source index) picks the one to show
    (:meth:`example_detail`).
    """

    SETTINGS = ("v2", "signature", "inputs", "outputs", "batches", "seed", "atol", "rtol")
    FIELDS = (*SETTINGS, "summary", "divergence", "shown", "data", "limit", "example")
    WIDGET = "ParityView"

    def __init__(
        self,
        model: Any,
        v2: Any = None,
        signature: str | None = None,
        inputs: tuple[str, ...] = (),
        outputs: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.model = as_model(model)
        self.v2, self.signature = v2, signature
        self.inputs, self.outputs = tuple(inputs), tuple(outputs)
        self.batches, self.seed = 2, 0
        self.atol, self.rtol = Tolerance().atol, Tolerance().rtol
        self.summary: ParitySummary | None = None
        self.divergence: Divergence | None = None
        self.shown: str | None = None
        self.data: Any = None  # a path or explorer.data source
        self.limit: int | None = None
        self.example: tuple[str, int] | None = None
        self.observe(self._stale, ("v2", "signature", "inputs", "outputs", "data", "limit"))

    def _check_atol(self, value: Any) -> float:
        return Tolerance(atol=value).atol  # ToleranceError (a ValueError) refuses it

    def _check_rtol(self, value: Any) -> float:
        return Tolerance(rtol=value).rtol

    @property
    def tolerance(self) -> Tolerance:
        return Tolerance(self.atol, self.rtol)

    def _stale(self, _: Any = None) -> None:
        self.summary = self.divergence = self.shown = self.example = None

    def _custom(self) -> dict[str, Any]:
        """``inputs=``/``outputs=`` keywords for a custom choice; ``{}`` for signatures."""
        if self.signature is None and self.outputs:
            return {"inputs": list(self.inputs), "outputs": list(self.outputs)}
        return {}

    def _v1_kwargs(self) -> dict[str, Any]:
        """``V1Runner``/``first_divergence`` keywords for the report shown."""
        custom = self._custom()
        if custom:
            return custom
        name = self.shown or self.signature
        return {"signature": name} if name in self.model.signatures else {}

    def _need_v2(self) -> Any:
        if self.v2 is None:
            raise ParityError("nothing to compare with yet: convert the model first")
        return self.v2

    def _source(self) -> Any:
        """``batches`` sampled batches, or ``data`` (at most ``limit`` records)."""
        from explorer.comparing.parity_check import Sampled
        from explorer.feeding.data.sources import data

        if self.data is None:
            return Sampled(self.batches, self.seed)
        source = copy.copy(data(self.data))
        source.limit = self.limit or source.limit
        return source

    def run(self) -> Any:
        """``explorer.parity`` on :meth:`_source`; returns the ``ParitySummary``."""
        from explorer.comparing.parity_check import parity

        self.summary = parity(
            self.model,
            self._need_v2(),
            None if self._custom() else self.signature,
            self._source(),
            tolerance=self.tolerance,
            **self._custom(),
        )
        self.shown = next(iter(self.summary.reports))
        return self.summary

    def find_divergence(self) -> Any:
        """``explorer.first_divergence`` on one sampled batch of the shown signature (or of the
        custom inputs/outputs)."""
        from explorer.comparing.divergence import first_divergence
        from explorer.running.v1_runner import V1Runner

        v2 = self._need_v2()
        kwargs = self._v1_kwargs()
        feeds = V1Runner(self.model, **kwargs).sample(batch=1, seed=self.seed)
        self.divergence = first_divergence(
            self.model, v2, feeds, tolerance=self.tolerance, **kwargs
        )
        return self.divergence

    def report(self) -> Any:
        """The ``ParityReport`` shown (``None`` before :meth:`run`)."""
        if self.summary is None or self.shown is None:
            return None
        return self.summary.reports[self.shown]

    def rows(self) -> list[dict[str, Any]]:
        """Per signature and output: ``signature, output, status, max_abs, max_rel, mismatch``."""
        if self.summary is None:
            return []
        return [
            {"signature": name, "output": key, "status": rec.status, "max_abs": rec.max_abs}
            | {"max_rel": rec.max_rel, "mismatch": rec.mismatch_fraction}
            for name, rep in self.summary.reports.items()
            for key, rec in rep.outputs.items()
        ]

    def worst_rows(self) -> list[dict[str, Any]]:
        """The worst examples of the shown report (run on ``data``), per output: ``output, index,
        where, max_abs, mismatches, inputs, v1, v2`` (``[]`` without per-example figures)."""
        rep = self.report()
        if rep is None:
            return []
        return [
            dict(output=key, index=w.index, where=w.where, max_abs=w.max_abs, inputs=w.inputs)
            | {"mismatches": w.mismatches, "v1": w.a, "v2": w.b}
            for key, ex in rep.examples.items()
            for w in ex.worst
        ]

    def example_detail(self) -> dict[str, Any] | None:
        """The :meth:`worst_rows` row that ``example`` picks (``None`` when none is picked)."""
        if self.example is None:
            return None
        key, index = self.example
        return next(
            (r for r in self.worst_rows() if r["output"] == key and r["index"] == index), None
        )

    def figures(self) -> dict[str, Any]:
        """``explorer.reporting.plots.report_figures`` of the shown report (``{}`` before a run)."""
        rep = self.report()
        return {} if rep is None else report_figures(rep)

    def op_errors(self) -> dict[str, float | None]:
        """Op name -> max abs error of its first compared output, from the divergence result."""
        out: dict[str, float | None] = {}
        for step in self.divergence.steps if self.divergence is not None else []:
            out.setdefault(op_name(step.tensor), step.max_abs)
        return out

    def divergence_svg(self, hops: int = 2) -> str:
        """The first diverging op's neighbourhood (the last compared op when none diverged), ops
        coloured by their error; ``""`` before :meth:`find_divergence`."""
        d = self.divergence
        if d is None or not d.steps:
            return ""
        center = d.op or op_name(d.steps[-1].tensor)
        sub = Catalog.from_model(self.model).neighbours(center, up=hops, down=1, limit=40)
        title = f"{d.verdict} ({d.step.op_type})" if d.found else f"{d.verdict} (around {center})"
        errors = self.op_errors()
        return render_svg(
            [(n.name, n.type) for n in sub.nodes],
            [(e.src, e.dst) for e in sub.edges],
            selected=center,
            values={n.name: errors.get(n.name) for n in sub.nodes},
            title=title,
        )

    def _data_code(self) -> str:
        if self.data is None:
            return ""
        src = self.data
        text = repr(str(src)) if isinstance(src, (str, Path)) else "data"
        return f"explorer.data({text}" + (f", limit={self.limit})" if self.limit else ")")

    def code(self) -> str:
        """The explorer API calls that reproduce the comparison."""
        v2 = self.v2
        v2_src = repr(str(v2)) if isinstance(v2, (str, Path)) else "v2  # the converted V2Model"
        custom = self._custom()
        sig = "".join(f", {k}={v!r}" for k, v in custom.items())
        if not custom and self.signature:
            sig = f", signatures={self.signature!r}"
        source = self._data_code() or f"explorer.Sampled(batches={self.batches}, seed={self.seed})"
        lines = [
            f"v2 = {v2_src}",
            f"summary = explorer.parity(model, v2{sig}, source={source}, "
            f"tolerance=explorer.Tolerance(atol={self.atol}, rtol={self.rtol}))",
        ]
        if self.divergence is not None:
            kw = "".join(f", {k}={v!r}" for k, v in self._v1_kwargs().items())
            lines += [
                f"feeds = explorer.V1Runner(model{kw}).sample(batch=1, seed={self.seed})",
                f"div = explorer.first_divergence(model, v2, feeds{kw}, "
                f"tolerance=explorer.Tolerance(atol={self.atol}, rtol={self.rtol}))",
            ]
        return script(self.model.path, lines)
