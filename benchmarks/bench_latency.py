"""Latency of the artifacts ``migrate`` hands over vs the v1 session, on the example MLP and shared
models (fc-layers, the MNIST GAN's generator, half_plus_two).

At batch 1 and 64, in one process per model, through the one runner interface (``Runner.infer``)
and :func:`explorer.comparing.latency.latency_table` (the table ``migrate`` prints: warm-up calls,
then interleaved rounds in rotating order), it reports the median per-call time of:

* ``v1 session``: ``V1Runner`` (``session.run``; the baseline, ratio 1.0);
* ``TF2 SavedModel``: ``V2Runner`` over the saved conversion, loaded back;
* ``TF2 frozen``: the same of ``convert(..., freeze=True)`` (constants, no variable reads);
* ``ONNX Runtime``: ``OnnxRunner`` over the saved ``convert(..., to="onnx")`` export;

and the ratio of each median to the session's, with the largest absolute difference of its
outputs from the session's on the same feeds. Run: ``python -m benchmarks.bench_latency
[--seconds S] [--models NAME ...]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "models"
MODELS: dict[str, tuple[str, dict[str, Any]]] = {  # name -> (shared folder or "", convert io)
    "mlp": ("", {}),
    "fc_layers": ("tf2onnx_fc_layers_frozen", {"inputs": ["X:0"], "outputs": ["output:0"]}),
    "mnist_gan": ("chadpro_mnist_gan_ckpt", {"inputs": ["z:0"], "outputs": ["Tanh:0"]}),
    "half_plus_two": ("serving_half_plus_two", {"signatures": ["serving_default"]}),
}


def bench(
    name: str = "fc_layers", seconds: float = 2.0, batches: tuple[int, ...] = (1, 64)
) -> list[dict[str, Any]]:
    """One row per (batch, artifact) of model ``name``: median µs, ratio to the v1 session, max
    abs error."""
    import explorer
    from explorer.comparing.latency import latency_table
    from explorer.conversion.onnx import OnnxRunner
    from explorer.errors import ExplorerError, first_line
    from explorer.examples.models import build_mlp
    from explorer.running.v1_runner import V1Runner

    folder, io = MODELS[name]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as d:
        model = explorer.load(SHARED / folder if folder else build_mlp(Path(d) / "mlp"))
        sig = {"signature": io["signatures"][0]} if "signatures" in io else io
        r1 = V1Runner(model, **sig)
        runners: dict[str, Any] = {"v1 session": r1}
        made = {
            "TF2 SavedModel": lambda: explorer.V2Runner(
                explorer.convert(model, **io).save(Path(d) / "tf2")
            ),
            "TF2 frozen": lambda: explorer.V2Runner(
                explorer.convert(model, **io, freeze=True).save(Path(d) / "frozen")
            ),
            "ONNX Runtime": lambda: OnnxRunner(
                explorer.convert(model, **io, to="onnx").save(Path(d) / "onnx")
            ),
        }
        for label, make in made.items():
            try:
                runners[label] = make()
            except ExplorerError as e:
                print(f"{name}: no {label} ({first_line(e, 120)})")
        feeds = {b: r1.sample(batch=b, seed=b) for b in batches}
        errors = {}
        for b, f in feeds.items():
            outs = {}
            for label, r in runners.items():
                with r:
                    outs[label] = r.infer(f)
            for label, out in outs.items():
                errors[label, b] = max(
                    float(np.max(np.abs(out[k] - v), initial=0))
                    for k, v in outs["v1 session"].items()
                )
        table = latency_table(runners, feeds, warmup=5, rounds=(50, 100_000), seconds=seconds)
    for b in batches:
        cells = {label: table["artifacts"][label][str(b)] for label in runners}
        for label, cell in cells.items():
            rows.append(
                {
                    "model": name,
                    "batch": b,
                    "artifact": label,
                    "median_us": cell["ms"] * 1e3,
                    "ratio_vs_session": cell["ms"] / cells["v1 session"]["ms"],
                    "rounds": cell["rounds"],
                    "max_abs": errors[label, b],
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=2.0, help="timing per batch size (2)")
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    args = p.parse_args(argv)
    head = f"{'model':13} {'batch':>5} {'artifact':15} {'median µs':>10} {'ratio':>6} {'rounds':>7}"
    print(f"{head}  max abs")
    row = "{model:13} {batch:>5} {artifact:15} {median_us:>10.1f} {ratio_vs_session:>6.2f} "
    for name in args.models:
        folder = MODELS[name][0]
        if folder and not (SHARED / folder).exists():
            print(f"skip {name}: {SHARED / folder} not found")
            continue
        for r in bench(name, args.seconds):
            print(row.format(**r) + f"{r['rounds']:>7}  {r['max_abs']:.2g}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
