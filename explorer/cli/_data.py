"""``--data PATH [--limit N]`` for ``parity`` and ``migrate``: the user's own data, streamed, with
progress on stderr (only on a terminal without ``--quiet``; at most every two seconds and once
per signature), so ``--json`` stays one object."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from explorer.cli import _progress
from explorer.cli._common import add_options
from explorer.errors import plain

PROGRESS_EVERY_S = 2.0


def add_data_args(p: argparse.ArgumentParser) -> None:
    """``--data``, ``--limit``, ``--data-kind``, ``--data-key``, ``--compression``, ``--worst``."""
    add_options(
        p.add_argument_group("your own data (instead of sampled feeds)"),
        (
            "--data",
            "TFRecord file/glob (serialized tf.Example), .csv, image folder, .npz or .npy; "
            "repeatable; streamed in batches of --batch-size (64)",
            {"action": "append", "metavar": "PATH"},
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
        ("--image-size", "resize images to H x W (e.g. 28x28)", {"type": _size, "metavar": "HxW"}),
        (
            "--value-range",
            "scale image pixels 0..255 to LO..HI (e.g. 0,1)",
            {"type": _range, "metavar": "LO,HI"},
        ),
        (
            "--worst",
            "worst examples kept per output (5)",
            {"type": int, "default": 5, "metavar": "K"},
        ),
    )


def data_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """``parity(...)`` keywords for the data options: the source, ``worst`` and ``progress``
    (``{}`` without ``--data``)."""
    if not args.data:
        return {}
    from explorer.feeding.data.sources import DEFAULT_BATCH_SIZE, data

    compression = None if str(args.compression).lower() == "none" else args.compression
    source = data(
        args.data if len(args.data) > 1 else args.data[0],
        kind=args.data_kind,
        batch_size=args.batch_size or DEFAULT_BATCH_SIZE,
        limit=args.limit,
        key=args.data_key,
        compression=compression,
        image_size=args.image_size,
        value_range=args.value_range,
    )
    # a terminal only: a CI log keeps one error line
    progress = Progress() if _progress.shown() else None
    return {"source": source, "worst": args.worst, "progress": progress}


class Progress:
    """``fn(signature, done, total)`` printing ``parity NAME: N examples (R/s)`` to stderr, at
    most every PROGRESS_EVERY_S seconds and once at the end (``done == total``)."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.name: str | None = None
        self.t0 = self.last = 0.0
        self.first = 0  # examples done at the first call (the rate counts from there)

    def __call__(self, name: str, done: int, total: int | None) -> None:
        now = time.perf_counter()
        if name != self.name:
            self.name, self.t0, self.last, self.first = name, now, now, done
        if now - self.last < PROGRESS_EVERY_S and (total is None or done < total):
            return
        self.last = now
        of = f" of {total:,}" if total else ""
        text = f"parity {name}: {done:,}{of} examples"
        if done > self.first and now - self.t0 > 0.05:
            text += f" ({(done - self.first) / (now - self.t0):,.0f}/s)"
        print(plain(text), file=self.stream, flush=True)


def example_lines(report: Any) -> list[str]:
    """Text lines on a report's per-example figures (none without data)."""
    out = []
    if d := report.data:
        out.append(
            f"    data: {d.get('examples', 0):,} examples from {d.get('source', '?')} "
            f"({d.get('examples_per_second') or 0:,.0f}/s)"
        )
    for key, ex in report.examples.items():
        if ex.reason:
            out.append(f"    {key}: {ex.reason}")
            continue
        q = ex.quantiles
        figs = " ".join(f"{p} {_g(q.get(p))}" for p in ("p50", "p99", "max")) if q else ""
        figs = f"  per-example max abs {figs}" if figs else ""
        line = f"    {key}: {ex.failed} of {ex.examples} examples differ{figs}"
        if ex.worst and (ex.worst[0].mismatches or (ex.worst[0].max_abs or 0) > 0):
            w = ex.worst[0]
            line += f"; worst #{w.index} ({w.where})"
        out.append(line)
    return out


def _g(v: Any) -> str:
    return "-" if v is None else f"{v:.3g}"


def _pair(sep: str, cast: type, form: str) -> Callable[[str], tuple]:
    """An argparse ``type``: ``"A<sep>B"`` -> ``(cast(A), cast(B))``; ``form`` says how."""

    def parse(text: str) -> tuple:
        try:
            a, b = (cast(v) for v in text.lower().split(sep))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: give {form}") from None
        return a, b

    return parse


_size, _range = _pair("x", int, "HxW, e.g. 28x28"), _pair(",", float, "LO,HI, e.g. 0,1")
