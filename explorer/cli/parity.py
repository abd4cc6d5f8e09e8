"""``tf1-explorer parity MODEL``: v1 against its TF2 conversion (``--converted``, else converted in
memory) on the same feeds. Exit 0 every signature passed, 1 a mismatch (or outputs unverified
because v1 is nondeterministic: rerun with ``--remedy``), 2 an error."""

from __future__ import annotations

import argparse
from typing import Any

from explorer.cli import _common as cli
from explorer.comparing.records import Tolerance
from explorer.errors import ParityError
from explorer.graph.names import num_text
from explorer.loading.model import V1Model
from explorer.output_policy import check_output
from explorer.reporting.html import write_html

NONFINITE = (
    "--accept-nonfinite",
    "pass NaN/Inf that match on both sides (default: any NaN/Inf fails)",
    cli.FLAG,
)


def add_feed_args(p: argparse.ArgumentParser) -> None:
    """The feeds of ``parity``, ``migrate`` and ``reference``: sampled, saved, or the user's."""
    cli.add_options(
        p,
        ("--batches", "sampled batches per signature (3)", {"type": int, "default": 3}),
        ("--batch-size", "size of each batch (2 sampled, 64 with --data)", {"type": int}),
        ("--seed", "seed of the sampled feeds (0)", {"type": int, "default": 0}),
        ("--feed", "replay saved feeds, a batch per file", {"nargs": "+", "metavar": "IN.npz"}),
        *cli.FEED_SHAPES,
    )
    cli.add_options(
        p.add_argument_group("your own data (instead of sampled feeds)"),
        (
            "--data",
            "TFRecord file/glob (serialized tf.Example), .csv, image folder, .npz or .npy; "
            "several, or repeated; streamed in batches of --batch-size (64)",
            {"action": "extend", "nargs": "+", "metavar": "PATH"},
        ),
        ("--limit", "compare at most N records", {"type": int, "metavar": "N"}),
        (
            "--data-kind",
            "kind of data when the file name does not say",
            {"choices": ("tfrecord", "csv", "images", "npz", "npy")},
        ),
        ("--data-key", "the input the data feeds, when several could", {"metavar": "KEY"}),
        (
            "--compression",
            "TFRecord compression: GZIP, ZLIB, none, auto (by extension; default)",
            {"default": "auto"},
        ),
        ("--image-size", "resize images (e.g. 28x28)", {"type": cli._size, "metavar": "HxW"}),
        (
            "--value-range",
            "scale image pixels 0..255 to LO..HI (e.g. 0,1)",
            {"type": cli._range, "metavar": "LO,HI"},
        ),
        ("--worst", "worst examples per output (5)", {"type": int, "default": 5, "metavar": "K"}),
    )


def add_parity_args(p: argparse.ArgumentParser) -> None:
    """Tolerance, feed and report options shared by ``parity`` and ``migrate``."""
    cli.add_options(
        p,
        ("--atol", "absolute tolerance (1e-5)", {"type": float, "default": 1e-5}),
        ("--rtol", "relative tolerance (1e-5)", {"type": float, "default": 1e-5}),
        NONFINITE,
        ("--report", "write an HTML report with plots", {"metavar": "OUT.html"}),
        (
            "--reference",
            "prove against the outputs reference.py recorded (its feeds are the source)",
            {"metavar": "REF.npz"},
        ),
        cli.UNSAFE,
        cli.TIMEOUT,
    )
    add_feed_args(p)
    cli.add_options(
        p.add_argument_group("sharded parity over many --data files (Dask)"),
        (
            "--workers",
            "split the --data files across N local worker processes (no N: one per core)",
            {"nargs": "?", "const": "auto", "type": _workers, "metavar": "N"},
        ),
        (
            "--scheduler",
            "split them across the workers of this running Dask scheduler",
            {"metavar": "tcp://HOST:8786"},
        ),
    )


def _workers(text: str) -> int | str:
    """``--workers`` N (>= 1) or ``auto``."""
    if text == "auto" or (text.isdigit() and int(text) >= 1):
        return text if text == "auto" else int(text)
    raise argparse.ArgumentTypeError(f"{text!r}: give a number of processes >= 1")


def nonfinite(args: argparse.Namespace) -> str:
    """The ``Tolerance.nonfinite`` that ``--accept-nonfinite`` asks for."""
    return "accept-matching" if args.accept_nonfinite else "refuse"


def feed_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """``--data`` streamed (``source``, ``worst``, ``progress``), else ``--batches`` sampled."""
    from explorer.comparing.parity_check import Sampled
    from explorer.feeding.data.sources import DEFAULT_BATCH_SIZE, data
    from explorer.feeding.feeds import Feeds

    if args.data:
        source = data(
            args.data if len(args.data) > 1 else args.data[0],
            kind=args.data_kind,
            batch_size=args.batch_size or DEFAULT_BATCH_SIZE,
            limit=args.limit,
            key=args.data_key,
            compression=None if str(args.compression).lower() == "none" else args.compression,
            image_size=args.image_size,
            value_range=args.value_range,
        )
        progress = cli.Progress() if cli.shown() else None  # a terminal only: a CI log: one line
        return {"source": source, "worst": args.worst, "progress": progress}
    shapes, ranges = cli.parse_shapes(args.shape), cli.parse_ranges(args.range)
    given = [Feeds.load(p) for p in args.feed] if args.feed else None
    return {"source": Sampled(args.batches, args.seed, args.batch_size or 2, shapes, ranges, given)}


def parity_kwargs(args: argparse.Namespace, model: V1Model | None = None) -> dict[str, Any]:
    """``parity(...)`` keywords: feeds, tolerance, shards (``--report`` checked for ``model``)."""
    if args.report:
        check_output(args.report, model, args.overwrite, folder=False)
    tolerance = Tolerance(args.atol, args.rtol, nonfinite=nonfinite(args))
    if args.reference and (args.feed or args.data):
        raise ParityError("--reference replays the feeds it was recorded with: drop --feed/--data")
    from explorer.comparing.parity_check import Recorded

    feeds = {"reference": Recorded.read(args.reference)} if args.reference else feed_kwargs(args)
    shard = {"workers": args.workers, "scheduler": args.scheduler}
    if (args.workers or args.scheduler) and (not args.data or all(shard.values())):
        raise ParityError("--workers or --scheduler splits the --data files: give one, with --data")
    return {**feeds, **shard, "tolerance": tolerance, "allow_unsafe": args.allow_unsafe}


def register(sub: argparse._SubParsersAction) -> None:
    p = cli.add_verb(
        sub,
        "parity",
        run,
        "compare v1 and TF2 outputs on the same feeds (exit 0 pass, 1 mismatch, 2 error)",
        "Compare a TF1 model with its TF2 conversion on the same feeds.",
        ("--converted", "a saved TF2 conversion (default: convert)", {"metavar": "DIR"}),
        *cli.tensor_options("compare"),
        ("--overwrite", "replace the --report file", cli.FLAG),
        (
            "--remedy",
            "make nondeterministic outputs comparable (feed keep_prob 1.0, seed random ops)",
            cli.FLAG,
        ),
    )
    add_parity_args(p)


def run(args: argparse.Namespace) -> int:
    from explorer.comparing.parity_check import parity
    from explorer.conversion.build import convert

    model = cli.load_model(args)
    kwargs = parity_kwargs(args, model)  # a bad tolerance or --batches 0: exit 2 before converting
    custom = cli.custom_tensors(args)
    v2: Any = args.converted
    if v2 is None:
        sigs = args.signature if model.signatures else None
        with cli.step("converting to TF2"):
            v2 = convert(model, sigs, allow_unsafe=args.allow_unsafe, **custom)
    with cli.step(f"comparing v1 and TF2 on {len(args.feed or []) or args.batches} batches"):
        summary = parity(model, v2, args.signature, remedy=args.remedy, **custom, **kwargs)
    finish(summary, args, f"Parity of {model.path}", model)
    return 0 if summary.passed else 1


def finish(
    summary: Any,
    args: argparse.Namespace,
    title: str,
    model: V1Model,
    proved: dict[str, Any] | None = None,
    **extra: Any,
) -> None:
    """Write ``--report``; print ``--json`` (``proved`` first, ``extra`` added) or a summary."""
    first = {"proved": proved} if proved is not None else {}
    if args.report:
        extra_json = {**first, **(extra.get("steps") or {})} or None
        write_html(args.report, summary, args.overwrite, model, title=title, extra=extra_json)
    if args.json:
        cli.print_json({**first, **summary.to_json(), **extra})
        return
    print(f"{title}: {summary.verdict}")
    for name, rep in summary.reports.items():
        print(f"  {name}: {rep.status} ({rep.batches} batches)")
        for key, o in rep.outputs.items():
            equal = "  bitwise equal" if o.equal else ""
            reason = f"  ({o.reason})" if o.reason else ""
            print(
                f"    {key}: {o.status}  max abs {num_text(o.max_abs)}  mismatch "
                f"{o.mismatch_fraction:.3g}{equal}{reason}"
            )
        if d := rep.data:  # the per-example figures of --data
            print(
                f"    data: {d.get('examples', 0):,} examples from {d.get('source', '?')} "
                f"({d.get('examples_per_second') or 0:,.0f}/s)"
            )
        for key, ex in rep.examples.items():
            if ex.reason:
                print(f"    {key}: {ex.reason}")
                continue
            q = ex.quantiles
            figs = " ".join(f"{p} {num_text(q.get(p))}" for p in ("p50", "p99", "max")) if q else ""
            figs = f"  per-example max abs {figs}" if figs else ""
            line = f"    {key}: {ex.failed} of {ex.examples} examples differ{figs}"
            if ex.worst and (ex.worst[0].mismatches or (ex.worst[0].max_abs or 0) > 0):
                line += f"; worst #{ex.worst[0].index} ({ex.worst[0].where})"
            print(line)
        if ref := rep.reference:
            where = f"TensorFlow {ref['tf_version']}, Python {ref['python']}: {ref['path']}"
            print(f"    proved {', '.join(rep.outputs)} against the reference of {where}")
            drift = [f"{k} {d['status']} max abs {d['max_abs']}" for k, d in ref["drift"].items()]
            print(f"    this TensorFlow's v1 runtime against the reference: {'; '.join(drift)}")
        if rep.remedy:
            print(f"    remedy: {rep.remedy}")
        for note in rep.notes:
            print(f"    note: {note}")
    if args.report:
        print(f"  report: {args.report}")
