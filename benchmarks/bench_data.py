"""Parity on the user's own data: memory bound of streaming, and throughput against v1 directly.

1. **Memory** (issue 16: peak for 100,000 records within 2x of one batch's working set). The
   example Estimator-style model (serialized tf.Example input) and a TFRecord of ``RECORDS``
   examples; each measurement runs in a fresh child process: load, convert, then
   ``parity(..., explorer.data(..., limit=L))`` with a sampler thread reading the process RSS
   every 2 ms and ``tracemalloc`` on. The working set of a run is its peak minus the RSS (or
   traced bytes) just before it. ``L = batch_size`` gives one batch's working set (the runners'
   start, warm-up and one batch), ``L = RECORDS`` the whole stream; the ratios are whole / one
   batch (target <= 2).
2. **Throughput** on ``tfx_chicago_taxi_serving`` (``serving_default``), ``CHICAGO`` tf.Example
   trips in batches of 256: streaming parity (read, check each batch with the graph's parse spec,
   v1 twice for the self-check, v2, compare) in examples/s, against calling the v1 session
   directly (``tf.compat.v1.saved_model.load`` + ``session.run`` on the same batches, read into
   memory beforehand, first run apart). Each parity call starts fresh runners, whose first runs
   are cold, so the steady rate (after the first batch) is what more data costs; its ratio to
   plain v1 is the price of the proof per example, in plain v1 inferences.

Prints one JSON object. ``python -m benchmarks.bench_data [--records N] [--batch B]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TF1_SHARED_MODELS", ROOT.parent / "shared" / "models"))
RECORDS = 100_000
BATCH = 1024
CHICAGO = 32768


def _write_records(path: Path, n: int) -> None:
    from tests.feeding.data.files import parser_example, write_tfrecord

    write_tfrecord(path, (parser_example(i % 997) for i in range(n)))


def _child(model: str, records: str, limit: int, batch: int) -> dict[str, Any]:
    """In a fresh process: one parity run over ``limit`` records, its memory working set."""
    code = f"""
import json, os, threading, time, tracemalloc
import explorer
page = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page
model = explorer.load({model!r})
v2 = explorer.convert(model, ["predict"])
src = explorer.data({records!r}, batch_size={batch}, limit={limit})
peak = [0]
stop = threading.Event()
def sample():
    while not stop.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.002)
base = rss()
tracemalloc.start()
py_base = tracemalloc.get_traced_memory()[0]
t = threading.Thread(target=sample); t.start()
t0 = time.perf_counter()
s = explorer.parity(model, v2, "predict", src)
dt = time.perf_counter() - t0
stop.set(); t.join()
py_peak = tracemalloc.get_traced_memory()[1]
rep = s["predict"]
print(json.dumps({{"examples": rep.data["examples"], "passed": s.passed, "seconds": dt,
    "rss_base": base, "rss_peak": max(peak[0], rss()), "py_working_set": py_peak - py_base}}))
"""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr else "child failed")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["rss_working_set"] = res["rss_peak"] - res["rss_base"]
    return res


def bench_memory(records: int, batch: int) -> dict[str, Any]:
    from explorer.examples.models import build_example_parser_model

    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        model = build_example_parser_model(Path(tmp) / "model")
        path = Path(tmp) / "examples.tfrecord"
        t = time.perf_counter()
        _write_records(path, records)
        written = time.perf_counter() - t
        one = _child(str(model), str(path), batch, batch)
        whole = _child(str(model), str(path), records, batch)
        mib = 2**20
        return {
            "records": records,
            "batch_size": batch,
            "file_mib": round(path.stat().st_size / mib, 2),
            "write_seconds": round(written, 2),
            "one_batch": {
                "rss_working_set_mib": round(one["rss_working_set"] / mib, 2),
                "py_working_set_mib": round(one["py_working_set"] / mib, 2),
                "seconds": round(one["seconds"], 2),
            },
            "all_records": {
                "examples": whole["examples"],
                "passed": whole["passed"],
                "rss_working_set_mib": round(whole["rss_working_set"] / mib, 2),
                "py_working_set_mib": round(whole["py_working_set"] / mib, 2),
                "seconds": round(whole["seconds"], 2),
                "examples_per_second": round(whole["examples"] / whole["seconds"], 1),
            },
            "ratio_rss": round(whole["rss_working_set"] / max(one["rss_working_set"], 1), 3),
            "ratio_py": round(whole["py_working_set"] / max(one["py_working_set"], 1), 3),
            "target_ratio": 2.0,
        }


def bench_throughput(n: int = CHICAGO, batch: int = 256) -> dict[str, Any] | None:
    """Streaming parity against plain v1 ``session.run`` on chicago-taxi, same batches."""
    import numpy as np

    import explorer
    from explorer._tf import tf
    from tests.feeding.data.files import chicago_examples, write_tfrecord

    path = SHARED / "tfx_chicago_taxi_serving"
    if not path.is_dir():
        return None
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        records = write_tfrecord(Path(tmp) / "trips.tfrecord", chicago_examples(path / "assets", n))
        model = explorer.load(path)
        v2 = explorer.convert(model, ["serving_default"])
        src = explorer.data(records, batch_size=batch)
        warm = explorer.data(records, batch_size=batch, limit=batch)
        explorer.parity(model, v2, "serving_default", warm)  # warm caches
        t = time.perf_counter()
        summary = explorer.parity(model, v2, "serving_default", src)
        parity_s = time.perf_counter() - t
        rep = summary["serving_default"]
        # v1 directly: the plain TF1 loader and session.run, batches read beforehand
        from tensorflow.python.util import deprecation

        with deprecation.silence():
            raw = list(tf().compat.v1.io.tf_record_iterator(str(records)))
        batches = [np.array(raw[i : i + batch], dtype=object) for i in range(0, n, batch)]
        sig = model.signature("serving_default")
        g = tf().Graph()
        with tf().compat.v1.Session(graph=g) as sess, deprecation.silence():
            tf().compat.v1.saved_model.loader.load(sess, ["serve"], str(path))
            fetches = [s.name for s in sig.outputs.values()]
            feed = sig.inputs["inputs"].name
            t = time.perf_counter()
            sess.run(fetches, {feed: batches[0]})  # the first run of a fresh session: cold
            cold_s = time.perf_counter() - t
            t = time.perf_counter()
            for b in batches:
                sess.run(fetches, {feed: b})
            direct_s = time.perf_counter() - t
    steady = rep.data["steady_examples_per_second"]
    return {
        "model": "tfx_chicago_taxi_serving/serving_default",
        "examples": rep.data["examples"],
        "batch_size": batch,
        "passed": summary.passed,
        "parity_examples_per_second": round(n / parity_s, 1),
        "parity_seconds": {**rep.data["seconds"], "wall": round(parity_s, 3)},
        "parity_steady_examples_per_second": steady,
        "v1_direct_examples_per_second": round(n / direct_s, 1),
        "v1_direct_seconds": round(direct_s, 3),
        "v1_direct_first_run_seconds": round(cold_s, 3),
        "steady_cost_in_v1_inferences": round((n / direct_s) / steady, 2),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=int, default=RECORDS)
    p.add_argument("--batch", type=int, default=BATCH)
    p.add_argument("--chicago", type=int, default=CHICAGO)
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    out = {"memory": bench_memory(args.records, args.batch)}
    out["throughput"] = bench_throughput(args.chicago)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
