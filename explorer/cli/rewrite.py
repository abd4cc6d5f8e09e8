"""``tf1-explorer rewrite MODEL OUT_DIR``: the TF1 graph as a native Keras 3 model, proved against
the v1 session per Keras backend (and training steps: :mod:`explorer.rewriting.train_step`)."""

from __future__ import annotations

import argparse

from explorer.cli import _common as cli
from explorer.cli.parity import NONFINITE, nonfinite
from explorer.comparing.records import Tolerance
from explorer.errors import ConversionError
from explorer.output_policy import check_output, staged_folder

TRAINING_DIR = "training"  # OUT_DIR/training: the loss rewrite and the TF1 optimizer state


def register(sub: argparse._SubParsersAction) -> None:
    cli.add_verb(
        sub,
        "rewrite",
        run,
        "rewrite the TF1 graph as a native Keras 3 model (source + weights + parity report)",
        "Rewrite the TF1 graph as readable Keras 3 source (one layer per recognised pattern), "
        "its weights file and a parity report: model.py, model.weights.h5 and parity.json in "
        "OUT_DIR (written to a temporary folder and renamed into place); --train-check adds "
        "OUT_DIR/training (model.py with training_model(), optimizer.npz, train_check.json). "
        "Exit 0 when every output matches v1 on every backend, 1 when not (the files are still "
        "written).",
        *cli.OUTPUT,
        *cli.tensor_options("rewrite"),
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
        (
            "--train-check",
            "also run TF1 training steps and the same Keras steps (restored optimizer) and "
            "compare loss, gradients, weights and slots",
            cli.FLAG,
        ),
        ("--train-steps", "training steps to compare", {"type": int, "default": 5}),
        cli.UNSAFE,
    )


def run(args: argparse.Namespace) -> int:
    from explorer.feeding.feeds import Feeds
    from explorer.rewriting.api import to_keras
    from explorer.rewriting.train_step import TOLERANCE, train_check

    if args.signature and len(args.signature) > 1:
        raise ConversionError("rewrite takes one --signature (one Keras model per signature)")
    feeds = [dict(Feeds.load(args.feed))] if args.feed else None
    model = cli.load_model(args)
    check_output(args.out_dir, model, args.overwrite)  # before the long work
    backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    rw = to_keras(
        model,
        inputs=args.inputs,
        outputs=args.outputs,
        signature=args.signature[0] if args.signature else None,
        check=not args.no_check,
        backends=backends,
        feeds=feeds,
        atol=args.atol,
        rtol=args.rtol,
        nonfinite=nonfinite(args),
        allow_unsafe=args.allow_unsafe,
    )
    train = None
    if args.train_check:
        tol = Tolerance(args.atol, max(args.rtol, TOLERANCE.rtol), nonfinite=nonfinite(args))
        train = train_check(
            model,
            steps=args.train_steps,
            backends=backends,
            tolerance=tol,
            allow_unsafe=args.allow_unsafe,
        )
    with staged_folder(args.out_dir, model, args.overwrite, "Keras rewrite") as staging:
        rw._write(staging.path)
        if train:
            train.write(staging.path / TRAINING_DIR)
        out = staging.publish()
    report = rw.parity
    passed = (args.no_check or bool(report.get("passed"))) and (train is None or train.passed)
    if args.json:
        extra = {"train_check": train.summary()} if train else {}
        cli.print_json({**rw.summary(), **extra, "output_dir": str(out)})
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
        if train:
            plan = train.plan
            sched = f", schedule {plan.schedule['class']}" if plan.schedule else ""
            print(
                f"train check: {'passed' if train.passed else 'FAILED'}, {train.steps} steps of "
                f"{plan.tf1_optimizer} -> keras {plan.optimizer}{sched} from iteration "
                f"{plan.iterations}, loss {plan.loss}"
            )
            for backend, res in train.backends.items():
                for s in res["steps"]:
                    diffs = ", ".join(f"{k} {v:.3g}" for k, v in s["max_abs"].items())
                    verdict = "ok" if s["passed"] else "FAILED"
                    print(f"  {backend} step {s['step']}: {verdict}, max abs {diffs}")
            if train.first_failure:
                print(f"  first difference: {train.first_failure}")
            for why in plan.not_covered:
                print(f"  not covered: {why}")
            print(f"  proved: {'; '.join(train.proved)}")
            print(
                f"  resume: import model; m = model.training_model(restore=True)  "
                f"(in {out / TRAINING_DIR})"
            )
    return 0 if passed else 1
