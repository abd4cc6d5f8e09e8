"""Sharded parity (issue 28): throughput of ``parity`` over many TFRecord files split across Dask
worker processes, against the single-process streaming parity on the same records.

The example MLP (``x[None,4] -> probs, logits``, saved and converted once) and ``FILES`` TFRecord
files of ``RECORDS`` tf.Examples each, in batches of ``BATCH``. Single: ``explorer.parity(model,
v2, source)`` in this process, after a warm-up run on one file. Sharded: the same call with
``scheduler=`` a ``LocalCluster`` of 1, then 2 worker processes (one thread each), started
beforehand: the first run is cold (each worker imports TensorFlow), the next are warm (each shard
still loads both models: the per-file cost); the best of ``REPS``. The ratios are sharded
examples/s over single; ``same_report``: the merged report equals the single one, timings apart.
Prints one JSON object. ``python -m benchmarks.bench_sharded_parity [--files N] [--records N]``.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FILES = 2
RECORDS = 192 * 1024  # whole batches: the batch count is the single run's too
BATCH = 1024
REPS = 2


def _write(root: Path, files: int, records: int) -> list[Path]:
    import numpy as np
    from tensorflow.core.example import example_pb2

    from tests.feeding.data.files import write_tfrecord

    rng = np.random.default_rng(0)

    def example(x: Any) -> bytes:
        ex = example_pb2.Example()
        ex.features.feature["x"].float_list.value.extend(x.tolist())
        return ex.SerializeToString()

    rows = rng.normal(size=(records, 4)).astype(np.float32)
    return [write_tfrecord(root / f"{i}.tfrecord", map(example, rows)) for i in range(files)]


def _timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def _report(summary: Any) -> dict[str, Any]:
    """The summary's JSON without timings."""
    out = summary.to_json()["signatures"]
    for rep in out.values():
        rep.pop("data", None)
    return out


def bench(files: int = FILES, records: int = RECORDS, batch: int = BATCH) -> dict[str, Any]:
    import dask
    from distributed import LocalCluster

    import explorer
    from explorer.examples.models import build_mlp

    n = files * records
    with tempfile.TemporaryDirectory(prefix="bench-shard-") as tmp:
        root = Path(tmp)
        paths = _write(root, files, records)
        model = explorer.load(build_mlp(root / "mlp"))
        v2 = explorer.convert(model).save(root / "v2")
        source = explorer.data(paths, batch_size=batch)
        explorer.parity(model, v2, source=explorer.data(paths[0], batch_size=batch, limit=batch))
        single_s, single = _timed(lambda: explorer.parity(model, v2, source=source))
        out: dict[str, Any] = {
            "files": files,
            "records": n,
            "batch_size": batch,
            "cores": os.cpu_count(),
            "single": {"seconds": round(single_s, 3), "examples_per_second": round(n / single_s)},
        }
        for workers in (1, 2):
            with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                )
            with cluster:
                at = cluster.scheduler_address
                run = functools.partial(explorer.parity, model, v2, source=source, scheduler=at)
                cold_s, summary = _timed(run)
                warm_s = min(_timed(run)[0] for _ in range(REPS))
            rate = n / warm_s
            out[f"workers_{workers}"] = {
                "cold_seconds": round(cold_s, 3),
                "warm_seconds": round(warm_s, 3),
                "examples_per_second": round(rate),
                "ratio_to_single": round(rate / (n / single_s), 3),
                "cold_ratio_to_single": round(single_s / cold_s, 3),
                "same_report": _report(summary) == _report(single),
            }
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--files", type=int, default=FILES)
    p.add_argument("--records", type=int, default=RECORDS, help="records per file")
    p.add_argument("--batch", type=int, default=BATCH)
    args = p.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(ROOT))
    result = bench(args.files, args.records, args.batch)
    print(json.dumps({"bench": "sharded_parity", **result}, indent=2))


if __name__ == "__main__":
    main()
