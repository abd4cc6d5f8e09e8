"""Comparing outputs batch by batch in bounded memory: element statistics and per-example figures.

:class:`StreamingComparison` takes v1/v2 outputs one batch at a time (:meth:`add`) and keeps
only running figures, so 100,000 examples cost what one batch does:

* per output, what :func:`~explorer.comparing.outputs.compare` reports (max/mean abs and rel
  error, NaN/Inf counts, mismatches, bitwise equality, the log histogram), with the median and
  p99 read off a fine log histogram (64 bins per decade) instead of a sort of every error;
* per output and example (a row along the first axis), the example's largest absolute error
  and elements beyond tolerance: their distribution and the ``k`` worst examples, each with its
  index in the source, where it came from, its inputs summarised and both outputs side by side.

The first batch's arrays are kept for the plots (``ParityReport.arrays``).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from explorer.comparing.records import (
    FAILED,
    HIST_BINS_PER_DECADE,
    ExampleErrors,
    OutputComparison,
    ParityReport,
    WorstExample,
)

FINE_PER_DECADE = 64
_LO, _HI = -320, 310  # decades the fine histogram covers (float64's range)
WORST_VALUES = 8  # values of each side shown per worst example


class LogHistogram:
    """Counts of non-negative values: exact zeros, infinities, and log10 bins of 1/64 decade."""

    def __init__(self) -> None:
        self.counts = np.zeros((_HI - _LO) * FINE_PER_DECADE, dtype=np.int64)
        self.zeros = 0
        self.infs = 0
        self.min = math.inf
        self.max = 0.0

    @property
    def total(self) -> int:
        return int(self.counts.sum()) + self.zeros + self.infs

    def add(self, x: np.ndarray) -> None:
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        if not x.size:
            return
        inf = np.isinf(x)
        self.infs += int(inf.sum())
        pos = x[(x > 0) & ~inf]
        self.zeros += int((x == 0).sum())
        if pos.size:
            self.min = min(self.min, float(pos.min()))
            self.max = max(self.max, float(pos.max()))
            idx = np.floor((np.log10(pos) - _LO) * FINE_PER_DECADE).astype(np.int64)
            np.clip(idx, 0, self.counts.size - 1, out=idx)
            self.counts += np.bincount(idx, minlength=self.counts.size)

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile (nearest rank): 0 or inf exactly, else the upper edge of its bin
        (capped at the largest value seen)."""
        n = self.total
        if n == 0:
            return None
        rank = int(round(q * (n - 1)))
        if rank < self.zeros:
            return 0.0
        rank -= self.zeros
        cum = np.cumsum(self.counts)
        if rank >= cum[-1]:
            return math.inf
        b = int(np.searchsorted(cum, rank, side="right"))
        edge = 10 ** (_LO + (b + 1) / FINE_PER_DECADE)
        return float(min(edge, self.max))

    def coarse(self) -> tuple[list[float], list[int]]:
        """The 4-bins-per-decade histogram :class:`OutputComparison` shows (edges, counts)."""
        if self.max <= 0:
            return [], []
        lo = math.floor(math.log10(self.min))
        hi = max(math.ceil(math.log10(self.max)), lo + 1)
        edges = np.logspace(lo, hi, (hi - lo) * HIST_BINS_PER_DECADE + 1)
        step = FINE_PER_DECADE // HIST_BINS_PER_DECADE
        first = (lo - _LO) * FINE_PER_DECADE
        counts = []
        for i in range(len(edges) - 1):
            a = first + i * step
            counts.append(int(self.counts[a : a + step].sum()))
        return [float(e) for e in edges], counts


class _Output:
    """Running figures of one output key."""

    def __init__(self, key: str, atol: float, rtol: float, worst: int) -> None:
        self.key, self.atol, self.rtol, self.k = key, atol, rtol, worst
        self.rec: OutputComparison | None = None
        self.broken = False
        self.sum_abs = 0.0
        self.sum_rel = 0.0
        self.rel_inf = False
        self.abs_hist, self.rel_hist, self.ex_hist = LogHistogram(), LogHistogram(), LogHistogram()
        self.examples = 0
        self.failed = 0
        self.heap: list[tuple[float, int, int, WorstExample]] = []
        self.no_rows = ""

    def add(self, a: Any, b: Any, batch: Any) -> None:
        a, b = np.asarray(a), np.asarray(b)
        if self.rec is None:
            self.rec = OutputComparison(
                key=self.key,
                dtype_a=_dtype_name(a),
                dtype_b=_dtype_name(b),
                shape_a=list(a.shape),
                shape_b=list(b.shape),
                atol=self.atol,
                rtol=self.rtol,
                equal=True,
            )
            if self.rec.dtype_a != self.rec.dtype_b:
                self.rec.status = FAILED
                self.rec.reason = f"dtype {self.rec.dtype_a} vs {self.rec.dtype_b}"
                self.rec.equal = False
                self.broken = True
        rec = self.rec
        rec.batches += 1
        if self.broken:
            return
        if a.shape != b.shape:
            rec.status = FAILED
            rec.reason = f"batch {rec.batches - 1}: shape {list(a.shape)} vs {list(b.shape)}"
            rec.shape_a, rec.shape_b = list(a.shape), list(b.shape)
            rec.equal = False
            self.broken = True
            return
        rec.count += int(a.size)
        if a.dtype.kind in "OSUb":
            bad = a != b
            per_abs = None
        else:
            bad, per_abs = self._numeric(a, b)
        n_bad = int(np.count_nonzero(bad))
        rec.mismatches += n_bad
        if n_bad:
            rec.equal = False
        self._examples(a, b, bad, per_abs, batch)

    def _numeric(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rec = self.rec
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        nan_a, nan_b = np.isnan(a64), np.isnan(b64)
        inf_a, inf_b = np.isinf(a64), np.isinf(b64)
        rec.nan_a += int(nan_a.sum())
        rec.nan_b += int(nan_b.sum())
        rec.inf_a += int(inf_a.sum())
        rec.inf_b += int(inf_b.sum())
        finite = ~(nan_a | nan_b | inf_a | inf_b)
        nonfinite_ok = (nan_a & nan_b) | (inf_a & inf_b & (a64 == b64))
        with np.errstate(invalid="ignore", over="ignore"):
            err_all = np.where(finite, np.abs(b64 - a64), 0.0)
        ref = np.abs(a64)
        bad = (finite & (err_all > rec.atol + rec.rtol * ref)) | (~finite & ~nonfinite_ok)
        if not np.array_equal(a, b, equal_nan=True):
            rec.equal = False
        err = err_all[finite]
        if err.size:
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = np.where(err == 0, 0.0, err / ref[finite])
            mx = float(err.max())
            rec.max_abs = mx if rec.max_abs is None else max(rec.max_abs, mx)
            mr = float(rel.max())
            rec.max_rel = mr if rec.max_rel is None else max(rec.max_rel, mr)
            self.sum_abs += float(err.sum())
            if np.isinf(rel).any():
                self.rel_inf = True
            else:
                self.sum_rel += float(rel.sum())
            self.abs_hist.add(err)
            self.rel_hist.add(rel)
        per = np.where(finite, err_all, np.where(nonfinite_ok, 0.0, math.inf))
        return bad, per

    def _examples(
        self, a: np.ndarray, b: np.ndarray, bad: np.ndarray, per: Any, batch: Any
    ) -> None:
        rows = batch.rows if batch is not None else None
        if rows is None or a.ndim == 0 or a.shape[0] != rows:
            self.no_rows = (
                "the output is a scalar"
                if a.ndim == 0
                else f"the output's first dim ({a.shape[0]}) does not follow the batch's examples"
            )
            if rows is None:
                self.no_rows = "no examples to follow (a sparse output is compared by its parts)"
            return
        flat_bad = bad.reshape(rows, -1).sum(axis=1)
        if per is None:
            score = flat_bad.astype(np.float64)
            ex_abs = None
        else:
            ex_abs = per.reshape(rows, -1).max(axis=1) if per.size else np.zeros(rows)
            score = ex_abs
            self.ex_hist.add(ex_abs)
        self.examples += rows
        self.failed += int(np.count_nonzero(flat_bad))
        if self.k <= 0:
            return
        full = len(self.heap) >= self.k
        for r in np.flatnonzero(score > self.heap[0][0]) if full else range(rows):
            s, idx = float(score[r]), batch.start + int(r)
            if len(self.heap) >= self.k and (s, -idx) <= self.heap[0][:2]:
                continue
            w = WorstExample(
                index=batch.start + int(r),
                where=batch.where[r],
                inputs=batch.summary(int(r)),
                max_abs=None if ex_abs is None else float(ex_abs[r]),
                mismatches=int(flat_bad[r]),
                shape=list(a.shape[1:]),
                a=_values(a[r]),
                b=_values(b[r]),
            )
            item = (s, -w.index, w.index, w)
            if len(self.heap) < self.k:
                heapq.heappush(self.heap, item)
            else:
                heapq.heapreplace(self.heap, item)

    def result(self) -> tuple[OutputComparison, ExampleErrors]:
        rec = self.rec
        if not self.broken and rec.count and rec.dtype_a not in ("string", "bool"):
            n = self.abs_hist.total
            if n:
                rec.mean_abs = self.sum_abs / n
                rec.mean_rel = math.inf if self.rel_inf else self.sum_rel / n
                rec.median_abs = self.abs_hist.quantile(0.5)
                rec.p99_abs = self.abs_hist.quantile(0.99)
                rec.median_rel = self.rel_hist.quantile(0.5)
                rec.p99_rel = self.rel_hist.quantile(0.99)
            rec.hist_edges, rec.hist_counts = self.abs_hist.coarse()
            rec.hist_zeros = self.abs_hist.zeros
        if rec.mismatches and rec.status != FAILED:
            rec.status = FAILED
            rec.reason = f"{rec.mismatches} of {rec.count} elements differ beyond tolerance"
        ex = ExampleErrors(self.key, self.examples, self.failed)
        if self.broken:
            ex.reason = f"not compared: {rec.reason}"
        elif self.no_rows and not self.examples:
            ex.reason = f"no per-example figures: {self.no_rows}"
        if self.examples and rec.dtype_a not in ("string", "bool"):
            h = self.ex_hist
            ex.quantiles = {
                "p50": h.quantile(0.5),
                "p90": h.quantile(0.9),
                "p99": h.quantile(0.99),
                "max": (math.inf if h.infs else h.max),
            }
            ex.hist_edges, ex.hist_counts = h.coarse()
            ex.hist_zeros = h.zeros
        ex.worst = [w for *_, w in sorted(self.heap, key=lambda t: (-t[0], t[2]))]
        return rec, ex


def _dtype_name(arr: np.ndarray) -> str:
    return "string" if arr.dtype.kind in "OSU" else str(arr.dtype)


def _values(x: Any) -> list[Any]:
    flat = np.asarray(x).reshape(-1)[:WORST_VALUES]
    out = []
    for v in flat.tolist():
        out.append(v[:64] if isinstance(v, bytes) else v)
    return out


class StreamingComparison:
    """v1 (``a``) against v2 (``b``) one batch at a time; :meth:`report` gives the
    :class:`~explorer.comparing.records.ParityReport` with per-example figures.

    Args:
        atol, rtol, per_output: tolerances as in :func:`~explorer.comparing.outputs.compare`.
        worst: how many worst examples to keep per output.
        name: the report's name.
    """

    def __init__(
        self,
        atol: float,
        rtol: float,
        per_output: Mapping[str, Any] | None = None,
        *,
        worst: int = 5,
        name: str = "outputs",
    ) -> None:
        from explorer.comparing.outputs import _tolerances

        self._tol = lambda key: _tolerances(key, atol, rtol, per_output)
        self.atol, self.rtol, self.worst, self.name = atol, rtol, worst, name
        self.outputs: dict[str, _Output] = {}
        self.arrays: dict[str, tuple[Any, Any]] = {}
        self.batches = 0

    def add(self, a: Mapping[str, Any], b: Mapping[str, Any], batch: Any = None) -> None:
        """One batch of outputs on each side (the same keys); ``batch`` (a
        :class:`~explorer.feeding.data.sources.Batch`) gives the examples' indices, where they
        came from and their inputs."""
        from explorer.comparing.outputs import _flatten_sparse
        from explorer.errors import ParityError

        fa, fb = _flatten_sparse(a), _flatten_sparse(b)
        if set(fa) != set(fb):
            raise ParityError(
                f"batch {self.batches}: outputs differ between the sides (only in a: "
                f"{sorted(set(fa) - set(fb)) or '-'}; only in b: "
                f"{sorted(set(fb) - set(fa)) or '-'})"
            )
        dense = {k for k in a if k in fa}
        for key in fa:
            if key not in self.outputs:
                at, rt = self._tol(key)
                self.outputs[key] = _Output(key, at, rt, self.worst)
            self.outputs[key].add(fa[key], fb[key], batch if key in dense else None)
            if self.batches == 0:
                self.arrays[key] = (np.asarray(fa[key]), np.asarray(fb[key]))
        self.batches += 1

    def report(self) -> ParityReport:
        from explorer.errors import ParityError

        if not self.batches or not self.outputs:
            raise ParityError(
                "nothing to compare: no batches of outputs were streamed (an empty comparison "
                "is never a pass)"
            )
        records, examples = {}, {}
        for key, out in self.outputs.items():
            records[key], examples[key] = out.result()
        return ParityReport(
            name=self.name,
            outputs=records,
            atol=self.atol,
            rtol=self.rtol,
            batches=self.batches,
            arrays=self.arrays,
            examples=examples,
        )
