"""Outputs(v1) x Outputs(v2) -> :class:`~explorer.records.ParityReport`: are the numbers
the same?

:func:`compare` checks two sets of outputs (one batch or several) output by output: dtype and
shape, absolute/relative error statistics, mismatch fraction, NaN/Inf counts, exact equality. The
next steps of the flow build on it: :func:`explorer.parity` (``parity_run.py``) drives both
runners on the same feeds, after checking that v1 agrees with itself (outputs behind stateful
random ops are *nondeterministic*, not failed), and :func:`explorer.first_divergence`
(``divergence.py``) finds the earliest op whose output differs between the two graphs. The
records they return live in ``parity_records.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from explorer.comparing.records import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    FAILED,
    OutputComparison,
    ParityReport,
)
from explorer.errors import ParityError

HIST_BINS_PER_DECADE = 4


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
