"""Which artifact to serve: :func:`latency_table` times runners (v1 session, TF2 SavedModel, ONNX
Runtime, ...) on the same feeds through ``Runner.infer``, interleaved (each round calls every
runner once, the order rotating) after warm-up calls; per-call medians."""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any

from explorer.errors import ExplorerError, first_line
from explorer.running.base import Runner

BATCHES = (1, 32)  # batch 1 and a larger batch: what migrate and the ParityView time


def against_v1(
    v1: Any,
    label: str,
    artifact: Runner,
    seed: int,
    batches: tuple[int, ...] = BATCHES,
    **given: Any,
) -> dict[str, Any]:
    """:func:`latency_table` of the v1 session ``v1`` (a ``V1Runner``) and the proven ``artifact``
    (named ``label``) on feeds ``v1`` samples at ``batches`` with ``seed`` (``given``: the sample's
    shapes/ranges); a batch size the model cannot take (a fixed batch) is not timed."""
    feeds = {}
    for batch in batches:
        try:
            feeds[batch] = v1.sample(batch, seed, **given)
        except ExplorerError:
            continue
    return latency_table({"v1 session": v1, label: artifact}, feeds)


def latency_table(
    runners: Mapping[str, Runner],
    feeds: Mapping[int, Mapping[str, Any]],
    *,
    warmup: int = 2,
    rounds: tuple[int, int] = (5, 200),
    seconds: float = 0.25,
) -> dict[str, Any]:
    """Time ``runners`` (name -> runner; those not yet started are started and stopped here, so
    parity's own runners are timed as they are: ``parity(then=)``) on ``feeds`` (batch -> feeds,
    each runner given its keys): ``warmup`` calls, then rounds for ``seconds`` per batch, at least
    ``rounds[0]`` (unless those would take 10x as long at each runner's best pace: one stalled
    call does not end the timing), at most ``rounds[1]``. -> ``{"artifacts": {name: {batch:
    {"ms" (median), "examples_per_second", "rounds"} | {"error"}}}, "fastest": {batch: name},
    "serve"}`` (the fastest at the smallest batch)."""
    table: dict[str, dict[str, Any]] = {name: {} for name in runners}
    with ExitStack() as stack:
        for r in runners.values():
            if not r.is_active:
                stack.enter_context(r)
        for batch, given in feeds.items():
            live, times, best = {}, {}, {}
            for name, r in runners.items():
                mine = {k: v for k, v in given.items() if k in r.input_specs}
                best[name] = float("inf")  # the runner's fastest call yet (warmup included)
                try:
                    for _ in range(warmup):
                        r.infer(mine)
                        best[name] = min(best[name], r.last_seconds)
                        if r.last_seconds > seconds:  # one call only where one is slow
                            break
                except ExplorerError as e:
                    table[name][str(batch)] = {"error": first_line(e, 200)}
                    continue
                live[name], times[name] = mine, []
            order, start, i = list(live), time.perf_counter(), 0
            while live and i < rounds[1]:
                spent = time.perf_counter() - start
                paced = i * sum(best[n] for n in live)  # what the rounds took without stalls
                if spent > seconds and (i >= rounds[0] or paced > 10 * seconds):
                    break
                for name in order[i % len(order) :] + order[: i % len(order)]:
                    runners[name].infer(live[name])
                    times[name].append(runners[name].last_seconds)
                    best[name] = min(best[name], runners[name].last_seconds)
                i += 1
            for name, ts in times.items():
                med = statistics.median(ts)
                cell = {"ms": round(med * 1e3, 4), "examples_per_second": round(batch / med, 1)}
                table[name][str(batch)] = {**cell, "rounds": len(ts)}
    fastest = {}
    for b in sorted(feeds):
        timed = [n for n in runners if "ms" in table[n][str(b)]]
        fastest[str(b)] = min(timed, key=lambda n: table[n][str(b)]["ms"], default=None)
    serve = fastest[str(min(feeds))] if feeds else None
    return {"artifacts": table, "fastest": fastest, "serve": serve}
