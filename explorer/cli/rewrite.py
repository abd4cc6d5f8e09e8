"""``tf1-explorer rewrite MODEL OUT_DIR [--signature S | --inputs A ... --outputs Y ...]``: a native
Keras 3 model (``model.py``, ``model.weights.h5``) rewritten from the TF1 graph, with
``parity.json`` proving it against the v1 session on the TensorFlow and JAX backends."""

from __future__ import annotations

import argparse

from explorer.cli import _common as cli
from explorer.cli.parity import NONFINITE, nonfinite
from explorer.errors import ConversionError
from explorer.output_policy import check_output


def register(sub: argparse._SubParsersAction) -> None:
    p = cli.add_verb(
        sub,
        "rewrite",
        run,
        "rewrite the TF1 graph as a native Keras 3 model (source + weights + parity report)",
        "Rewrite the TF1 graph as readable Keras 3 source (one layer per recognised pattern), "
        "its weights file and a parity report: model.py, model.weights.h5 and parity.json in "
        "OUT_DIR (written to a temporary folder and renamed into place). Exit 0 when every "
        "output matches v1 on every backend, 1 when not (the files are still written).",
        *cli.OUTPUT,
    )
    cli.add_tensor_args(p, "rewrite")
    cli.add_options(
        p,
        (
            "--backends",
            "comma-separated Keras backends to check in fresh processes (default: %(default)s)",
            {"default": "tensorflow,jax"},
        ),
        ("--no-check", "write the files without the check", cli.FLAG),
        ("--feed", "also check on these feeds", {"metavar": "in.npz"}),
        ("--atol", None, {"type": float, "default": 1e-5}),
        ("--rtol", None, {"type": float, "default": 1e-5}),
        NONFINITE,
        cli.UNSAFE,
    )


def run(args: argparse.Namespace) -> int:
    from explorer.feeding.feeds import Feeds
    from explorer.rewriting.api import to_keras

    if args.signature and len(args.signature) > 1:
        raise ConversionError("rewrite takes one --signature (one Keras model per signature)")
    feeds = [dict(Feeds.load(args.feed))] if args.feed else None
    model = cli.load_model(args)
    check_output(args.out_dir, model, args.overwrite)  # before the long work
    rw = to_keras(
        model,
        inputs=args.inputs,
        outputs=args.outputs,
        signature=args.signature[0] if args.signature else None,
        check=not args.no_check,
        backends=tuple(b.strip() for b in args.backends.split(",") if b.strip()),
        feeds=feeds,
        atol=args.atol,
        rtol=args.rtol,
        nonfinite=nonfinite(args),
        allow_unsafe=args.allow_unsafe,
    )
    out = rw.save(args.out_dir, overwrite=args.overwrite)
    report = rw.parity
    if args.json:
        cli.print_json({**rw.summary(), "output_dir": str(out)})
    else:
        print(f"{out}  ({len(rw.native_layers)} native steps, {len(rw.fallbacks)} fallbacks)")
        for f in rw.fallbacks:
            print(f"  fallback {f['layer']}: {', '.join(f['replaces'][:6])}")
        for backend, res in report.get("backends", {}).items():
            status = "passed" if res["passed"] else "FAILED"
            outs = res["outputs"].values()
            worst = max((o.get("max_abs") or 0.0 for o in outs), default=0.0)
            rel = max((o.get("max_rel") or 0.0 for o in outs), default=0.0)
            why = f" ({res['error']})" if res.get("error") else ""
            nan = [f"{k} ({o['nonfinite']})" for k, o in res["outputs"].items() if "nonfinite" in o]
            why += f", NaN/Inf in {', '.join(nan)}" if nan else ""
            print(f"  {backend}: {status}, max abs error {worst:.3g}, max rel {rel:.3g}{why}")
        print(f"  use: import model; m = model.build_model()  (in {out})")
    return 0 if args.no_check or report.get("passed") else 1
