"""The one comparator (:class:`Comparator`): v1 against v2, batch by batch, merged exactly."""

from __future__ import annotations

import dataclasses
import heapq
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.comparing.records import (
    ACCEPT_HINT,
    FAILED,
    HIST_BINS_PER_DECADE,
    ExampleErrors,
    OutputComparison,
    ParityReport,
    Tolerance,
    WorstExample,
    array_dtype,
)
from explorer.errors import ParityError
from explorer.feeding.feeds import is_sparse_like

if TYPE_CHECKING:
    from explorer.feeding.data.sources import Batch

Outputs = Mapping[str, Any]
FINE_PER_DECADE = 64
WORST_VALUES = 8  # values of each side shown per worst example
SAMPLE = 4096  # (v1, v2) pairs kept per numeric output over all batches, for its scatter plot
_NONFINITE = ("nan_a", "nan_b", "inf_a", "inf_b")  # counts of OutputComparison


class LogHistogram:
    """Counts of non-negative values: zeros, infinities, log10 bins of 1/64 decade; merges."""

    def __init__(self) -> None:
        self.bins: Counter[int] = Counter()  # fine bin -> count
        self.zeros = self.infs = 0
        self.min, self.max = math.inf, 0.0

    @property
    def total(self) -> int:
        return sum(self.bins.values()) + self.zeros + self.infs

    def add(self, x: Any) -> None:
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        inf = np.isinf(x)
        self.infs, self.zeros = self.infs + int(inf.sum()), self.zeros + int((x == 0).sum())
        pos = x[(x > 0) & ~inf]
        if pos.size:
            self.min = min(self.min, float(pos.min()))
            self.max = max(self.max, float(pos.max()))
            idx = np.floor(np.log10(pos) * FINE_PER_DECADE).astype(np.int64)
            counts = np.bincount(idx - (lo := int(idx.min())))
            self.bins.update({lo + int(b): int(counts[b]) for b in np.flatnonzero(counts)})

    def merge(self, other: LogHistogram) -> None:
        self.zeros, self.infs = self.zeros + other.zeros, self.infs + other.infs
        self.min, self.max = min(self.min, other.min), max(self.max, other.max)
        self.bins.update(other.bins)

    def quantile(self, q: float) -> float | None:
        """The ``q`` quantile (nearest rank): 0 or inf exactly, else its bin's upper edge."""
        if (n := self.total) == 0:
            return None
        if (rank := int(round(q * (n - 1)))) < self.zeros:
            return 0.0
        keys = sorted(self.bins)
        cum = np.cumsum([self.bins[b] for b in keys])
        if not cum.size or rank - self.zeros >= cum[-1]:
            return math.inf
        b = keys[int(np.searchsorted(cum, rank - self.zeros, side="right"))]
        return float(min(10 ** ((b + 1) / FINE_PER_DECADE), self.max))

    def coarse(self) -> tuple[list[float], list[int]]:
        """The 4-bins-per-decade histogram :class:`OutputComparison` shows (edges, counts)."""
        if self.max <= 0:
            return [], []
        lo = math.floor(math.log10(self.min))
        hi = max(math.ceil(math.log10(self.max)), lo + 1)
        edges = np.logspace(lo, hi, (hi - lo) * HIST_BINS_PER_DECADE + 1)
        counts, step = [0] * (len(edges) - 1), FINE_PER_DECADE // HIST_BINS_PER_DECADE
        for b, n in self.bins.items():  # a fine bin at the top edge itself is left out
            if 0 <= (i := (b - lo * FINE_PER_DECADE) // step) < len(counts):
                counts[i] += n
        return [float(e) for e in edges], counts


def _values(x: Any) -> list[Any]:
    values = np.asarray(x).reshape(-1)[:WORST_VALUES].tolist()
    return [v[:64] if isinstance(v, bytes) else v for v in values]


def _max(x: float | None, y: float | None) -> float | None:
    return y if x is None else (x if y is None else max(x, y))


class _Output:
    def __init__(self, key: str, tolerance: Tolerance, worst: int) -> None:
        self.key, self.k = key, worst
        self.atol, self.rtol = tolerance.of(key)
        self.accept = tolerance.nonfinite == "accept-matching"
        self.rec: OutputComparison | None = None
        self.refused = self.examples = self.failed = 0  # refused: matching NaN/Inf not accepted
        self.sum_abs = self.sum_rel = Fraction(0)  # exact: the same however shards merge
        self.broken = self.rel_inf = self.per_example = False  # per_example: batches had examples
        self.abs_hist, self.rel_hist, self.ex_hist = LogHistogram(), LogHistogram(), LogHistogram()
        self.heap: list[tuple[float, int, int, WorstExample]] = []
        self.no_rows = ""
        # a uniform sample of all batches' pairs: those with the SAMPLE smallest (seeded) keys
        self.rng = np.random.default_rng(0)
        self.sample = (np.zeros(0), np.zeros(0), np.zeros(0))  # keys, a, b

    def _draw(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``SAMPLE`` smallest of ``n`` uniform keys (O(SAMPLE)) and the positions they take."""
        k = min(n, SAMPLE)
        sums = np.cumsum(self.rng.standard_exponential(k))
        rest = self.rng.standard_gamma(n + 1 - k)
        return sums / (sums[-1] + rest) if k else sums, self.rng.choice(n, k, replace=False)

    def _keep(self, keys: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        old = self.sample
        if old[0].size >= SAMPLE:
            new = keys < old[0].max()
            keys, a, b = keys[new], a[new], b[new]
        keys, a, b = (np.concatenate([x, y]) for x, y in zip(old, (keys, a, b)))
        if keys.size > SAMPLE:
            idx = np.argpartition(keys, SAMPLE - 1)[:SAMPLE]
            keys, a, b = keys[idx], a[idx], b[idx]
        self.sample = (keys, a, b)

    def _fail(self, reason: str) -> None:
        rec = self.rec
        rec.status, rec.reason, rec.equal, self.broken = FAILED, reason, False, True

    def add(self, a: Any, b: Any, batch: Batch | None, per_example: bool) -> bool:
        """Fold in one batch; whether it differs (beyond the tolerance, or broken)."""
        a, b = np.asarray(a), np.asarray(b)
        if self.rec is None:
            dtypes, shapes = (array_dtype(a), array_dtype(b)), (list(a.shape), list(b.shape))
            self.rec = OutputComparison(self.key, *dtypes, *shapes, self.atol, self.rtol)
            self.rec.equal = True
            if dtypes[0] != dtypes[1]:
                self._fail(f"dtype {dtypes[0]} vs {dtypes[1]}")
        rec = self.rec
        self.per_example |= per_example
        rec.batches += 1
        if self.broken:
            return True
        if a.shape != b.shape:
            self._fail(f"batch {rec.batches - 1}: shape {list(a.shape)} vs {list(b.shape)}")
            rec.shape_a, rec.shape_b = list(a.shape), list(b.shape)
            return True
        rec.count += int(a.size)
        if a.dtype.kind in "OSUb":
            bad, per_abs = a != b, None
            rec.equal = rec.equal and not bad.any()
        else:
            bad, per_abs = self._numeric(a, b)
        differ = int(np.count_nonzero(bad))
        rec.mismatches += differ
        if per_example:
            self._examples(a, b, bad, per_abs, batch)
        return differ > 0

    def _numeric(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rec = self.rec
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        masks = [test(x) for test in (np.isnan, np.isinf) for x in (a64, b64)]
        for f, m in zip(_NONFINITE, masks):
            setattr(rec, f, getattr(rec, f) + int(m.sum()))
        nan_a, nan_b, inf_a, inf_b = masks
        finite = ~(nan_a | nan_b | inf_a | inf_b)
        keys, at = self._draw(a64.size)
        self._keep(keys, a64.reshape(-1)[at], b64.reshape(-1)[at])
        matching = (nan_a & nan_b) | (inf_a & inf_b & (a64 == b64))
        nonfinite_ok = matching & self.accept
        if not self.accept:
            self.refused += int(np.count_nonzero(matching))
        ref = np.abs(a64)
        with np.errstate(invalid="ignore", over="ignore"):
            err_all = np.where(finite, np.abs(b64 - a64), 0.0)
            bad = (finite & (err_all > rec.atol + rec.rtol * ref)) | (~finite & ~nonfinite_ok)
        if not np.array_equal(a, b, equal_nan=True):
            rec.equal = False
        err = err_all[finite]
        if err.size:
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = np.where(err == 0, 0.0, err / ref[finite])
            rec.max_abs = _max(rec.max_abs, float(err.max()))
            rec.max_rel = _max(rec.max_rel, float(rel.max()))
            self.sum_abs += Fraction(float(err.sum()))
            rel_inf = bool(np.isinf(rel).any())
            self.rel_inf |= rel_inf
            self.sum_rel += 0 if rel_inf else Fraction(float(rel.sum()))
            self.abs_hist.add(err)
            self.rel_hist.add(rel)
        return bad, np.where(finite, err_all, np.where(nonfinite_ok, 0.0, math.inf))

    def _examples(
        self, a: np.ndarray, b: np.ndarray, bad: np.ndarray, per: Any, batch: Batch | None
    ) -> None:
        rows = batch.rows if batch is not None else None
        if rows is None or a.ndim == 0 or a.shape[0] != rows:
            self.no_rows = (
                "no examples to follow (a sparse output is compared by its parts)"
                if rows is None
                else "the output is a scalar"
                if a.ndim == 0
                else f"the output's first dim ({a.shape[0]}) does not follow the batch's examples"
            )
            return
        flat_bad = bad.reshape(rows, -1).sum(axis=1)
        if per is None:
            score, ex_abs = flat_bad.astype(np.float64), None
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
                continue  # it would not enter the heap: not worth a record
            top = None if ex_abs is None else float(ex_abs[r])
            where, va, vb = batch.where[r], _values(a[r]), _values(b[r])
            said = batch.summary(int(r))
            w = WorstExample(idx, where, said, top, int(flat_bad[r]), list(a.shape[1:]), va, vb)
            self._push((s, -idx, idx, w))

    def _push(self, item: tuple[float, int, int, WorstExample]) -> None:
        if len(self.heap) < self.k:
            heapq.heappush(self.heap, item)
        elif item[:2] > self.heap[0][:2]:
            heapq.heapreplace(self.heap, item)

    def merge(self, other: _Output, offset: int = 0) -> None:
        heap = [
            (s, -(i + offset), i + offset, dataclasses.replace(w, index=i + offset))
            for s, _, i, w in other.heap
        ]
        if self.rec is None:
            self.__dict__.update(other.__dict__, heap=heap)
            return
        rec, o = self.rec, other.rec
        rec.batches += o.batches
        if not self.broken and (o.dtype_a, o.dtype_b) != (rec.dtype_a, rec.dtype_b):
            self._fail(f"dtype {rec.dtype_a} vs {o.dtype_b}")
        elif not self.broken and other.broken:
            self._fail(o.reason)
            rec.shape_a, rec.shape_b = o.shape_a, o.shape_b
        if self.broken:
            return
        for f in ("count", "mismatches", *_NONFINITE):
            setattr(rec, f, getattr(rec, f) + getattr(o, f))
        for f in ("refused", "sum_abs", "sum_rel", "examples", "failed"):
            setattr(self, f, getattr(self, f) + getattr(other, f))
        rec.equal = rec.equal and o.equal
        rec.max_abs, rec.max_rel = _max(rec.max_abs, o.max_abs), _max(rec.max_rel, o.max_rel)
        self.rel_inf |= other.rel_inf
        for h in ("abs_hist", "rel_hist", "ex_hist"):
            getattr(self, h).merge(getattr(other, h))
        self.per_example |= other.per_example
        self.no_rows = self.no_rows or other.no_rows
        self._keep(*other.sample)
        for item in heap:
            self._push(item)

    def result(self) -> tuple[OutputComparison, ExampleErrors | None]:
        rec = dataclasses.replace(self.rec)  # the figures so far: a shard reports, then merges
        if self.broken:  # not compared: no figures, a mismatch fraction of 1
            keep = ("key", "dtype_a", "dtype_b", "shape_a", "shape_b", "atol", "rtol", "reason")
            rec = OutputComparison(**{f: getattr(rec, f) for f in keep}, status=FAILED)
            rec.batches = self.rec.batches
        elif rec.count and rec.dtype_a not in ("string", "bool"):
            if n := self.abs_hist.total:
                rec.mean_abs = float(self.sum_abs / n)
                rec.mean_rel = math.inf if self.rel_inf else float(self.sum_rel / n)
                for kind, h in (("abs", self.abs_hist), ("rel", self.rel_hist)):
                    setattr(rec, f"median_{kind}", h.quantile(0.5))
                    setattr(rec, f"p99_{kind}", h.quantile(0.99))
            rec.hist_edges, rec.hist_counts = self.abs_hist.coarse()
            rec.hist_zeros = self.abs_hist.zeros
        if rec.mismatches and rec.status != FAILED:
            rec.status = FAILED
            differ = rec.mismatches - self.refused
            why = [f"{differ} of {rec.count} elements differ beyond tolerance"] if differ else []
            if self.refused:
                why.append(f"{self.refused} elements NaN/Inf on both sides: {ACCEPT_HINT}")
            rec.reason = "; ".join(why)
        if not self.per_example:
            return rec, None
        ex = ExampleErrors(self.key, self.examples, self.failed)
        if self.broken:
            ex.reason = f"not compared: {rec.reason}"
        elif self.no_rows and not self.examples:
            ex.reason = f"no per-example figures: {self.no_rows}"
        if self.examples and rec.dtype_a not in ("string", "bool"):
            h = self.ex_hist
            ex.quantiles = {f"p{round(q * 100)}": h.quantile(q) for q in (0.5, 0.9, 0.99)}
            ex.quantiles["max"] = math.inf if h.infs else h.max
            ex.hist_edges, ex.hist_counts = h.coarse()
            ex.hist_zeros = h.zeros
        ex.worst = [w for *_, w in sorted(self.heap, key=lambda t: (-t[0], t[2]))]
        return rec, ex


def _flatten_sparse(batch: Outputs) -> dict[str, Any]:
    out: dict[str, Any] = {}
    parts = ("indices", "values", "dense_shape")  # TF2's names for a TF1 sparse tensor's parts
    for k, v in batch.items():
        out.update({f"{k}_{a}": getattr(v, a) for a in parts} if is_sparse_like(v) else {k: v})
    return out


class Comparator:
    """v1 (``a``) against v2 (``b``) one batch at a time, keeping the ``worst`` examples, the
    first batch's arrays and a bounded sample of every batch's values."""

    def __init__(
        self, tolerance: Tolerance | None = None, *, worst: int = 5, name: str = "outputs"
    ) -> None:
        self.tolerance = tolerance or Tolerance()
        self.worst, self.name = worst, name
        self.outputs: dict[str, _Output] = {}
        self.arrays: dict[str, tuple[Any, Any]] = {}
        self.batches = 0

    def add(self, a: Outputs, b: Outputs, batch: Batch | None = None) -> set[str]:
        """One batch of outputs per side; ``batch``: its examples, for per-example figures.
        Returns the (flattened) keys on which this batch differs."""
        fa, fb = _flatten_sparse(a), _flatten_sparse(b)
        keys = set(self.outputs) if self.outputs else set(fa)
        if set(fa) != keys or set(fb) != keys:
            raise ParityError(
                f"batch {self.batches}: outputs differ between the sides (only in a: "
                f"{sorted(set(fa) - set(fb)) or '-'}; only in b: "
                f"{sorted(set(fb) - set(fa)) or '-'}): fetch the same output keys on both sides"
            )
        differ = set()
        for key in fa:
            if key not in self.outputs:
                self.outputs[key] = _Output(key, self.tolerance, self.worst)
            rows = batch if key in a else None
            if self.outputs[key].add(fa[key], fb[key], rows, batch is not None):
                differ.add(key)
            if self.batches == 0:
                self.arrays[key] = (np.asarray(fa[key]), np.asarray(fb[key]))
        self.batches += 1
        return differ

    def merge(self, other: Comparator, offset: int = 0) -> Comparator:
        """Fold in ``other`` (a later shard's batches); ``offset``: added to its example indices."""
        for key, out in other.outputs.items():
            self.outputs.setdefault(key, _Output(key, self.tolerance, self.worst))
            self.outputs[key].merge(out, offset)
            self.arrays.setdefault(key, other.arrays.get(key))
        self.batches += other.batches
        return self

    def report(self) -> ParityReport:
        if not self.batches or not self.outputs:
            what = (
                "the outputs are empty; fetch at least one output"
                if self.batches
                else "no batches of outputs were given; run at least one batch"
            )
            raise ParityError(f"nothing to compare: {what} (an empty comparison is never a pass)")
        results = {key: out.result() for key, out in self.outputs.items()}
        records, tol = {key: rec for key, (rec, _) in results.items()}, self.tolerance
        report = ParityReport(
            self.name, records, tol.atol, tol.rtol, self.batches, arrays=self.arrays
        )
        report.examples = {key: ex for key, (_, ex) in results.items() if ex is not None}
        ok = {k: o for k, o in self.outputs.items() if o.sample[0].size and not o.broken}
        report.samples = {k: o.sample[1:] for k, o in ok.items()}
        return report


def _as_batches(outputs: Outputs | Sequence[Outputs], side: str) -> list[Outputs]:
    batches = [outputs] if isinstance(outputs, Mapping) else list(outputs)
    for i, b in enumerate(batches):
        if not isinstance(b, Mapping):
            raise ParityError(
                f"outputs_{side}[{i}] is a {type(b).__name__}, not a dict of arrays: pass one "
                "dict (one batch) or a list of dicts (one per batch)"
            )
    return batches


def compare(
    outputs_a: Outputs | Sequence[Outputs],
    outputs_b: Outputs | Sequence[Outputs],
    tolerance: Tolerance | None = None,
    *,
    atol: float | None = None,
    rtol: float | None = None,
    per_output: Mapping[str, Any] | None = None,
    name: str = "outputs",
) -> ParityReport:
    """Compare outputs ``a`` (v1) with ``b`` (v2) element by element: key -> array for one batch,
    or a list of such dicts (sparse values part by part, ``key_values``...). ``ParityError``:
    nothing to compare, or batches or keys that differ between the sides."""
    batches_a, batches_b = _as_batches(outputs_a, "a"), _as_batches(outputs_b, "b")
    if len(batches_a) != len(batches_b):
        raise ParityError(
            f"side a has {len(batches_a)} batches and side b {len(batches_b)}: give both sides "
            "the same feeds"
        )
    acc = Comparator(Tolerance.given(tolerance, atol, rtol, per_output), name=name)
    for a, b in zip(batches_a, batches_b):
        acc.add(a, b)
    return acc.report()
