"""``tf1-explorer run MODEL``: run a v1 session once on generated or given feeds (inputs missing
from ``--feed`` are generated). ``--json``: dtype and shape of each feed (``inferred: {shape,
reasons, notes}`` where the graph decided it), dtype, shape, min, max and mean of each output
(``null`` statistics for strings, empty arrays and all-non-finite values)."""

from __future__ import annotations

import argparse

from explorer.cli import _common as cli
from explorer.errors import FeedError
from explorer.graph.names import shape_text
from explorer.output_policy import check_output


def register(sub: argparse._SubParsersAction) -> None:
    cli.add_verb(
        sub,
        "run",
        run,
        "run the model's v1 session once on sample data (tf.Example inputs included)",
        "Run a TF1 model once in a v1 session on generated or given feeds.",
        ("--signature", "signature to run (default: serving_default or the only)"),
        ("--inputs", "comma-separated tensor names to feed (with --outputs)", {"type": _names}),
        ("--outputs", "comma-separated tensor names to fetch", {"type": _names}),
        ("--batch", "batch size of generated feeds (1)", {"type": int, "default": 1}),
        ("--seed", "seed of generated feeds (0)", {"type": int, "default": 0}),
        ("--low", "low end of generated floats (-1)", {"type": float, "default": -1.0}),
        ("--high", "high end of generated floats (1)", {"type": float, "default": 1.0}),
        ("--feed", "feeds to use (others are generated)", {"metavar": "IN.npz"}),
        ("--save", "write the outputs to this .npz", {"metavar": "OUT.npz"}),
        ("--save-feeds", "write the feeds used to this .npz", {"metavar": "FEEDS.npz"}),
        ("--overwrite", "replace existing --save files", cli.FLAG),
        ("--max-mb", "refuse feeds above this many MiB (1024)", {"type": float, "default": 1024.0}),
        *cli.FEED_SHAPES,
        cli.UNSAFE,
        cli.TIMEOUT,
    )


def _names(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def run(args: argparse.Namespace) -> int:
    from explorer.feeding.feeds import Feeds, summarize
    from explorer.running.v1_runner import V1Runner

    if args.batch < 1:
        raise FeedError(f"--batch {args.batch} must be at least 1")
    if args.inputs is not None and args.outputs is None:
        raise FeedError("--inputs needs --outputs: name the tensors to fetch")
    runner = V1Runner(
        cli.load_model(args),
        signature=args.signature,
        inputs=args.inputs,
        outputs=args.outputs,
        allow_unsafe=args.allow_unsafe,
        max_bytes=int(args.max_mb * 2**20),
        timeout=args.timeout,
    )
    for path in filter(None, (args.save, args.save_feeds)):  # before the run
        check_output(path, runner.model, args.overwrite, folder=False)
    feeds = runner.sample(
        batch=args.batch,
        seed=args.seed,
        overrides=Feeds.load(args.feed) if args.feed else None,
        value_range=(args.low, args.high),
        max_bytes=runner.max_bytes,
        shapes=cli.parse_shapes(args.shape),
        ranges=cli.parse_ranges(args.range),
    )
    with runner:
        outputs = runner.infer(feeds)
    saves = {"outputs": (args.save, Feeds(outputs)), "feeds": (args.save_feeds, feeds)}
    for what, (path, saved) in saves.items():
        if path:
            saved.save(path, args.overwrite, runner.model, f"the {what}")
    report = {
        "signature": runner.signature_name,
        "inputs": {k: summarize(v, stats=False) for k, v in feeds.items()},
        "outputs": {k: summarize(v) for k, v in outputs.items()},
        "seconds": runner.last_seconds or 0.0,
    }
    for key, inferred in feeds.shapes.items():  # how the graph decided a generated input's shape
        if key in report["inputs"] and (inferred["reasons"] or inferred["notes"]):
            report["inputs"][key]["inferred"] = inferred
    if args.json:
        return cli.print_json(report)
    what = f"signature {runner.signature_name}" if runner.signature_name else "tensors"
    print(f"{runner.model.path}  ({what}, {report['seconds'] * 1e3:.2f} ms)")
    for note in feeds.notes:
        print(f"  note  {note}")
    for key, d in report["inputs"].items():
        print(f"  <- {key}: {d['dtype']}{shape_text(d['shape'])}")
    for key, d in report["outputs"].items():
        stats = ""
        if d["mean"] is not None:
            stats = f"  min {d['min']:.6g}  max {d['max']:.6g}  mean {d['mean']:.6g}"
        print(f"  -> {key}: {d['dtype']}{shape_text(d['shape'])}{stats}")
    for what, (path, _) in saves.items():
        if path:
            print(f"  {what} saved to {path}")
    return 0
