"""Latency of the artifacts ``migrate`` hands over vs the v1 session, on the shared fc-layers model.

At batch 1 and 64, in one process, through the one runner interface (``Runner.infer``) and
:func:`explorer.comparing.latency.latency_table` (the table ``migrate`` prints: warm-up calls,
then interleaved rounds in rotating order), it reports the median per-call time of:

* ``v1 session``: ``V1Runner`` (``session.run``; the baseline, ratio 1.0);
* ``TF2 SavedModel``: ``V2Runner`` over the saved conversion, loaded back;
* ``ONNX Runtime``: ``OnnxRunner`` over the saved ``convert(..., to="onnx")`` export;

and the ratio of each median to the session's, with the largest absolute difference of its
outputs from the session's on the same feeds. Run: ``python -m benchmarks.bench_latency
[--seconds S]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT.parent / "shared" / "models" / "tf2onnx_fc_layers_frozen"
IO = {"inputs": ["X:0"], "outputs": ["output:0"]}


def bench(seconds: float = 2.0, batches: tuple[int, ...] = (1, 64)) -> list[dict[str, Any]]:
    """One row per (batch, artifact): median µs, ratio to the v1 session, max abs error."""
    import explorer
    from explorer.comparing.latency import latency_table
    from explorer.conversion.onnx import OnnxRunner
    from explorer.running.v1_runner import V1Runner

    model = explorer.load(MODEL)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as d:
        saved = explorer.convert(model, **IO).save(Path(d) / "tf2")
        onnx = explorer.convert(model, **IO, to="onnx").save(Path(d) / "onnx")
        r1 = V1Runner(model, **IO)
        runners = {
            "v1 session": r1,
            "TF2 SavedModel": explorer.V2Runner(saved),
            "ONNX Runtime": OnnxRunner(onnx),
        }
        feeds = {b: r1.sample(batch=b, seed=b) for b in batches}
        errors = {}
        for b, f in feeds.items():
            outs = {}
            for name, r in runners.items():
                with r:
                    outs[name] = r.infer(f)["output:0"]
            for name, out in outs.items():
                errors[name, b] = float(np.max(np.abs(out - outs["v1 session"])))
        table = latency_table(runners, feeds, warmup=5, rounds=(50, 100_000), seconds=seconds)
    for b in batches:
        cells = {name: table["artifacts"][name][str(b)] for name in runners}
        for name, cell in cells.items():
            rows.append(
                {
                    "batch": b,
                    "artifact": name,
                    "median_us": cell["ms"] * 1e3,
                    "ratio_vs_session": cell["ms"] / cells["v1 session"]["ms"],
                    "rounds": cell["rounds"],
                    "max_abs": errors[name, b],
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=2.0, help="timing per batch size (2)")
    args = p.parse_args(argv)
    if not MODEL.exists():
        print(f"skip: {MODEL} not found")
        return 0
    rows = bench(args.seconds)
    print(f"{'batch':>5} {'artifact':15} {'median µs':>10} {'ratio':>7} {'rounds':>7}  max abs")
    row = "{batch:>5} {artifact:15} {median_us:>10.1f} {ratio_vs_session:>7.2f} {rounds:>7}  "
    print(*(row.format(**r) + f"{r['max_abs']:.2g}" for r in rows), sep="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
