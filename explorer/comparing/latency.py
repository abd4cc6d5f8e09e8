"""Which artifact to serve: :func:`latency_table` times runners (v1 session, TF2 SavedModel,
ONNX Runtime, ...) on the same feeds through ``Runner.infer``, interleaved (each round calls every
runner once, the order rotating) after warm-up calls; per-call medians in milliseconds."""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Iterable, Mapping
from contextlib import ExitStack
from typing import Any

from explorer.errors import ExplorerError, first_line
from explorer.running.base import Runner


@dataclasses.dataclass(frozen=True)
class Timing:
    """One artifact at one batch size: the median call (ms) and examples per second over
    ``rounds`` calls; ``error`` (one line) when it could not run those feeds."""

    artifact: str
    batch: int
    ms: float | None = None
    per_second: float | None = None
    rounds: int = 0
    error: str = ""


@dataclasses.dataclass(frozen=True)
class LatencyTable:
    """Every :class:`Timing`; ``proven``: the artifacts parity proved (the ones to serve)."""

    timings: tuple[Timing, ...]
    proven: tuple[str, ...]

    def fastest(self, batch: int) -> str | None:
        """The proven artifact with the lowest median at ``batch``."""
        ok = [t for t in self.timings if t.batch == batch and t.ms and t.artifact in self.proven]
        return min(ok, key=lambda t: t.ms).artifact if ok else None

    @property
    def serve(self) -> str | None:
        """The fastest proven artifact at the smallest batch (one request at a time)."""
        return self.fastest(min(t.batch for t in self.timings)) if self.timings else None

    def to_json(self) -> dict[str, Any]:
        """``{"artifacts": {name: {batch: {"ms", "examples_per_second", "rounds"} | {"error"}}},
        "proven", "fastest": {batch: name}, "serve"}``."""
        rows: dict[str, dict[str, Any]] = {}
        for t in self.timings:
            cell = {"ms": t.ms, "examples_per_second": t.per_second, "rounds": t.rounds}
            rows.setdefault(t.artifact, {})[str(t.batch)] = {"error": t.error} if t.error else cell
        fastest = {str(b): self.fastest(b) for b in sorted({t.batch for t in self.timings})}
        serve = self.serve
        return {"artifacts": rows, "proven": [*self.proven], "fastest": fastest, "serve": serve}

    def lines(self) -> list[str]:
        """The table as text: a line per artifact and batch, then which to serve."""
        out = []
        for t in self.timings:
            mark = "" if t.artifact in self.proven else " (not proven)"
            if t.error:
                out.append(f"  {t.artifact:<15} batch {t.batch:>3}: {t.error}")
            else:
                out.append(
                    f"  {t.artifact:<15} batch {t.batch:>3}: {t.ms:.3f} ms, "
                    f"{t.per_second:,.0f} examples/s{mark}"
                )
        fastest = {b: self.fastest(b) for b in sorted({t.batch for t in self.timings})}
        if self.serve:
            by = ", ".join(f"{n} at batch {b}" for b, n in fastest.items() if n)
            out.append(f"  serve: {self.serve} (fastest proven: {by})")
        return out


def latency_table(
    runners: Mapping[str, Runner],
    feeds: Mapping[int, Mapping[str, Any]],
    proven: Iterable[str] | None = None,
    *,
    warmup: int = 2,
    rounds: tuple[int, int] = (5, 200),
    seconds: float = 0.25,
) -> LatencyTable:
    """Time ``runners`` (name -> runner; started here and stopped after) on ``feeds`` (batch
    size -> feeds keyed as the runners' inputs; each runner gets the keys it takes): ``warmup``
    calls each, then interleaved rounds until ``seconds`` have passed per batch size: at least
    ``rounds[0]`` (unless that takes 10x as long: a heavy model), at most ``rounds[1]``.
    ``proven``: the names to serve (default all)."""
    timings = []
    with ExitStack() as stack:
        for r in runners.values():
            stack.enter_context(r)
        for batch, given in feeds.items():
            live, times = {}, {}
            for name, r in runners.items():
                mine = {k: v for k, v in given.items() if k in r.input_specs}
                try:
                    for _ in range(warmup):
                        r.infer(mine)
                except ExplorerError as e:
                    timings.append(Timing(name, batch, error=first_line(e, 200)))
                    continue
                live[name], times[name] = mine, []
            order, start, i = list(live), time.perf_counter(), 0
            while live and i < rounds[1]:
                spent = time.perf_counter() - start
                if spent > seconds and (i >= rounds[0] or spent > 10 * seconds):
                    break
                for name in order[i % len(order) :] + order[: i % len(order)]:
                    runners[name].infer(live[name])
                    times[name].append(runners[name].last_seconds)
                i += 1
            for name, ts in times.items():
                med = statistics.median(ts)
                per_second = round(batch / med, 1) if med > 0 else None
                timings.append(Timing(name, batch, round(med * 1e3, 4), per_second, len(ts)))
    names = list(runners)
    timings.sort(key=lambda t: (names.index(t.artifact), t.batch))
    return LatencyTable(tuple(timings), tuple(names if proven is None else proven))
