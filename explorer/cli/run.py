"""``tf1-explorer run MODEL``: run a v1 session once on generated or given feeds.

Default: ``serving_default``, the only signature, or (no signatures) the suggested inputs and
outputs. Inputs missing from ``--feed`` are generated (tf.Example for ParseExample inputs).
``--json`` prints :func:`summary` with, per generated input whose shape the graph decided,
``inferred``: ``{shape, reasons, notes}``."""

from __future__ import annotations

import argparse
from typing import Any

from explorer.cli._common import (
    add_feed_shape_args,
    add_timeout_arg,
    add_unsafe_arg,
    add_verb,
    load_model,
    parse_ranges,
    parse_shapes,
    print_json,
)
from explorer.errors import FeedError
from explorer.graph.names import shape_text
from explorer.output_policy import check_output


def register(sub: argparse._SubParsersAction) -> None:
    p = add_verb(
        sub,
        "run",
        run,
        "run the model's v1 session once on sample data (tf.Example inputs included)",
        "Run a TF1 model once in a v1 session on generated or given feeds.",
    )
    p.add_argument("--signature", help="signature to run (default: serving_default or the only)")
    p.add_argument("--inputs", help="comma-separated tensor names to feed (with --outputs)")
    p.add_argument("--outputs", help="comma-separated tensor names to fetch")
    p.add_argument("--batch", type=int, default=1, help="batch size of generated feeds (1)")
    p.add_argument("--seed", type=int, default=0, help="seed of generated feeds (0)")
    p.add_argument("--low", type=float, default=-1.0, help="low end of generated floats (-1)")
    p.add_argument("--high", type=float, default=1.0, help="high end of generated floats (1)")
    p.add_argument("--feed", metavar="IN.npz", help="feeds to use (others are generated)")
    p.add_argument("--save", metavar="OUT.npz", help="write the outputs to this .npz")
    p.add_argument("--save-feeds", metavar="FEEDS.npz", help="write the feeds used to this .npz")
    p.add_argument("--overwrite", action="store_true", help="replace existing --save files")
    p.add_argument(
        "--max-mb", type=float, default=1024.0, help="refuse feeds above this many MiB (1024)"
    )
    add_feed_shape_args(p)
    add_unsafe_arg(p)
    add_timeout_arg(p)


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [t.strip() for t in text.split(",") if t.strip()]


def run(args: argparse.Namespace) -> int:
    from explorer.feeding.feeds import Feeds
    from explorer.running.v1_runner import V1Runner

    if args.batch < 1:
        raise FeedError(f"--batch {args.batch} must be at least 1")
    if args.inputs is not None and args.outputs is None:
        raise FeedError("--inputs needs --outputs: name the tensors to fetch")
    runner = V1Runner(
        load_model(args),
        signature=args.signature,
        inputs=_names(args.inputs),
        outputs=_names(args.outputs),
        allow_unsafe=args.allow_unsafe,
        max_bytes=int(args.max_mb * 2**20),
        timeout=args.timeout,
    )
    for path in filter(None, (args.save, args.save_feeds)):  # before the run
        check_output(path, runner.model, args.overwrite, folder=False)
    given = Feeds.load(args.feed) if args.feed else None
    feeds = runner.sample(
        batch=args.batch,
        seed=args.seed,
        overrides=given,
        value_range=(args.low, args.high),
        max_bytes=runner.max_bytes,
        shapes=parse_shapes(args.shape),
        ranges=parse_ranges(args.range),
    )
    with runner:
        outputs = runner.infer(feeds)
    if args.save:
        Feeds(outputs).save(args.save, overwrite=args.overwrite)
    if args.save_feeds:
        feeds.save(args.save_feeds, overwrite=args.overwrite)
    report = summary(runner.signature_name, feeds, outputs, runner.last_seconds or 0.0)
    for key, inferred in feeds.shapes.items():  # how the graph decided a generated input's shape
        if key in report["inputs"] and (inferred["reasons"] or inferred["notes"]):
            report["inputs"][key]["inferred"] = inferred
    if args.json:
        print_json(report)
        return 0
    model = runner.model
    what = f"signature {runner.signature_name}" if runner.signature_name else "tensors"
    print(f"{model.path}  ({what}, {report['seconds'] * 1e3:.2f} ms)")
    for note in feeds.notes:
        print(f"  note  {note}")
    for key, d in report["inputs"].items():
        print(f"  <- {key}: {d['dtype']}{shape_text(d['shape'])}")
    for key, d in report["outputs"].items():
        stats = ""
        if d["mean"] is not None:
            stats = f"  min {d['min']:.6g}  max {d['max']:.6g}  mean {d['mean']:.6g}"
        print(f"  -> {key}: {d['dtype']}{shape_text(d['shape'])}{stats}")
    if args.save:
        print(f"  outputs saved to {args.save}")
    if args.save_feeds:
        print(f"  feeds saved to {args.save_feeds}")
    return 0


def summary(
    signature: str | None, feeds: dict[str, Any], outputs: dict[str, Any], seconds: float
) -> dict[str, Any]:
    """The ``run --json`` object: dtype/shape of each feed, dtype/shape/min/max/mean of each
    output (``null`` statistics for strings, empty arrays and all-non-finite values)."""
    return {
        "signature": signature,
        "inputs": {k: _describe(v, stats=False) for k, v in feeds.items()},
        "outputs": {k: _describe(v, stats=True) for k, v in outputs.items()},
        "seconds": seconds,
    }


def _describe(value: Any, stats: bool) -> dict[str, Any]:
    import numpy as np

    from explorer.feeding.feeds import SparseValue

    if isinstance(value, SparseValue):
        arr, shape = value.values, [int(d) for d in value.dense_shape]
    else:
        arr = np.asarray(value)
        shape = list(arr.shape)
    out: dict[str, Any] = {
        "dtype": "string" if arr.dtype == object else arr.dtype.name,
        "shape": shape,
    }
    if isinstance(value, SparseValue):
        out["kind"] = "sparse"
    if stats:
        out.update(min=None, max=None, mean=None)
        if arr.dtype.kind in "biuf" and arr.size:
            x = arr.astype(np.float64)
            x = x[np.isfinite(x)]
            if x.size:
                out.update(min=float(x.min()), max=float(x.max()), mean=float(x.mean()))
    return out
