"""``tf1-explorer reference MODEL OUT_DIR``: write ``reference.py`` and the ``feeds.npz`` it
replays. Run the script where the model served (TensorFlow 1.4 to 1.15 or 2.x, numpy, Python
3.5+); prove a conversion against its ``reference.npz`` with ``parity``/``migrate --reference``."""

from __future__ import annotations

import argparse

from explorer.cli import _common as cli
from explorer.cli._progress import step
from explorer.cli.parity import add_feed_args, feed_kwargs


def register(sub: argparse._SubParsersAction) -> None:
    p = cli.add_verb(
        sub,
        "reference",
        run,
        "write a script recording the outputs under the TensorFlow that served the model",
        "Write OUT_DIR/reference.py and the feeds.npz it replays: run it with TensorFlow 1.x "
        "(or 2.x) to record reference.npz for parity/migrate --reference.",
        *cli.OUTPUT,
    )
    cli.add_tensor_args(p, "record")
    add_feed_args(p)


def run(args: argparse.Namespace) -> int:
    from explorer.comparing.reference import reference

    model = cli.load_model(args)
    source, what = feed_kwargs(args)["source"], cli.custom_tensors(args)
    with step("sampling the feeds"):
        out = reference(
            model, args.out_dir, source, signatures=args.signature, **what, overwrite=args.overwrite
        )
    script, ref = out / "reference.py", out / "reference.npz"
    if args.json:
        cli.print_json({"output_dir": str(out), "script": str(script), "reference": str(ref)})
        return 0
    print(f"{out}: reference.py and feeds.npz")
    print(f"  run where the model served: python {script} [MODEL]")
    print(f"  then: tf1-explorer migrate {model.path} OUT_DIR --reference {ref}")
    return 0
