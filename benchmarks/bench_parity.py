"""first_divergence costs one run per side: its runs against one inference, same run, same feeds.

For each model, ``REPS`` times from a fresh conversion: the fetch-everything runs of
``first_divergence`` (v1 session.run of every shared tensor + one call of the v2 graph pruned to
all of them; both the first run of a fresh graph) against one inference per side (a fresh
V1Runner's first ``infer`` + a fresh V2Runner's first ``infer``, cold too), and against warm
inferences (median of 20). Cold single runs on a shared machine swing by 2x, so the ratios are
medians over the repetitions. Where random ops make v1 run twice (the example MLP's dropout), the
self-check run's seconds are reported apart: it repeats the same fetches on the warm session.
Prints one JSON object. Target (issue 6): ratio_cold <= 3.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TF1_SHARED_MODELS", ROOT.parent / "shared" / "models"))


def _models(tmp: Path) -> dict[str, Path]:
    from explorer.examples.models import build_mlp

    out = {"example_mlp_frozen": build_mlp(tmp / "mlp", "frozen_pb")}
    fc = SHARED / "tf2onnx_fc_layers_frozen" / "frozen.pb"
    if fc.exists():
        out["tf2onnx_fc_layers_frozen"] = fc
    return out


def bench_model(path: Path, batch: int = 64, warm: int = 20, reps: int = 5) -> dict[str, float]:
    """Medians over ``reps`` fresh conversions of ``path`` (seconds and ratios)."""
    from explorer import load

    model = load(path)
    runs = [_one(model, batch, warm) for _ in range(reps)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    return {
        "shared_tensors": int(med.pop("shared_tensors")),
        "runs_v1": int(med.pop("runs_v1")),
        "runs_v2": int(med.pop("runs_v2")),
        "reps": reps,
        **med,
        "ratio_cold_max": max(r["ratio_cold"] for r in runs),
    }


def _one(model: Any, batch: int, warm: int) -> dict[str, float]:
    from explorer import convert, first_divergence
    from explorer.conversion.v2_model import V2Runner
    from explorer.running.v1_runner import V1Runner

    v2 = convert(model)
    with V1Runner(model) as r1, V2Runner(v2) as r2:
        feeds = dict(r1.sample(batch=batch, seed=0))
        r1.infer(feeds)
        r2.infer(feeds)
        cold = r1.times[0] + r2.times[0]
        for _ in range(warm):
            r1.infer(feeds)
            r2.infer(feeds)
        warm_s = statistics.median(r1.times[1:]) + statistics.median(r2.times[1:])
    div = first_divergence(model, v2, feeds)
    runs_s = div.seconds["v1"] + div.seconds["v2"]
    self_check = div.seconds.get("v1_self_check", 0.0)
    return {
        "shared_tensors": len(div.steps),
        "runs_v1": div.runs["v1"],
        "runs_v2": div.runs["v2"],
        "divergence_runs_s": runs_s,
        "v1_self_check_s": self_check,
        "one_inference_cold_s": cold,
        "one_inference_warm_s": warm_s,
        "ratio_cold": runs_s / cold,
        "ratio_cold_without_self_check": (runs_s - self_check) / cold,
        "ratio_warm": runs_s / warm_s,
    }


def main() -> int:
    """Run the benchmark; prints JSON; returns 0 when every median ratio_cold is <= 3."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with tempfile.TemporaryDirectory() as tmp:
        results = {name: bench_model(p) for name, p in _models(Path(tmp)).items()}
    print(json.dumps({"bench": "parity.first_divergence", "results": results}, indent=2))
    return 0 if all(r["ratio_cold"] <= 3 for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
