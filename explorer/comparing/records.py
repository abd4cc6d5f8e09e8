"""The typed results of a comparison, to JSON and back."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from explorer.errors import ParityError, plain
from explorer.graph.names import array_dtype, op_name  # noqa: F401 - array_dtype: re-exported

DEFAULT_ATOL = 1e-5
DEFAULT_RTOL = 1e-5
HIST_BINS_PER_DECADE = 4

PASSED = "passed"  # the statuses of an output and of a report
FAILED = "failed"
NONDETERMINISTIC = "nondeterministic"
# What matching NaN/Inf (the same non-finite value at the same place on both sides) count as.
NONFINITE = ("refuse", "accept-matching")
ACCEPT_HINT = "pass --accept-nonfinite (Tolerance(nonfinite='accept-matching')) to accept them"


class ToleranceError(ParityError, ValueError):
    """A tolerance that is not a finite number >= 0."""


def _checked(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ToleranceError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(v) or v < 0:
        raise ToleranceError(
            f"{name} = {value!r} is not a tolerance: give a finite number >= 0 (e.g. 1e-5)"
        )
    return v


@dataclass(frozen=True)
class Tolerance:
    """Side ``b`` (v2) agrees with side ``a`` (v1) where ``|b - a| <= atol + rtol * |a|``.
    ``per_output``: key -> ``(atol, rtol)`` or ``{"atol", "rtol"}``. ``nonfinite``: ``"refuse"``
    (any NaN/Inf fails) or ``"accept-matching"`` (the same NaN/Inf at the same place agrees)."""

    atol: float = DEFAULT_ATOL
    rtol: float = DEFAULT_RTOL
    per_output: Mapping[str, Any] = field(default_factory=dict, hash=False)
    nonfinite: str = "refuse"

    def __post_init__(self) -> None:
        object.__setattr__(self, "atol", _checked("atol", self.atol))
        object.__setattr__(self, "rtol", _checked("rtol", self.rtol))
        if self.nonfinite not in NONFINITE:
            raise ToleranceError(f"nonfinite = {self.nonfinite!r}: choose one of {NONFINITE}")
        per = {}
        for key, t in (self.per_output or {}).items():
            if isinstance(t, Mapping):
                t = (t.get("atol", self.atol), t.get("rtol", self.rtol))
            per[key] = (_checked(f"atol of {key}", t[0]), _checked(f"rtol of {key}", t[1]))
        object.__setattr__(self, "per_output", per)

    def of(self, key: str) -> tuple[float, float]:
        return self.per_output.get(key, (self.atol, self.rtol))

    @classmethod
    def given(
        cls,
        tolerance: Tolerance | None,
        atol: float | None = None,
        rtol: float | None = None,
        per_output: Mapping[str, Any] | None = None,
    ) -> Tolerance:
        """``tolerance``, or one made of the ``atol=``/``rtol=`` keywords of a public verb."""
        if tolerance is None:
            a = DEFAULT_ATOL if atol is None else atol
            return cls(a, DEFAULT_RTOL if rtol is None else rtol, per_output or {})
        if atol is not None or rtol is not None or per_output:
            raise ParityError("give tolerance= or atol=/rtol=/per_output=, not both")
        return tolerance


def _worst(statuses: set[str]) -> str:  # failed over nondeterministic over passed
    return next((s for s in (FAILED, NONDETERMINISTIC) if s in statuses), PASSED)


def _verdict(status: str, outputs: list[tuple[str, Any]]) -> str:
    """``status``, then the outputs holding NaN/Inf and their counts."""
    if not (found := [f"{plain(key)} ({o.nonfinite})" for key, o in outputs if o.nonfinite]):
        return status
    return f"{status}; NaN/Inf {'accepted' if status == PASSED else 'found'} in {', '.join(found)}"


def _json(v: Any) -> Any:
    """A value for JSON: non-finite floats as ``"inf"``/``"-inf"``/``"nan"``, bytes as text."""
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return repr(v)
    if hasattr(v, "to_json"):
        return v.to_json()
    if isinstance(v, Mapping):
        return {k: _json(x) for k, x in v.items()}
    return [_json(x) for x in v] if isinstance(v, (list, tuple)) else v


class _Judged:
    """``passed`` (``status == "passed"``) and truthiness of a record with a ``status``."""

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def __bool__(self) -> bool:
        return self.passed


class _Record:
    """A record's fields to JSON and back (floats, nested records and their lists/dicts parsed)."""

    def to_json(self) -> dict[str, Any]:
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | str) -> Any:
        obj = json.loads(obj) if isinstance(obj, str) else obj  # to_json's dict, or its text
        return cls(**{f.name: _parsed(f.type, obj[f.name]) for f in fields(cls) if f.name in obj})


def _parsed(kind: str, v: Any) -> Any:
    """JSON value ``v`` as a field of type ``kind`` (its annotation's text)."""
    if v is None:
        return v
    if kind.startswith("dict[str, "):
        return {k: _parsed(kind[10:-1], x) for k, x in v.items()}
    if kind.startswith("list["):
        return [_parsed(kind[5:-1], x) for x in v]
    if kind in ("float", "float | None"):
        return float(v)
    record = globals().get(kind)
    return record.from_json(v) if isinstance(record, type) and issubclass(record, _Record) else v


@dataclass
class OutputComparison(_Judged, _Record):
    """One output of side ``a`` (v1) against side ``b`` (v2) over all batches, in float64:
    ``abs = |b - a|``, ``rel = abs / |a|`` (``inf`` where ``a == 0 != b``); NaN/Inf counted in
    ``nan_*``/``inf_*``, not in the statistics; strings and bools compare exactly."""

    key: str
    dtype_a: str
    dtype_b: str
    shape_a: list[int]
    shape_b: list[int]
    atol: float
    rtol: float
    status: str = PASSED
    reason: str = ""
    batches: int = 0
    count: int = 0
    mismatches: int = 0
    equal: bool = False
    max_abs: float | None = None
    mean_abs: float | None = None
    median_abs: float | None = None
    p99_abs: float | None = None
    max_rel: float | None = None
    mean_rel: float | None = None
    median_rel: float | None = None
    p99_rel: float | None = None
    nan_a: int = 0
    nan_b: int = 0
    inf_a: int = 0
    inf_b: int = 0
    hist_edges: list[float] = field(default_factory=list)
    hist_counts: list[int] = field(default_factory=list)
    hist_zeros: int = 0  # the histogram (log bins) above counts the non-zero finite abs errors
    random_ops: list[str] = field(default_factory=list)  # nondeterministic: v1's random ops

    @property
    def mismatch_fraction(self) -> float:
        """Mismatching elements / compared elements (1.0 when shapes or dtypes disagree)."""
        if self.count == 0:
            return 1.0 if self.status == FAILED else 0.0
        return self.mismatches / self.count

    @property
    def nonfinite(self) -> str:
        """NaN/Inf counts in words (``"v1/v2: NaN 4/4, Inf 0/1"``); ``""`` when there are none."""
        counts = (("NaN", self.nan_a, self.nan_b), ("Inf", self.inf_a, self.inf_b))
        parts = [f"{what} {a}/{b}" for what, a, b in counts if a or b]
        return f"v1/v2: {', '.join(parts)}" if parts else ""

    def to_json(self) -> dict[str, Any]:
        extra = {"passed": self.passed, "mismatch_fraction": self.mismatch_fraction}
        return {**super().to_json(), **extra}


@dataclass
class WorstExample(_Record):
    """An example where v1 and v2 differ most on one output (``where``: ``data.csv:19``)."""

    index: int
    where: str
    inputs: str
    max_abs: float | None
    mismatches: int
    shape: list[int]
    a: list[Any]
    b: list[Any]


@dataclass
class ExampleErrors(_Record):
    """Per-example figures of one output over data: ``quantiles`` of each example's max abs error
    (at most 3.7% high, but ``max``), the ``worst`` first."""

    key: str
    examples: int = 0
    failed: int = 0
    quantiles: dict[str, float | None] = field(default_factory=dict)
    hist_edges: list[float] = field(default_factory=list)
    hist_counts: list[int] = field(default_factory=list)
    hist_zeros: int = 0
    worst: list[WorstExample] = field(default_factory=list)
    reason: str = ""


@dataclass
class ParityReport(_Judged, _Record):
    """One signature's outputs (key -> :class:`OutputComparison`); ``stateful``: run from fresh
    state, no v1 self-check; not in JSON: ``arrays`` (the first batch), ``samples`` (key -> flat
    (v1, v2) values of all batches); on the user's data, ``examples`` and ``data``."""

    name: str
    outputs: dict[str, OutputComparison]
    atol: float = DEFAULT_ATOL
    rtol: float = DEFAULT_RTOL
    batches: int = 0
    stateful: bool = False
    remedy: str = ""
    notes: list[str] = field(default_factory=list)
    arrays: dict[str, tuple[Any, Any]] = field(default_factory=dict, repr=False, compare=False)
    samples: dict[str, tuple[Any, Any]] = field(default_factory=dict, repr=False, compare=False)
    examples: dict[str, ExampleErrors] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    reference: dict[str, Any] = field(default_factory=dict)  # parity(reference=): about, drift

    @property
    def status(self) -> str:
        return _worst({o.status for o in self.outputs.values()})

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    @property
    def nondeterministic(self) -> bool:
        return any(o.status == NONDETERMINISTIC for o in self.outputs.values())

    @property
    def verdict(self) -> str:
        """The status, with the outputs holding NaN/Inf."""
        return _verdict(self.status, list(self.outputs.items()))

    @property
    def random_ops(self) -> list[str]:
        return sorted({op for o in self.outputs.values() for op in o.random_ops})

    def to_json(self) -> dict[str, Any]:
        out = {"passed": self.passed, "status": self.status}
        out.update(nondeterministic=self.nondeterministic, random_ops=self.random_ops)
        left_out_when_empty = ("examples", "data", "reference")
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name not in ("arrays", "samples", *(() if v else left_out_when_empty)):
                out[f.name] = _json(v)
        return out

    def dumps(self, **kwargs: Any) -> str:
        return json.dumps(self.to_json(), **kwargs)


@dataclass
class ParitySummary(_Judged):
    """The result of :func:`parity`: a :class:`ParityReport` per signature; truthy if all pass."""

    reports: dict[str, ParityReport]
    environment: dict[str, Any] = field(default_factory=dict)
    seed: int = 0

    @property
    def status(self) -> str:
        return _worst({r.status for r in self.reports.values()}) if self.reports else FAILED

    @property
    def verdict(self) -> str:
        """The status, with the outputs (``signature/key`` when several) holding NaN/Inf."""
        several = len(self.reports) > 1
        outs = [(n, k, o) for n, r in self.reports.items() for k, o in r.outputs.items()]
        return _verdict(self.status, [(f"{n}/{k}" if several else k, o) for n, k, o in outs])

    def __getitem__(self, signature: str) -> ParityReport:
        return self.reports[signature]

    def to_json(self) -> dict[str, Any]:
        sigs = {name: r.to_json() for name, r in self.reports.items()}
        for entry in sigs.values():
            del entry["name"]
        out = {"passed": self.passed, "status": self.status, "seed": self.seed, "signatures": sigs}
        return {**out, "environment": dict(self.environment)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | str) -> ParitySummary:
        obj = json.loads(obj) if isinstance(obj, str) else obj
        reports = {
            name: ParityReport.from_json({"name": name, **entry})
            for name, entry in obj["signatures"].items()
        }
        return cls(reports, dict(obj.get("environment", {})), int(obj.get("seed", 0)))


@dataclass
class DivergenceStep(_Record):
    """One tensor present on both sides: its max abs error and verdict."""

    tensor: str
    op_type: str
    max_abs: float | None
    max_rel: float | None
    passed: bool
    dtype: str = ""
    shape: list[int] = field(default_factory=list)


@dataclass
class Divergence(_Record):
    """Result of :func:`first_divergence`: ``steps`` (compared tensors, topological order),
    ``index`` of the first beyond tolerance (or ``None``), ``inputs`` (its inputs' max abs
    errors), ``skipped`` (tensor -> why not judged), ``outputs_skipped``/``outputs_failed``."""

    steps: list[DivergenceStep]
    index: int | None
    inputs: dict[str, float | None] = field(default_factory=dict)
    atol: float = DEFAULT_ATOL
    rtol: float = DEFAULT_RTOL
    runs: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    outputs_skipped: list[str] = field(default_factory=list)
    outputs_failed: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.index is not None

    @property
    def status(self) -> str:
        if self.found or self.outputs_failed:
            return FAILED
        return NONDETERMINISTIC if self.outputs_skipped else PASSED

    @property
    def verdict(self) -> str:
        """Where it diverges, or how many outputs were not judged (why: ``skipped``)."""
        if self.found:
            return f"first divergence at {self.op}"
        if n := len(self.outputs_skipped):
            what = f"{n} output{'s' if n > 1 else ''} (see below)"
            return f"no divergence among the compared tensors; not judged: {what}"
        return "no divergence found"

    @property
    def step(self) -> DivergenceStep | None:
        return None if self.index is None else self.steps[self.index]

    @property
    def op(self) -> str | None:
        return None if self.step is None else op_name(self.step.tensor)

    def __bool__(self) -> bool:
        return self.found

    def to_json(self) -> dict[str, Any]:
        return {"found": self.found, "status": self.status, "op": self.op, **super().to_json()}
