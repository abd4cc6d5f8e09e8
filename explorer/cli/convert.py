"""``tf1-explorer convert MODEL OUT_DIR``: a TF2 SavedModel that plain ``tf.saved_model.load``
reads, or (``--to onnx``) a ``NAME.onnx`` per signature for onnxruntime."""

from __future__ import annotations

import argparse

from explorer.cli import _common as cli
from explorer.output_policy import check_output


def register(sub: argparse._SubParsersAction) -> None:
    cli.add_verb(
        sub,
        "convert",
        run,
        "convert a TF1 model to a TF2 SavedModel (same signature names and keys)",
        "Convert a TF1 model to a TF2 SavedModel that loads with plain "
        "tf.saved_model.load(OUT_DIR); reference variables become resource variables.",
        *cli.OUTPUT,
        *cli.tensor_options("convert"),
        ("--freeze", "fold variables into constants", cli.FLAG),
        ("--to", "what to write: saved_model or onnx", {"default": "saved_model"}),
        (
            "--shape",
            "shape of the TF2 signature's input NAME (-1: unknown), e.g. x:0=-1,784; repeatable",
            cli.REPEAT | {"metavar": "NAME=D0,D1"},
        ),
        cli.UNSAFE,
        cli.TIMEOUT,
    )


def run(args: argparse.Namespace) -> int:
    from explorer.conversion.build import convert

    model = cli.load_model(args)
    check_output(args.out_dir, model, args.overwrite)  # before the long work
    onnx = args.to == "onnx"
    with cli.step(f"converting to {'ONNX' if onnx else 'TF2'}"):
        v2 = convert(
            model,
            signatures=args.signature,
            inputs=args.inputs,
            outputs=args.outputs,
            freeze=args.freeze,
            allow_unsafe=args.allow_unsafe,
            shapes=cli.parse_shapes(args.shape),
            to=args.to,
        )
    with cli.step(f"saving {args.out_dir}"):
        out = v2.save(args.out_dir, overwrite=args.overwrite)
    summary = v2.summary(out)
    hub = None if onnx else v2.extra_meta.get("tf1_hub_module")  # its update ops and losses
    if hub is not None:
        summary["hub_module"] = hub
    if args.json:
        return cli.print_json(summary)
    if onnx:
        print(f"{out}  (ONNX opset {v2.opset}): {', '.join(summary['files'].values())}")
        print("  run with: onnxruntime.InferenceSession(PATH).run(None, feeds)")
        return 0
    kind = "frozen, " if v2.frozen else ""
    print(f"{out}  ({kind}{summary['variables']} variables)")
    for name, sig in v2.signatures.items():
        ins = ", ".join(sig.inputs) or "no inputs"
        print(f"  signature {name}: {ins} -> {', '.join(sig.outputs)}")
    if hub is not None and hub["update_ops"]:
        runs = ", ".join(f"{k} ({n})" for k, n in hub["update_ops"].items())
        print(f"  update ops (tag set {','.join(hub['tags'])}) run on each call of: {runs}")
    if hub is not None and (losses := hub["regularization_losses"]):
        print(f"  regularization losses: {losses}, as regularization_losses()")
    print(f"  load with: tf.saved_model.load({str(out)!r}).signatures[NAME](**feeds)")
    return 0
