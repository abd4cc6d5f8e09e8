"""Outputs(v1) x Outputs(v2) -> :class:`ParityReport`: are the numbers the same?

* :func:`compare` checks two sets of outputs (one batch or several) output by output: dtype and
  shape, absolute/relative error statistics, mismatch fraction, NaN/Inf counts, exact equality.
* :func:`parity` drives both runners on the same feeds, after checking that v1 agrees with itself
  (outputs behind stateful random ops are *nondeterministic*, not failed; see ``_parity.py``).
* :func:`first_divergence` finds the earliest op whose output differs between the two graphs.

Every result is a typed record that serialises to JSON and back; plots read only these records
(and the arrays they keep in memory).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import ParityError

DEFAULT_ATOL = 1e-5
DEFAULT_RTOL = 1e-5
HIST_BINS_PER_DECADE = 4

# Statuses of one output and of one report.
PASSED = "passed"
FAILED = "failed"
NONDETERMINISTIC = "nondeterministic"


def _jfloat(x: float | None) -> float | str | None:
    """A float for JSON: non-finite values as the strings ``inf``, ``-inf``, ``nan``."""
    if x is None or math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _pfloat(x: Any) -> float | None:
    return None if x is None else float(x)


@dataclass
class OutputComparison:
    """How one output of side ``a`` (the reference, v1) compares with side ``b`` (v2).

    Error statistics are over all batches, element-wise, in float64: ``abs = |b - a|``,
    ``rel = abs / |a|`` (``inf`` where ``a == 0`` and ``b != a``). Positions where either side is
    NaN or infinite are counted in ``nan_*``/``inf_*`` and left out of the statistics; they
    mismatch unless both sides hold the same non-finite value. An element mismatches when
    ``abs > atol + rtol * |a|`` (``numpy.isclose`` semantics). String and bool outputs are
    compared exactly and have no error statistics (``None``).

    Truthy when ``status == "passed"``: dtypes and shapes agree and no element mismatches.
    ``status`` is ``nondeterministic`` when side ``a`` disagreed with itself on the same feeds
    (``random_ops`` then names the stateful random ops behind it); such an output is not failed.
    """

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
    # log-spaced histogram of the non-zero finite absolute errors, plus the count of exact zeros
    hist_edges: list[float] = field(default_factory=list)
    hist_counts: list[int] = field(default_factory=list)
    hist_zeros: int = 0
    random_ops: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def mismatch_fraction(self) -> float:
        """Mismatching elements / compared elements (1.0 when shapes or dtypes disagree)."""
        if self.count == 0:
            return 1.0 if self.status == FAILED else 0.0
        return self.mismatches / self.count

    def __bool__(self) -> bool:
        return self.passed

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = _jfloat(v) if isinstance(v, float) else v
        out["passed"] = self.passed
        out["mismatch_fraction"] = self.mismatch_fraction
        return out

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> OutputComparison:
        kwargs = {}
        for f in fields(cls):
            if f.name not in obj:
                continue
            v = obj[f.name]
            if f.type in ("float | None", "float") and v is not None:
                v = float(v)  # "inf"/"nan" strings back to floats
            kwargs[f.name] = v
        return cls(**kwargs)


@dataclass
class ParityReport:
    """The comparison of one set of outputs (one signature): a record per output key.

    Attributes:
        name: what was compared (a signature name; ``outputs`` for a bare :func:`compare`).
        outputs: key -> :class:`OutputComparison`, in the order given.
        atol, rtol: the default tolerances (per-output overrides are in each record).
        batches: how many batches were compared.
        stateful: the signature changes variables; v1 and v2 were compared as sequences of calls
            from the same fresh state, without the v1-against-itself check.
        remedy: what was done to make nondeterministic outputs comparable (``""`` if nothing).
        notes: one-line remarks for the reader.
        arrays: key -> (a, b) of the first batch, for plots; kept in memory, not in JSON.

    Truthy when every output passed. :attr:`status` is ``failed`` when a deterministic output
    mismatches, ``nondeterministic`` when none does but some output could not be compared
    because v1 disagrees with itself, else ``passed``.
    """

    name: str
    outputs: dict[str, OutputComparison]
    atol: float = DEFAULT_ATOL
    rtol: float = DEFAULT_RTOL
    batches: int = 0
    stateful: bool = False
    remedy: str = ""
    notes: list[str] = field(default_factory=list)
    arrays: dict[str, tuple[Any, Any]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def status(self) -> str:
        statuses = {o.status for o in self.outputs.values()}
        if FAILED in statuses:
            return FAILED
        if NONDETERMINISTIC in statuses:
            return NONDETERMINISTIC
        return PASSED

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    @property
    def nondeterministic(self) -> bool:
        return any(o.status == NONDETERMINISTIC for o in self.outputs.values())

    @property
    def random_ops(self) -> list[str]:
        """Stateful random ops behind the nondeterministic outputs, sorted."""
        return sorted({op for o in self.outputs.values() for op in o.random_ops})

    def __bool__(self) -> bool:
        return self.passed

    def summary(self) -> dict[str, Any]:
        """The CLI's short JSON: passed, nondeterministic, and the main figures per output."""
        return {
            "passed": self.passed,
            "status": self.status,
            "nondeterministic": self.nondeterministic,
            "outputs": {
                k: {
                    "max_abs": _jfloat(o.max_abs),
                    "max_rel": _jfloat(o.max_rel),
                    "mismatch_fraction": o.mismatch_fraction,
                    "equal": o.equal,
                    "status": o.status,
                }
                for k, o in self.outputs.items()
            },
        }

    def to_json(self) -> dict[str, Any]:
        """Everything but the arrays, as JSON-ready builtins (non-finite floats as strings)."""
        return {
            "name": self.name,
            "passed": self.passed,
            "status": self.status,
            "nondeterministic": self.nondeterministic,
            "random_ops": self.random_ops,
            "atol": self.atol,
            "rtol": self.rtol,
            "batches": self.batches,
            "stateful": self.stateful,
            "remedy": self.remedy,
            "notes": list(self.notes),
            "outputs": {k: o.to_json() for k, o in self.outputs.items()},
        }

    def dumps(self, **kwargs: Any) -> str:
        """:meth:`to_json` as a JSON string."""
        return json.dumps(self.to_json(), **kwargs)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | str) -> ParityReport:
        """Rebuild a report from :meth:`to_json` output (a dict or a JSON string)."""
        if isinstance(obj, str):
            obj = json.loads(obj)
        return cls(
            name=obj["name"],
            outputs={k: OutputComparison.from_json(v) for k, v in obj["outputs"].items()},
            atol=float(obj["atol"]),
            rtol=float(obj["rtol"]),
            batches=int(obj["batches"]),
            stateful=bool(obj.get("stateful", False)),
            remedy=obj.get("remedy", ""),
            notes=list(obj.get("notes", [])),
        )


@dataclass
class ParitySummary:
    """The result of :func:`parity`: one :class:`ParityReport` per signature, and the numerics
    environment both sides ran in (TF version, oneDNN, op determinism, threads, devices).

    Truthy when every signature passed. ``to_json()`` is the CLI's JSON: ``{"passed",
    "signatures": {name: {"passed", "nondeterministic", "outputs": {key: {"max_abs", "max_rel",
    "mismatch_fraction", "equal", ...}}, ...}}, "environment"}``.
    """

    reports: dict[str, ParityReport]
    environment: dict[str, Any] = field(default_factory=dict)
    seed: int = 0

    @property
    def passed(self) -> bool:
        return bool(self.reports) and all(r.passed for r in self.reports.values())

    @property
    def status(self) -> str:
        statuses = {r.status for r in self.reports.values()}
        for s in (FAILED, NONDETERMINISTIC):
            if s in statuses:
                return s
        return PASSED if self.reports else FAILED

    def __bool__(self) -> bool:
        return self.passed

    def __getitem__(self, signature: str) -> ParityReport:
        return self.reports[signature]

    def to_json(self) -> dict[str, Any]:
        sigs = {}
        for name, r in self.reports.items():
            entry = r.to_json()
            entry.pop("name")
            sigs[name] = entry
        return {
            "passed": self.passed,
            "status": self.status,
            "seed": self.seed,
            "signatures": sigs,
            "environment": dict(self.environment),
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | str) -> ParitySummary:
        if isinstance(obj, str):
            obj = json.loads(obj)
        reports = {
            name: ParityReport.from_json({"name": name, **entry})
            for name, entry in obj["signatures"].items()
        }
        return cls(reports, dict(obj.get("environment", {})), int(obj.get("seed", 0)))


@dataclass
class DivergenceStep:
    """One tensor present on both sides, in topological order: its max abs error and verdict."""

    tensor: str
    op_type: str
    max_abs: float | None
    max_rel: float | None
    passed: bool
    dtype: str = ""
    shape: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "tensor": self.tensor,
            "op_type": self.op_type,
            "max_abs": _jfloat(self.max_abs),
            "max_rel": _jfloat(self.max_rel),
            "passed": self.passed,
            "dtype": self.dtype,
            "shape": list(self.shape),
        }


@dataclass
class Divergence:
    """Result of :func:`first_divergence`.

    Attributes:
        steps: every compared tensor (v1 names) in topological order of the v1 graph.
        index: position in ``steps`` of the first tensor beyond tolerance (``None``: none).
        inputs: for that tensor's op, input tensor -> max abs error (``None`` when the input was
            not compared: not on both sides, or not a numeric tensor).
        atol, rtol: the tolerances used.
        runs: session runs / function calls made per side (1 each; v1 2 with random ops).
        seconds: wall time of those runs per side (the first run of a fresh graph: cold);
            with random ops ``v1`` includes the self-check run, also given as ``v1_self_check``
            (the same fetches again on a warm session: cheap).
    """

    steps: list[DivergenceStep]
    index: int | None
    inputs: dict[str, float | None] = field(default_factory=dict)
    atol: float = DEFAULT_ATOL
    rtol: float = DEFAULT_RTOL
    runs: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return self.index is not None

    @property
    def op(self) -> str | None:
        """Name of the first diverging op (``None`` when every shared tensor agrees)."""
        return None if self.index is None else self.steps[self.index].tensor.split(":")[0]

    @property
    def step(self) -> DivergenceStep | None:
        return None if self.index is None else self.steps[self.index]

    def __bool__(self) -> bool:
        return self.found

    def to_json(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "op": self.op,
            "index": self.index,
            "inputs": {k: _jfloat(v) for k, v in self.inputs.items()},
            "atol": self.atol,
            "rtol": self.rtol,
            "runs": dict(self.runs),
            "seconds": dict(self.seconds),
            "steps": [s.to_json() for s in self.steps],
        }


# ----------------------------------------------------------------------------------------------
# compare()
# ----------------------------------------------------------------------------------------------

Outputs = Mapping[str, Any]


def _as_batches(outputs: Outputs | Sequence[Outputs], side: str) -> list[Outputs]:
    if isinstance(outputs, Mapping):
        return [outputs]
    batches = list(outputs)
    for i, b in enumerate(batches):
        if not isinstance(b, Mapping):
            raise ParityError(
                f"outputs_{side}[{i}] is a {type(b).__name__}, not a dict of arrays: pass one "
                "dict (one batch) or a list of dicts (one per batch)"
            )
    return batches


def _tolerances(
    key: str, atol: float, rtol: float, per_output: Mapping[str, Any] | None
) -> tuple[float, float]:
    if not per_output or key not in per_output:
        return atol, rtol
    t = per_output[key]
    if isinstance(t, Mapping):
        return float(t.get("atol", atol)), float(t.get("rtol", rtol))
    a, r = t
    return float(a), float(r)


def compare(
    outputs_a: Outputs | Sequence[Outputs],
    outputs_b: Outputs | Sequence[Outputs],
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
    per_output: Mapping[str, Any] | None = None,
    *,
    name: str = "outputs",
) -> ParityReport:
    """Compare outputs ``a`` (the reference, v1) with outputs ``b`` (v2) element by element.

    Args:
        outputs_a, outputs_b: key -> array for one batch, or a list of such dicts (one per batch,
            the same length on both sides). Sparse values (``indices``/``values``/``dense_shape``)
            are compared component by component as ``key_indices``, ``key_values``,
            ``key_dense_shape``.
        atol, rtol: an element matches when ``|b - a| <= atol + rtol * |a|``.
        per_output: key -> ``(atol, rtol)`` or ``{"atol": ..., "rtol": ...}`` overriding the
            tolerances of that output.
        name: recorded as :attr:`ParityReport.name`.

    Returns:
        A :class:`ParityReport`, truthy when every output passed.

    Raises:
        ParityError: nothing to compare (no batches or no outputs), a different number of
            batches, or different output keys on the two sides.
    """
    import numpy as np

    batches_a = _as_batches(outputs_a, "a")
    batches_b = _as_batches(outputs_b, "b")
    if not batches_a or not batches_b:
        raise ParityError(
            "nothing to compare: no batches of outputs were given; run at least one batch "
            "(an empty comparison is never a pass)"
        )
    if len(batches_a) != len(batches_b):
        raise ParityError(
            f"side a has {len(batches_a)} batches and side b {len(batches_b)}: give both sides "
            "the same feeds"
        )
    batches_a = [_flatten_sparse(b) for b in batches_a]
    batches_b = [_flatten_sparse(b) for b in batches_b]
    keys = list(batches_a[0])
    if not keys:
        raise ParityError(
            "nothing to compare: the outputs are empty; fetch at least one output "
            "(an empty comparison is never a pass)"
        )
    for i, (ba, bb) in enumerate(zip(batches_a, batches_b)):
        if set(ba) != set(keys) or set(bb) != set(keys):
            only_a = sorted(set(ba) - set(bb))
            only_b = sorted(set(bb) - set(ba))
            raise ParityError(
                f"batch {i}: outputs differ between the sides (only in a: {only_a or '-'}; only "
                f"in b: {only_b or '-'}): fetch the same output keys on both sides"
            )
    records = {}
    arrays = {}
    for key in keys:
        a_list = [np.asarray(b[key]) for b in batches_a]
        b_list = [np.asarray(b[key]) for b in batches_b]
        ka, kr = _tolerances(key, atol, rtol, per_output)
        records[key] = _compare_one(key, a_list, b_list, ka, kr)
        arrays[key] = (a_list[0], b_list[0])
    return ParityReport(
        name=name, outputs=records, atol=atol, rtol=rtol, batches=len(batches_a), arrays=arrays
    )


def _flatten_sparse(batch: Outputs) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in batch.items():
        if all(hasattr(v, a) for a in ("indices", "values", "dense_shape")):
            # TF2's names for the parts of a TF1 sparse tensor (what the converter uses too)
            out[f"{k}_indices"] = v.indices
            out[f"{k}_values"] = v.values
            out[f"{k}_dense_shape"] = v.dense_shape
        else:
            out[k] = v
    return out


def _is_exact_kind(arr: Any) -> bool:
    return arr.dtype.kind in "OSUb"


def _dtype_name(arr: Any) -> str:
    # TF returns strings as object arrays of bytes on both sides; name them "string".
    return "string" if arr.dtype.kind in "OSU" else str(arr.dtype)


def _compare_one(key: str, a_list: list[Any], b_list: list[Any], atol: float, rtol: float) -> Any:
    import numpy as np

    rec = OutputComparison(
        key=key,
        dtype_a=_dtype_name(a_list[0]),
        dtype_b=_dtype_name(b_list[0]),
        shape_a=list(a_list[0].shape),
        shape_b=list(b_list[0].shape),
        atol=atol,
        rtol=rtol,
        batches=len(a_list),
    )
    if rec.dtype_a != rec.dtype_b:
        rec.status, rec.reason = FAILED, f"dtype {rec.dtype_a} vs {rec.dtype_b}"
        return rec
    for i, (a, b) in enumerate(zip(a_list, b_list)):
        if a.shape != b.shape:
            rec.status = FAILED
            rec.reason = f"batch {i}: shape {list(a.shape)} vs {list(b.shape)}"
            rec.shape_a, rec.shape_b = list(a.shape), list(b.shape)
            return rec
    a = np.concatenate([x.reshape(-1) for x in a_list])
    b = np.concatenate([x.reshape(-1) for x in b_list])
    rec.count = int(a.size)
    if _is_exact_kind(a):
        diff = a != b
        rec.mismatches = int(np.count_nonzero(diff))
        rec.equal = rec.mismatches == 0
    else:
        _numeric_stats(rec, a, b)
    if rec.mismatches:
        rec.status = FAILED
        rec.reason = f"{rec.mismatches} of {rec.count} elements differ beyond tolerance"
    return rec


def _numeric_stats(rec: OutputComparison, a: Any, b: Any) -> None:
    import numpy as np

    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    nan_a, nan_b = np.isnan(a64), np.isnan(b64)
    inf_a, inf_b = np.isinf(a64), np.isinf(b64)
    rec.nan_a, rec.nan_b = int(nan_a.sum()), int(nan_b.sum())
    rec.inf_a, rec.inf_b = int(inf_a.sum()), int(inf_b.sum())
    finite = ~(nan_a | nan_b | inf_a | inf_b)
    nonfinite_ok = (nan_a & nan_b) | (inf_a & inf_b & (a64 == b64))
    err = np.abs(b64[finite] - a64[finite])
    ref = np.abs(a64[finite])
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(err == 0, 0.0, err / ref)
    close = err <= rec.atol + rec.rtol * ref
    rec.mismatches = int((~close).sum() + (~finite & ~nonfinite_ok).sum())
    rec.equal = bool(np.array_equal(a, b, equal_nan=True))
    if err.size:
        rec.max_abs = float(err.max())
        rec.mean_abs = float(err.mean())
        rec.median_abs = float(np.median(err))
        rec.p99_abs = float(np.percentile(err, 99))
        rec.max_rel = float(rel.max())
        finite_rel = rel[np.isfinite(rel)]
        rec.mean_rel = float(finite_rel.mean()) if finite_rel.size == rel.size else math.inf
        # interpolating between infinite relative errors gives NaN: take the element above
        method = "higher" if finite_rel.size != rel.size else "linear"
        rec.median_rel = float(np.quantile(rel, 0.5, method=method))
        rec.p99_rel = float(np.quantile(rel, 0.99, method=method))
    _histogram(rec, err)


def _histogram(rec: OutputComparison, err: Any) -> None:
    import numpy as np

    nonzero = err[err > 0]
    rec.hist_zeros = int(err.size - nonzero.size)
    if not nonzero.size:
        return
    lo = math.floor(math.log10(nonzero.min()))
    hi = math.ceil(math.log10(nonzero.max()))
    hi = max(hi, lo + 1)
    edges = np.logspace(lo, hi, (hi - lo) * HIST_BINS_PER_DECADE + 1)
    counts, _ = np.histogram(nonzero, bins=edges)
    rec.hist_edges = [float(e) for e in edges]
    rec.hist_counts = [int(c) for c in counts]


# ----------------------------------------------------------------------------------------------
# parity() and first_divergence(): defined in parity_run.py and divergence.py (they import this
# module), exposed here.
# ----------------------------------------------------------------------------------------------


def parity(
    v1_model: Any,
    v2_model_or_dir: Any,
    signatures: Sequence[str] | str | None = None,
    batches: int = 3,
    seed: int = 0,
    feeds: Any = None,
    **kwargs: Any,
) -> ParitySummary:
    """Compare a TF1 model with its TF2 conversion on the same feeds, signature by signature.

    v1 first runs every batch twice: outputs where it disagrees with itself are reported
    *nondeterministic* (with the stateful random ops behind them), not failed; ``remedy=True``
    makes them comparable. Keyword options: ``atol``, ``rtol``, ``per_output``, ``remedy``,
    ``batch_size``, ``allow_unsafe``, and ``inputs``/``outputs`` (tensor names, compared against
    ``convert(model, inputs=..., outputs=...)`` instead of signatures). See
    :func:`explorer.parity_run.parity` for every argument.

    Returns:
        A :class:`ParitySummary` (one :class:`ParityReport` per signature), truthy when all pass.
    """
    from .parity_run import parity as _parity

    return _parity(v1_model, v2_model_or_dir, signatures, batches, seed, feeds, **kwargs)


def first_divergence(v1_model: Any, v2: Any, feeds: Mapping[str, Any], **kwargs: Any) -> Divergence:
    """The earliest op, in topological order, whose output differs between v1 and v2.

    Tensors present on both sides are fetched in one run per side (a ``V2Model`` is read
    through its whole converted graph, so table-using signatures work). Keyword options:
    ``signature`` or ``inputs``/``outputs`` (tensor names), ``mapping`` (v1 op -> v2 op),
    ``atol``, ``rtol``. See :func:`explorer.divergence.first_divergence`.
    """
    from .divergence import first_divergence as _first

    return _first(v1_model, v2, feeds, **kwargs)
