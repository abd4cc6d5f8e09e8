"""The ``tf1-explorer`` command line: one verb per step of the flow.

Each verb lives in its own module ``explorer/cli/<verb>.py`` exposing ``register(subparsers)``,
which adds a parser whose ``func(args) -> int`` does the work. Errors: an ``ExplorerError`` is
printed as one line on stderr with exit status 2; so is any other exception (``--debug`` shows
its traceback).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence

VERBS = ("inspect", "suggest", "scan", "run", "convert", "parity", "migrate", "rewrite")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tf1-explorer",
        description="Browse, run, convert and compare TensorFlow 1.x models on TensorFlow 2.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    sub.required = True
    for verb in VERBS:
        name = f"{__name__}.{verb}"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 parity mismatch, 2 error).

    ``--timeout S`` (verbs that run a model) sets the process-wide run limit for this call. From
    the command line (``argv`` not given), a process whose run was abandoned at its deadline (an
    endless loop still busy in TensorFlow) exits at once with the status instead of waiting.
    """
    from explorer.running import deadline

    saved = deadline.configure()
    try:
        code = _main(argv)
    finally:
        deadline.configure(saved["timeout"], unlimited=saved["timeout"] is None)
    if argv is None and deadline.abandoned():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from explorer.errors import ExplorerError
    from explorer.running import deadline

    if getattr(args, "timeout", None) is not None:
        if args.timeout <= 0:
            print(f"tf1-explorer {args.verb}: --timeout must be > 0 seconds", file=sys.stderr)
            return 2
        deadline.configure(timeout=args.timeout)
    try:
        return int(args.func(args) or 0)
    except ExplorerError as e:
        if args.debug:
            raise
        print(f"tf1-explorer {args.verb}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tf1-explorer {args.verb}: interrupted", file=sys.stderr)
        return 2
    except Exception as e:  # noqa: BLE001 - the CLI promises one line, never a traceback
        if args.debug:
            raise
        first = (str(e).strip().splitlines() or [""])[0][:300]
        print(
            f"tf1-explorer {args.verb}: unexpected {type(e).__name__}: {first} "
            "(rerun with --debug for the traceback and report it)",
            file=sys.stderr,
        )
        return 2
