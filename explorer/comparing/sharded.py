"""Sharded parity (issue 28): a data source split by file (:func:`shards`), each shard run by the
one parity loop on a Dask worker, the comparators merged in file order (:func:`stream`): the
report one process gives, but for the batch count and timings (docs/guides/parity.md)."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from explorer.errors import ExplorerError, ParityError, first_line
from explorer.feeding.data.sources import DataSource, ImageSource
from explorer.loading.model import V1Model, load

BATCHES_PER_SHARD = 16  # an image folder (a record a file) is split in runs of whole batches


def shards(source: Any) -> list[DataSource]:
    """``source`` split in file order, a source per file (images: runs of whole batches; arrays
    in memory stay one), paths absolute. ParityError: not a data source, or a ``limit``."""
    if not isinstance(source, DataSource):
        raise ParityError(
            "workers split the files of a data source: give source=explorer.data(FILES) "
            "(CLI: --data), or drop workers/scheduler"
        )
    if source.limit is not None:
        raise ParityError(
            f"limit={source.limit} takes the first records in file order, which one process "
            "reads: drop the limit (CLI: --limit) or the workers (--workers/--scheduler)"
        )
    if not source.paths:  # arrays in memory: shipped as they are
        return [source]
    size = source.batch_size * BATCHES_PER_SHARD if isinstance(source, ImageSource) else 1
    out = []
    for i in range(0, len(source.paths), size):
        part = copy.copy(source)
        part.paths = [p.resolve() for p in source.paths[i : i + size]]  # a worker's cwd differs
        out.append(part)
    return out


@contextlib.contextmanager
def cluster(
    workers: int | str | None = None, scheduler: Any = None, most: int = 0
) -> Iterator[Any]:
    """A Dask client of ``scheduler`` (an address or a cluster), else of a local cluster of
    ``workers`` processes (``"auto"``: one per core; at most ``most``) closed with the block."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        if workers is not None:
            raise ParityError("give workers (a local cluster) or a scheduler (a running one)")
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as e:
            raise ParityError(
                f"no Dask scheduler answers at {scheduler} ({first_line(e)}): start one "
                "(`dask scheduler`, workers with `dask worker ADDRESS`) or drop --scheduler"
            ) from None
        with client:
            yield client
        return
    n = (os.cpu_count() or 1) if workers == "auto" else workers
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ParityError(f"workers={workers!r}: give a number of processes >= 1, or 'auto'")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):  # a crash: said once
        local = LocalCluster(
            n_workers=min(n, most or n),
            threads_per_worker=1,  # one shard at a time a process: TensorFlow has its own threads
            processes=True,
            dashboard_address=":0",  # a free port (8787 may be taken)
            silence_logs=logging.ERROR,
        )
    with local, Client(local) as client:
        yield client


def run(
    client: Any,
    fn: Callable[..., Any],
    parts: Sequence[DataSource],
    *args: Any,
    done: Callable[[Any], None] | None = None,
) -> list[Any]:
    """``fn(part, *args)`` for every part on the workers, the results in part order (``done``
    told each as it arrives). The first part to fail cancels the rest and raises one line naming
    its files: its error's class if an ExplorerError, else ParityError."""
    from distributed import as_completed

    futures = [client.submit(fn, part, *args, pure=False) for part in parts]
    index = {f.key: i for i, f in enumerate(futures)}
    out: list[Any] = [None] * len(parts)
    try:
        for future in as_completed(futures):
            i = index[future.key]
            if future.status == "finished":
                out[i] = future.result()
                if done is not None:
                    done(out[i])
                continue
            e, part = future.exception(), parts[i]
            files = ", ".join(str(p) for p in part.paths[:2]) + " ..." * (len(part.paths) > 2)
            where = f"{files or part.describe()} (shard {i + 1} of {len(parts)})"
            if isinstance(e, ExplorerError):
                raise type(e)(f"{where}: {first_line(e)}")
            raise ParityError(
                f"{where}: its Dask worker failed ({type(e).__name__}: {first_line(e)}): compare "
                "that file in one process (no --workers) to see why"
            )
    finally:
        client.cancel(futures)
    return out


def stream(
    client: Any,
    fn: Callable[..., Any],
    parts: Sequence[DataSource],
    plan: Any,
    target: Any,
    *args: Any,
) -> Any:
    """``fn(part, plan, target, *args)`` (a parity ``_Run`` of one part) on the workers
    (``plan.progress`` told here), merged: the first shard's run with every shard's comparator
    merged in, in order, its report made afresh, every shard's nondeterministic keys."""
    t0, count, tell = time.perf_counter(), [0], plan.progress or (lambda *_: None)

    def done(run: Any) -> None:
        count[0] += run.report.data["examples"]
        tell(target.name, count[0], None)

    ship = dataclasses.replace(plan, progress=None)
    runs = run(client, fn, parts, ship, target, *args, done=done)
    tell(target.name, count[0], count[0])  # the end: total known
    seconds = time.perf_counter() - t0
    acc, before = runs[0].acc, 0
    for prev, shard in zip(runs, runs[1:]):
        before += prev.report.data["examples"]
        acc.merge(shard.acc, offset=before)
    report = acc.report()
    report.notes.extend(runs[0].report.notes)
    data = [r.report.data for r in runs]
    n = sum(d["examples"] for d in data)
    spent = {k: round(sum(d["seconds"][k] for d in data), 4) for k in data[0]["seconds"]}
    report.data = {
        **data[0],
        "source": plan.source.describe(),
        "examples": n,
        "seconds": {**spent, "total": round(seconds, 4)},  # the others: summed over the shards
        "examples_per_second": round(n / seconds, 1) if seconds > 0 else None,
        "steady_examples_per_second": None,  # each shard's first batch is cold
        "shards": len(runs),
    }
    nondet = set().union(*(r.nondet for r in runs))
    return dataclasses.replace(runs[0], report=report, nondet=nondet, acc=acc)


def model_at(v1: V1Model) -> tuple[str, dict[str, Any], str]:
    """What a worker needs to load ``v1`` itself: its path, load options and graph's digest."""
    options = {
        "tags": list(v1.tags),
        "replacements": v1.replacements or None,
        "op_libraries": v1.op_libraries,
    }
    return str(Path(v1.path).resolve()), options, _digest(v1)


def load_at(at: tuple[str, dict[str, Any], str]) -> V1Model:
    """The model :func:`model_at` describes, loaded here; ParityError if it is another graph."""
    path, options, digest = at
    v1 = load(path, **options)
    if _digest(v1) != digest:
        raise ParityError(
            f"{path} as a worker loads it is not the model compared (changed on disk, or in "
            "memory only): save the model to a path every worker reads and compare that"
        )
    return v1


def _digest(v1: V1Model) -> str:
    return hashlib.sha256(v1.graph_def.SerializeToString(deterministic=True)).hexdigest()
