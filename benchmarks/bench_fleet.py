"""A fleet run against the sequential loop it replaces: ``tf1-explorer migrate`` over the same
models one after another (a process each, as a user's shell loop runs it), then
``explorer.fleet`` over them on an embedded Dask cluster of one worker per core. Prints both
wall times, their ratio and each model's status.

Run: ``python -m benchmarks.bench_fleet [ROOT] [--models N]`` (default: the first 4 models
of ``../shared/models``, by name; ``--models 0``: all of them)."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from explorer.fleets.workers import discover, fleet, names

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "models"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root", nargs="?", default=str(SHARED))
    ap.add_argument("--models", type=int, default=4)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    root = Path(args.root).resolve()
    models = discover(root)[: args.models or None]
    with tempfile.TemporaryDirectory() as tmp:
        listed = Path(tmp) / "models.list"
        listed.write_text("".join(f"{m}\n" for m in models))
        t0 = time.perf_counter()
        codes = {}
        for m, name in names(models).items():
            out = Path(tmp) / "loop" / name
            cmd = [sys.executable, "-m", "explorer", "--quiet", "migrate", str(m), str(out)]
            codes[name] = subprocess.run(cmd, capture_output=True, check=False).returncode
        loop = time.perf_counter() - t0
        report = fleet(listed, Path(tmp) / "fleet", workers=args.workers)
    print(f"{len(models)} models, {report.workers} workers")
    for r in report.results:
        said = r.proved_text() if r.status == "migrated" else r.cause
        print(f"  {r.status:<10} {r.seconds:7.1f} s  {r.name}  {said[:100]}")
    same = sum((codes[r.name] == 0) == (r.status == "migrated") for r in report.results)
    print(f"migrated by the fleet where the loop's migrate exited 0: {same} of {len(codes)}")
    print(f"sequential migrate loop: {loop:.1f} s; fleet: {report.seconds:.1f} s")
    print(f"fleet is {loop / report.seconds:.2f}x the sequential loop's speed")


if __name__ == "__main__":
    main()
