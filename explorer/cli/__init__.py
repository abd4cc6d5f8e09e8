"""The ``tf1-explorer`` command line: one verb per ``explorer/cli/<verb>.py``, whose
``register(subparsers)`` adds a parser with ``func(args) -> int``. Quiet by default
(``--verbose``: TensorFlow's log and Python warnings); an error is one line on stderr, exit 2
(``--debug``: the traceback); what a verb prints passes :func:`~explorer.errors.plain`."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn

from explorer import _tf
from explorer.cli import _common
from explorer.errors import ExplorerError, first_line, plain
from explorer.output_policy import command_line_run, interrupted
from explorer.running import deadline

VERBS = ("inspect", "suggest", "scan", "run", "convert", "parity", "migrate", "rewrite")
VERBS += ("reference", "fleet")  # the original TensorFlow's outputs; a folder of models
PROG = "tf1-explorer"


class _Escaped:
    """``sys.stdout`` while a verb runs: each write but ``print``'s newline passes :func:`plain`."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(text if text == "\n" else plain(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line (``tf1-explorer VERB: ...``)."""

    def error(self, message: str) -> NoReturn:
        where = self.prog if self.prog.startswith(PROG) else PROG
        line = plain(" ".join(message.split()))
        self.exit(2, f"{where}: {line} (see {where} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Browse, run, convert and compare TensorFlow 1.x models on TensorFlow 2.",
    )
    for *flags, text in (
        ("--debug", "show tracebacks of errors (implies --verbose)"),
        ("-v", "--verbose", "show TensorFlow's own log lines and Python warnings on stderr"),
        ("-q", "--quiet", "no progress display on stderr"),
    ):
        parser.add_argument(*flags, action="store_true", help=text)
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    sub.required = True
    for verb in VERBS:  # each verb's module is imported when the parser is built
        importlib.import_module(f"{__name__}.{verb}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 parity mismatch, 2 error, 130/143 SIGINT/
    SIGTERM). From the command line a run abandoned at its ``--timeout`` exits at once."""
    saved = deadline.configure()
    try:
        with command_line_run():  # SIGINT and SIGTERM raise KeyboardInterrupt(NAME)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
            code = _main(argv)
    except KeyboardInterrupt as e:
        sig = "SIGTERM" if e.args == ("SIGTERM",) else "SIGINT"
        verb = next((w for w in (sys.argv[1:] if argv is None else argv) if w in VERBS), "")
        _fail(verb, f"interrupted by {sig}; nothing half-written was left")
        code = 143 if sig == "SIGTERM" else 130
    finally:
        deadline.configure(saved["timeout"], unlimited=saved["timeout"] is None)
    # The command line: no interpreter teardown (TensorFlow's takes seconds). Not after a signal:
    # the interrupted work may still be running in its thread (tracing, writing temporary
    # files), and only the interpreter's own exit waits for it before the atexit handlers.
    if argv is None and (deadline.abandoned() or code not in (130, 143)):
        if not deadline.abandoned():  # a run still busy in TensorFlow: exit at once
            atexit._run_exitfuncs()  # the import worker stopped, temporary files removed
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    return code


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    timeout = getattr(args, "timeout", None)
    if timeout is not None:
        if timeout <= 0:
            _fail(args.verb, "--timeout must be > 0 seconds")
            return 2
        deadline.configure(timeout=timeout)
    verbose = bool(args.verbose or args.debug or _tf.verbose())
    saved_env = {k: os.environ.get(k) for k in (_tf.VERBOSE_ENV, _tf.LEVEL_ENV)}
    if verbose:
        _tf.show_native_logs()
    _common.show_progress(not args.quiet)
    stdout = sys.stdout
    with warnings.catch_warnings():
        if not verbose:
            warnings.simplefilter("ignore")
        try:
            sys.stdout = _Escaped(stdout)
            code = int(args.func(args) or 0)
            if sig := interrupted():  # a library caught the interrupt, or it became an error
                raise KeyboardInterrupt(sig)
            for note in getattr(args, "notes", ()):  # what loading repaired; a refusal: one line
                print(f"{PROG}: note: {plain(note)}", file=sys.stderr)
            return code
        except BrokenPipeError:  # stdout closed early (``| head``): nothing more to say
            with contextlib.suppress(OSError, ValueError):  # the final flush must not fail loudly
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                os.close(devnull)
            return 0
        except Exception as e:  # noqa: BLE001 - the CLI promises one line, never a traceback
            if sig := interrupted():  # the interrupt surfaced as this error
                raise KeyboardInterrupt(sig) from None
            if args.debug:
                raise
            unexpected = f"unexpected {type(e).__name__}: {first_line(e)} "
            hint = "(rerun with --debug for the traceback and report it)"
            _fail(args.verb, str(e) if isinstance(e, ExplorerError) else unexpected + hint)
        finally:
            sys.stdout = stdout
            _common.stop()
            for key, value in saved_env.items():  # main() called in-process leaves no trace
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    return 2


def _fail(verb: str, message: str) -> None:
    with contextlib.suppress(BrokenPipeError, ValueError):
        sys.stdout.flush()
    line = plain(" ".join(message.split()))  # one line whatever the message holds
    print(f"{PROG} {verb}: {line}" if verb else f"{PROG}: {line}", file=sys.stderr, flush=True)
