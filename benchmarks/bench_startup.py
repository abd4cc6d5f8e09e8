"""Wall time of ``tf1-explorer inspect`` on the fc-layers frozen graph against
``python -c "import tensorflow"``, both as fresh processes, interleaved, in the same run.

``inspect`` reads protobufs only and imports no TensorFlow (the op registry comes from the
cached table of :mod:`explorer.graph.runtime`, built once before timing), so it should cost a
small fraction of one TensorFlow import: target ratio ≤ 0.2. The first run of each is a warm-up
(file cache, the op table) and is not counted; the medians of the rest are compared.

Run: ``python -m benchmarks startup`` or ``python -m benchmarks.bench_startup [--repeats N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = (
    Path(os.environ.get("TF1_SHARED_MODELS", ROOT.parent / "shared" / "models"))
    / "tf2onnx_fc_layers_frozen"
    / "frozen.pb"
)
TARGET = 0.2


def _time(cmd: list[str], env: dict[str, str]) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=str(ROOT))
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"bench_startup: {' '.join(cmd[1:3])} failed: {last}")
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_startup")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs of each (default 5)")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    if not MODEL.exists():
        print(f"  skipped: {MODEL} not found (set TF1_SHARED_MODELS)")
        return
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    inspect = [sys.executable, "-m", "explorer", "inspect", str(MODEL)]
    import_tf = [sys.executable, "-c", "import tensorflow"]
    _time(inspect, env), _time(import_tf, env)  # warm-up: file cache, the op table
    ours, theirs = [], []
    for _ in range(args.repeats):
        ours.append(_time(inspect, env))
        theirs.append(_time(import_tf, env))
    a, b = statistics.median(ours), statistics.median(theirs)
    ratio = a / b
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(f"  tf1-explorer inspect fc-layers  median {a * 1e3:7.0f} ms  ({args.repeats} runs)")
    print(f"  python -c 'import tensorflow'   median {b * 1e3:7.0f} ms")
    print(f"  ratio {ratio:.3f} ({verdict} the target ≤ {TARGET})")


if __name__ == "__main__":
    main()
