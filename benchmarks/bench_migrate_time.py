"""``migrate``'s wall time against the hand-written migration's, same model, same feeds.

For each model, ``tf1-explorer reference MODEL DIR`` writes ``reference.py`` and the feeds parity
samples; then, interleaved for ``--rounds`` rounds in one run, fresh processes are timed:
``python benchmarks/hand_migration.py DIR OUT`` (issue 26's baseline: a v1 run, frozen, a pruned
``wrap_function``, saved, loaded back fresh and compared), ``python -m explorer migrate MODEL OUT``
and, for scale, ``python reference.py`` (the v1 run alone). The ratio of the medians of migrate
and the hand-written migration is the figure (target, issue 26: <= 1.3). ``--also PATH`` times
``migrate`` from another checkout too (e.g. main: the time before a change), in the same rounds.
Prints one JSON object; exit 1 above the target.
Run: ``python -m benchmarks.bench_migrate_time [--rounds N] [--also PATH] [MODEL ...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TF1_SHARED_MODELS", ROOT.parent / "shared" / "models"))
TARGET = 1.3
SHARED_MODELS = ("tf2onnx_fc_layers_frozen", "serving_half_plus_two", "chadpro_mnist_gan_ckpt")


def models(tmp: Path, names: list[str]) -> dict[str, Path]:
    """The example MLP (a SavedModel built here) and the shared models present."""
    from explorer.examples.models import build_mlp

    out = {"example_mlp": build_mlp(tmp / "mlp")}
    for name in names:
        if (SHARED / name).exists():
            out[name] = SHARED / name
    return out


def _timed(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=cwd)
    took = time.perf_counter() - t
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
        raise RuntimeError(f"{' '.join(cmd[:4])} exit {proc.returncode}: {tail}")
    return took


def bench_model(path: Path, tmp: Path, rounds: int, also: Path | None) -> dict[str, object]:
    """Median wall seconds of the reference script and of migrate (and migrate from ``also``)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    ref = tmp / f"ref-{path.name}"
    explorer = [sys.executable, "-m", "explorer"]
    _timed([*explorer, "reference", str(path), str(ref)], env)  # writes the script, untimed
    hand = [sys.executable, str(ROOT / "benchmarks" / "hand_migration.py"), str(ref)]
    sides = {
        "hand_migration": ([*hand, str(tmp / "hand")], env, ROOT),
        "reference_script": ([sys.executable, str(ref / "reference.py")], env, ROOT),
        "migrate": ([*explorer, "migrate", str(path), str(tmp / "out"), "--overwrite"], env, ROOT),
    }
    if also is not None:  # run there: ``-m`` puts the working folder first on the path
        cmd = [*sides["migrate"][0][:-2], str(tmp / "out2"), "--overwrite"]
        sides["migrate_also"] = (cmd, {**env, "PYTHONPATH": str(also)}, also)
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, (cmd, e, cwd) in sides.items():
            shutil.rmtree(tmp / "hand", ignore_errors=True)
            times[name].append(_timed(cmd, e, cwd))
    shutil.rmtree(ref, ignore_errors=True)
    med = {name: round(statistics.median(ts), 2) for name, ts in times.items()}
    out: dict[str, object] = {"seconds": med, "rounds": rounds}
    out["ratio"] = round(med["migrate"] / med["hand_migration"], 3)
    out["ratio_to_v1_run"] = round(med["migrate"] / med["reference_script"], 3)
    if also is not None:
        out["ratio_also"] = round(med["migrate_also"] / med["hand_migration"], 3)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", nargs="*", default=list(SHARED_MODELS), help="shared model names")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--also", type=Path, help="another checkout whose migrate is timed too")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-migrate-") as d:
        tmp = Path(d)
        found = models(tmp, args.models)
        results = {}
        for name, m in found.items():
            results[name] = bench_model(m, tmp, args.rounds, args.also)
            print(f"{name}: {json.dumps(results[name])}", file=sys.stderr, flush=True)
    print(json.dumps({"bench": "migrate_time", "target": TARGET, "results": results}, indent=2))
    return 0 if all(r["ratio"] <= TARGET for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
