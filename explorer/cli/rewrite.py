"""``tf1-explorer rewrite MODEL OUT_DIR [--signature S | --inputs A ... --outputs Y ...]``: a native
Keras 3 model (``model.py``, ``model.weights.h5``) rewritten from the TF1 graph, with
``parity.json`` proving it against the v1 session on the TensorFlow and JAX backends."""

from __future__ import annotations

import argparse

from explorer.cli._common import (
    add_output_args,
    add_tensor_args,
    add_unsafe_arg,
    add_verb,
    load_model,
    print_json,
)
from explorer.cli.parity import add_nonfinite_arg, nonfinite
from explorer.errors import ConversionError, plain
from explorer.output_policy import check_output


def register(sub: argparse._SubParsersAction) -> None:
    p = add_verb(
        sub,
        "rewrite",
        run,
        "rewrite the TF1 graph as a native Keras 3 model (source + weights + parity report)",
        "Rewrite the TF1 graph as readable Keras 3 source (one layer per recognised pattern), "
        "its weights file and a parity report: model.py, model.weights.h5 and parity.json in "
        "OUT_DIR (written to a temporary folder and renamed into place). Exit 0 when every "
        "output matches v1 on every backend, 1 when not (the files are still written).",
    )
    add_output_args(p)
    add_tensor_args(p, "rewrite")
    p.add_argument(
        "--backends",
        default="tensorflow,jax",
        help="comma-separated Keras backends to check in fresh processes (default: %(default)s)",
    )
    p.add_argument("--no-check", action="store_true", help="write the files without the check")
    p.add_argument("--feed", default=None, metavar="in.npz", help="also check on these feeds")
    p.add_argument("--atol", type=float, default=1e-5)
    p.add_argument("--rtol", type=float, default=1e-5)
    add_nonfinite_arg(p)
    add_unsafe_arg(p)


def run(args: argparse.Namespace) -> int:
    from explorer.rewriting.api import to_keras

    if args.signature and len(args.signature) > 1:
        raise ConversionError("rewrite takes one --signature (one Keras model per signature)")
    feeds = None
    if args.feed:
        from explorer.feeding.feeds import Feeds

        feeds = [dict(Feeds.load(args.feed))]
    model = load_model(args)
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
        print_json({**rw.summary(), "output_dir": str(out)})
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
            outputs = res["outputs"].items()
            nan = [f"{plain(k)} ({o['nonfinite']})" for k, o in outputs if "nonfinite" in o]
            why += f", NaN/Inf in {', '.join(nan)}" if nan else ""
            print(f"  {backend}: {status}, max abs error {worst:.3g}, max rel {rel:.3g}{why}")
        print(f"  use: import model; m = model.build_model()  (in {out})")
    if args.no_check:
        return 0
    return 0 if report.get("passed") else 1
