"""Streaming parity's cost: v1 inferences per example proven, and examples proven per second.

``explorer.parity(model, convert(model), explorer.data(arrays, batch_size=B), remedy=True)`` over
``--examples`` rows on: the example MLP (deterministic), the shared fc-layers model, and a graph
adding ``random_uniform`` to its input (v1 disagrees with itself: found on the first batch, then
remedied by a seeded copy run in two sessions). Every example v1 runs is counted by wrapping
``V1Runner._run`` (rows fed), self-checks and remedy reruns included, divided by the examples of
the final report; ``report.data["v1_runs_per_example"]`` (parity's own count) is shown beside it.
Beside it, the cost in time: plain v1 ``V1Runner.infer`` examples/s on the same batches over
parity's steady rate, and the same on chicago-taxi (``bench_data.bench_throughput``: about 5
plain v1 inferences per example proven before issue 26). Target (issue 26): <= 3 per example
proven. Prints one JSON object; exit 1 above the target.
Run: ``python -m benchmarks.bench_parity_cost [--examples N] [--batch-size B]``; run as a script
with ``PYTHONPATH=OTHER_CHECKOUT`` to count another version's runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bench_data import bench_throughput

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TF1_SHARED_MODELS", ROOT.parent / "shared" / "models"))
TARGET = 3.0


def _noisy(path: Path) -> Path:
    """x[None,8] -> x + random_uniform: nondeterministic in v1."""
    from explorer._tf import tf

    v1 = tf().compat.v1
    g = tf().Graph()
    with g.as_default():
        x = v1.placeholder(tf().float32, [None, 8], name="x")
        tf().add(x, v1.random_uniform(tf().shape(x)), name="noisy")
    path.write_bytes(g.as_graph_def().SerializeToString())
    return path


def cases(tmp: Path) -> dict[str, tuple[Path, dict[str, list[str]], int]]:
    """name -> (model, io, input width)."""
    from explorer.examples.models import build_mlp

    out = {
        "example_mlp": (build_mlp(tmp / "mlp", "frozen_pb"), {}, 4),
        "random_uniform_remedied": (_noisy(tmp / "noisy.pb"), {}, 8),
    }
    fc = SHARED / "tf2onnx_fc_layers_frozen"
    if fc.exists():
        out["tf2onnx_fc_layers_frozen"] = (fc, {"inputs": ["X:0"], "outputs": ["output:0"]}, 784)
    return out


def bench_case(path: Path, io: dict[str, list[str]], width: int, n: int, batch: int) -> dict:
    import explorer
    from explorer.running.v1_runner import V1Runner

    model = explorer.load(path)
    v2 = explorer.convert(model, **io)
    x = np.random.default_rng(0).uniform(-1, 1, (n, width)).astype(np.float32)
    name = io.get("inputs", ["x:0"])[0]
    rows = {"calls": 0, "examples": 0}
    run = V1Runner._run

    def counted(self: V1Runner, feeds: dict[str, Any]) -> dict[str, Any]:
        rows["calls"] += 1
        rows["examples"] += max((len(v) for v in feeds.values() if np.ndim(v)), default=1)
        return run(self, feeds)

    V1Runner._run = counted  # type: ignore[method-assign]
    try:
        t = time.perf_counter()
        summary = explorer.parity(
            model, v2, source=explorer.data({name: x}, batch_size=batch), remedy=True, **io
        )
        wall = time.perf_counter() - t
    finally:
        V1Runner._run = run  # type: ignore[method-assign]
    report = next(iter(summary.reports.values()))
    proven = report.data["examples"]
    with V1Runner(model, **io) as r1:  # plain v1 on the same batches, warm
        r1.infer({name: x[:batch]})
        t = time.perf_counter()
        for i in range(0, n, batch):
            r1.infer({name: x[i : i + batch]})
        plain = n / (time.perf_counter() - t)
    steady = report.data.get("steady_examples_per_second")
    return {
        "status": report.status,
        "remedy": report.remedy or None,
        "examples": proven,
        "v1_runs": rows["calls"],
        "v1_inferences_per_example": round(rows["examples"] / proven, 3),
        "reported_v1_runs_per_example": report.data.get("v1_runs_per_example"),
        "examples_per_second": round(proven / wall, 1),
        "steady_examples_per_second": steady,
        "v1_plain_examples_per_second": round(plain, 1),
        "steady_cost_in_v1_inferences": round(plain / steady, 2) if steady else None,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--examples", type=int, default=4096)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--chicago", type=int, default=16384, help="chicago-taxi trips (bench_data)")
    args = p.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with tempfile.TemporaryDirectory(prefix="bench-parity-cost-") as d:
        results = {
            name: bench_case(*case, args.examples, args.batch_size)
            for name, case in cases(Path(d)).items()
        }
    chicago = bench_throughput(args.chicago)  # the figure: about 5 before
    if chicago is not None:
        results["tfx_chicago_taxi_serving"] = chicago
    print(json.dumps({"bench": "parity_cost", "target": TARGET, "results": results}, indent=2))
    ok = all(r.get("v1_inferences_per_example", 0) <= TARGET for r in results.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
