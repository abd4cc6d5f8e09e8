"""State behind the compare view (plain Python): parity, first divergence, speed, training."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from explorer.comparing.records import NONDETERMINISTIC, ParityReport, Tolerance
from explorer.errors import ConversionError, ExplorerError, ParityError, first_line
from explorer.graph.names import num_text, op_name
from explorer.inspection.catalog import Catalog
from explorer.loading.model import as_model
from explorer.reporting.plots import report_figures
from explorer.widgets._observable import Observable, recorded, script
from explorer.widgets.graph_svg import subgraph_svg
from explorer.widgets.pick_state import Selection


def causes(report: ParityReport) -> list[str]:
    """One line per output ``report`` did not pass: its key, then the random ops or the why."""
    err = {k: o.max_abs for k, o in report.outputs.items() if o.status != NONDETERMINISTIC}
    return [
        f"{key}: random ops {', '.join(o.random_ops)} make v1 differ from itself on the same feeds"
        if o.random_ops
        else f"{key}: {o.reason}" + (f" (max abs {num_text(err[key])})" if err.get(key) else "")
        for key, o in report.outputs.items()
        if not o.passed
    ]


class ParityState(Observable):
    """Parity of a model with its TF2 conversion, and where they first diverge. A change of an
    :attr:`INPUTS` field (``v2``: ``V2Model`` or folder, ``None`` until converted; ``signature``:
    ``None`` for all; ``inputs``/``outputs``: a custom choice) clears the results (the other
    fields). ``choice`` (the wizard's pick): its problem refuses a run."""

    INPUTS = ("v2", "signature", "inputs", "outputs", "batches", "seed", "atol", "rtol")
    INPUTS += ("accept_nonfinite", "remedy", "data", "limit")
    FIELDS = INPUTS + ("summary", "divergence", "shown", "example", "speed", "training", "failed")
    SPEED_BATCHES = (1, 32)  # as migrate's latency step
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
        self.accept_nonfinite = self.remedy = False
        self.data = self.limit = None
        self.choice = Selection()
        self.clear_results()  # the results: None
        self._not_training: str | None = None  # why no training check, once asked
        self.observe(self.clear_results, self.INPUTS)
        self.observe(lambda _: setattr(self, "divergence", None), ("summary", "shown"))
        self.observe(lambda _: setattr(self, "speed", None), ("summary", "shown"))

    def _check_atol(self, value: Any) -> float:
        return Tolerance(atol=value).atol  # ToleranceError (a ValueError) refuses it

    def _check_rtol(self, value: Any) -> float:
        return Tolerance(rtol=value).rtol

    @property
    def tolerance(self) -> Tolerance:
        nonfinite = "accept-matching" if self.accept_nonfinite else "refuse"
        return Tolerance(self.atol, self.rtol, nonfinite=nonfinite)

    def clear_results(self, _: Any = None) -> None:
        """Drop every result (called when an input changes; a subclass clears its own too)."""
        self.summary = self.divergence = self.shown = self.example = None
        self.speed = self.training = None  # dicts: the latency table, the TrainCheck summary
        self.failed = ""

    def custom_io(self) -> dict[str, Any]:
        """``inputs=``/``outputs=`` keywords for a custom choice; ``{}`` for signatures."""
        if self.signature is None and self.outputs:
            return {"inputs": list(self.inputs), "outputs": list(self.outputs)}
        return {}

    def _v1_kwargs(self) -> dict[str, Any]:
        """``V1Runner``/``first_divergence`` keywords for the report shown."""
        name = self.shown or self.signature
        return self.custom_io() or ({"signature": name} if name in self.model.signatures else {})

    def need_v2(self) -> Any:  # ``v2``; ``ParityError`` (one line) before the model is converted
        if self.v2 is None:
            raise ParityError("nothing to compare with yet: convert the model first")
        return self.v2

    @recorded
    def run(self) -> Any:
        """``explorer.parity`` on ``batches`` sampled batches, or on ``data`` (``limit``)."""
        from explorer.comparing.parity_check import Sampled, parity
        from explorer.feeding.data.sources import data

        self.choice.kwargs()  # OutputChoiceError: the choice's problem, in one line
        v2, source = self.need_v2(), Sampled(self.batches, self.seed)
        self.summary = None  # and the divergence with it, also when the new one is equal
        if self.data is not None:
            source = copy.copy(data(self.data))
            source.limit = self.limit or source.limit
        custom = self.custom_io()
        signature = None if custom else self.signature
        custom.update(tolerance=self.tolerance, remedy=self.remedy)
        self.summary = parity(self.model, v2, signature, source, **custom)
        self.shown = next(iter(self.summary.reports))
        return self.summary

    def pinnable(self) -> bool:
        """Whether v1 disagreed with itself in a way a seed orders (:meth:`pin_randomness`)."""
        from explorer.comparing.parity_check import RACY

        reps = () if self.summary is None or self.remedy else self.summary.reports.values()
        outs = [o for rep in reps for o in rep.outputs.values()]
        return any(o.status == NONDETERMINISTIC and not o.reason.startswith(RACY) for o in outs)

    def pin_randomness(self) -> Any:
        """:meth:`run` again with ``remedy`` (keep_prob-like inputs neutral, random ops seeded)."""
        self.remedy = True
        return self.run()

    @recorded
    def find_divergence(self) -> Any:
        """``explorer.first_divergence`` on one sampled batch of the shown choice."""
        from explorer.comparing.divergence import first_divergence
        from explorer.running.v1_runner import V1Runner

        self.choice.kwargs()
        v2, kwargs = self.need_v2(), self._v1_kwargs()
        feeds = V1Runner(self.model, **kwargs).sample(batch=1, seed=self.seed)
        kwargs.update(tolerance=self.tolerance, judged=self.report())  # parity's verdicts hold
        self.divergence = first_divergence(self.model, v2, feeds, **kwargs)
        return self.divergence

    def measure_speed(self) -> dict[str, Any]:
        """``speed``: the v1 session and the proven artifact (``v2``, the ``shown`` signature)
        timed at :attr:`SPEED_BATCHES` (``latency.against_v1``); ``ParityError`` before a pass."""
        from explorer.comparing.latency import against_v1
        from explorer.conversion.onnx import runner_for
        from explorer.running.v1_runner import V1Runner

        if self.summary is None or not self.summary.passed:
            raise ParityError("only a proven artifact is timed: run parity first, until it passes")
        r2 = runner_for(self.v2, self.shown)
        label = "ONNX Runtime" if r2.name == "onnx" else "TF2 SavedModel"
        r1 = V1Runner(self.model, **self._v1_kwargs())
        self.speed = against_v1(r1, label, r2, self.seed, self.SPEED_BATCHES)
        return self.speed

    def not_training(self) -> str:
        """``""`` for a training graph :meth:`check_training` maps, else why not (read once)."""
        from explorer.rewriting.train_step import training_ops  # numpy: lazily

        if self._not_training is None:
            try:
                training_ops(self.model)
                self._not_training = ""
            except ExplorerError as e:
                self._not_training = first_line(e)
        return self._not_training

    def check_training(self, steps: int = 5, backends: tuple[str, ...] = ("tensorflow",)) -> Any:
        """``train_check`` (TF1 training steps against Keras 3's on the rewrite, a batch sampled
        with ``seed``) -> ``training``: its summary; ``ConversionError``: :meth:`not_training`."""
        if why := self.not_training():
            raise ConversionError(why)
        from explorer.rewriting.train_step import train_check  # numpy: lazily

        check = train_check(self.model, steps=steps, seed=self.seed, backends=tuple(backends))
        self.training = check.summary()
        return check

    def training_verdict(self) -> str:
        """One line on ``training``: the steps that match per backend, or the first difference."""
        t = self.training
        if t is None:
            return ""
        if t["passed"]:
            names = ", ".join(t["backends"])
            return f"training: {t['steps']} {t['optimizer']['tf1']} steps match TF1 on {names}"
        return f"training differs: {t['first_failure']}"

    def training_rows(self) -> list[dict[str, Any]]:
        """Per backend and step: max abs diffs (loss, gradients, weights, slots), ``verdict``."""
        rows = []
        for backend, res in (self.training or {}).get("backends", {}).items():
            if res["error"]:
                rows.append({"backend": backend, "step": "-", "verdict": res["error"]})
            for r in res["steps"]:
                verdict = "passed" if r["passed"] else f"differs: {r['first_failure']}"
                rows.append({"backend": backend, "step": r["step"], **r["max_abs"]})
                rows[-1]["verdict"] = verdict
        return rows

    def report(self) -> Any:  # the ``ParityReport`` shown (``None`` before :meth:`run`)
        return None if self.summary is None or self.shown is None else self.summary[self.shown]

    def rows(self) -> list[dict[str, Any]]:
        """Per signature and output: ``signature, output, status, max_abs, max_rel, mismatch``."""
        return [
            {"signature": name, "output": key, "status": rec.status, "max_abs": rec.max_abs}
            | {"max_rel": rec.max_rel, "mismatch": rec.mismatch_fraction}
            for name, rep in (self.summary.reports if self.summary is not None else {}).items()
            for key, rec in rep.outputs.items()
        ]

    def worst_rows(self) -> list[dict[str, Any]]:
        """The shown report's worst examples: ``output, index, where, max_abs, v1, v2, ...``."""
        rep = self.report()
        return [
            dict(output=key, index=w.index, where=w.where, max_abs=w.max_abs, inputs=w.inputs)
            | {"mismatches": w.mismatches, "v1": w.a, "v2": w.b}
            for key, ex in (rep.examples if rep is not None else {}).items()
            for w in ex.worst
        ]

    def example_detail(self) -> dict[str, Any] | None:
        """The :meth:`worst_rows` row that ``example`` picks (``None`` when none is picked)."""
        rows = self.worst_rows() if self.example else []
        return next((r for r in rows if (r["output"], r["index"]) == self.example), None)

    def figures(self) -> dict[str, Any]:
        """``explorer.reporting.plots.report_figures`` of the shown report (``{}`` before a run)."""
        rep = self.report()
        return {} if rep is None else report_figures(rep)

    def op_errors(self) -> dict[str, float | None]:
        """Op name -> max abs error of its first compared output, from the divergence result."""
        steps = self.divergence.steps if self.divergence is not None else []
        return {op_name(s.tensor): s.max_abs for s in reversed(steps)}  # the first output wins

    def divergence_svg(self) -> str:
        """The first diverging (else last compared) op's neighbourhood coloured by error."""
        d = self.divergence
        if d is None or not d.steps:
            return ""
        center = d.op or op_name(d.steps[-1].tensor)
        sub = Catalog.from_model(self.model).neighbours(center, up=2, down=1, limit=40)
        title = f"{d.verdict} ({d.step.op_type})" if d.found else f"{d.verdict} (around {center})"
        errors = self.op_errors()
        return subgraph_svg(sub, title, {n.name: errors.get(n.name) for n in sub.nodes}, center)

    def code(self) -> str:  # the explorer API calls that reproduce the comparison
        v2 = self.v2
        v2 = repr(str(v2)) if isinstance(v2, (str, Path)) else "v2  # the converted V2Model"
        custom = self.custom_io()
        sig = "".join(f", {k}={v!r}" for k, v in custom.items())
        if not custom and self.signature:
            sig = f", signatures={self.signature!r}"
        source = f"explorer.Sampled(batches={self.batches}, seed={self.seed})"
        if self.data is not None:
            src = repr(str(self.data)) if isinstance(self.data, (str, Path)) else "data"
            source = f"explorer.data({src}" + (f", limit={self.limit})" if self.limit else ")")
        accept = ", nonfinite='accept-matching'" if self.accept_nonfinite else ""
        tol = f"tolerance=explorer.Tolerance(atol={self.atol}, rtol={self.rtol}{accept})"
        remedy = ", remedy=True" if self.remedy else ""
        parity = f"summary = explorer.parity(model, v2{sig}, source={source}, {tol}{remedy})"
        lines = [f"v2 = {v2}", parity]
        kw = "".join(f", {k}={v!r}" for k, v in self._v1_kwargs().items())
        if self.divergence is not None:
            judged = f", judged=summary[{self.shown!r}]" if self.shown is not None else ""
            lines += [
                f"feeds = explorer.V1Runner(model{kw}).sample(batch=1, seed={self.seed})",
                f"div = explorer.first_divergence(model, v2, feeds{kw}, {tol}{judged})",
            ]
        if self.speed is not None:  # as measure_speed: a batch the model cannot take left out
            art, batches = list(self.speed["artifacts"])[1], self.SPEED_BATCHES
            lines += [
                "from explorer.comparing.latency import against_v1",
                "from explorer.conversion.onnx import runner_for",
                f"r2 = runner_for(v2, {self.shown!r})",
                f"speed = against_v1(explorer.V1Runner(model{kw}), {art!r}, r2, {self.seed}, "
                f"{batches})",
            ]
        if self.training is not None:
            t = self.training
            lines += [
                "from explorer.rewriting.train_step import train_check",
                f"check = train_check(model, steps={t['steps']}, seed={self.seed}, "
                f"backends={tuple(t['backends'])!r})",
                "print(check.passed, check.first_failure)",
            ]
        return script(self.model.path, lines)
