"""``tf1-explorer reference MODEL OUT_DIR``: ``reference.py`` and its ``feeds.npz``, to run where
the model served; ``parity``/``migrate --reference OUT_DIR/reference.npz`` prove against it."""

from __future__ import annotations

import argparse

from explorer.cli import _common as cli
from explorer.cli.parity import add_feed_args, feed_kwargs


def register(sub: argparse._SubParsersAction) -> None:
    p = cli.add_verb(
        sub,
        "reference",
        run,
        "write reference.py, to record outputs under the TensorFlow that served the model",
        None,
        *cli.OUTPUT,
        *cli.tensor_options("record"),
    )
    add_feed_args(p)


def run(args: argparse.Namespace) -> int:
    from explorer.comparing.parity_check import reference

    model = cli.load_model(args)
    kwargs = {**cli.custom_tensors(args), "signatures": args.signature, "overwrite": args.overwrite}
    with cli.step("sampling the feeds"):
        out = reference(model, args.out_dir, feed_kwargs(args)["source"], **kwargs)
    script, ref = out / "reference.py", out / "reference.npz"
    if args.json:
        cli.print_json({"output_dir": str(out), "script": str(script), "reference": str(ref)})
    else:
        print(f"{out}: run `python {script} [MODEL]` where the model served, then")
        print(f"  tf1-explorer migrate {model.path} OUT_DIR --reference {ref}")
    return 0
