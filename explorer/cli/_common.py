"""Helpers shared by the CLI verbs: options, progress on stderr (on a terminal, without ``--quiet``)
and ``--data`` (the user's own data, streamed)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

from explorer.errors import FeedError, plain
from explorer.loading.model import V1Model, load

FLAG = {"action": "store_true"}
REPEAT = {"action": "append", "default": None}
MANY = {"nargs": "+", "default": None, "metavar": "T"}
SECONDS = {"type": float, "metavar": "S"}
PROGRESS_EVERY_S = 2.0
_STATE: dict[str, Any] = {"enabled": True, "status": None}  # progress: shown, the spinner
UNSAFE = (
    "--allow-unsafe",
    "run a model holding file-system or PyFunc ops (only for files you trust)",
    FLAG,
)
TIMEOUT = (
    "--timeout",
    "give up on any one session run or TF2 call after S seconds (default "
    "600, or TF1_EXPLORER_RUN_TIMEOUT)",
    SECONDS,
)
OUTPUT = (
    ("out_dir", "folder to write (a new one)", {"metavar": "OUT_DIR"}),
    ("--overwrite", "replace OUT_DIR if explorer wrote it or it is empty", FLAG),
)


def add_options(p: argparse.ArgumentParser | argparse._ArgumentGroup, *options: tuple) -> None:
    """One ``p.add_argument`` per ``(flag, [flag,] help[, {keywords}])`` (no keywords: it
    stores a string; a positional is a name without ``-``)."""
    for *flags, last in options:
        kw = last if isinstance(last, dict) else {}
        text = flags.pop() if kw else last
        p.add_argument(*flags, help=text, **kw)


def add_verb(
    sub: argparse._SubParsersAction,
    name: str,
    run: Callable[[argparse.Namespace], int],
    help: str,
    description: str | None = None,
    *options: tuple,
) -> argparse.ArgumentParser:
    """The parser of verb ``name`` calling ``run(args)``: MODEL, ``--tags``, ``--op-library``,
    ``--json`` and ``options`` (see :func:`add_options`)."""
    p = sub.add_parser(name, help=help, description=description)
    lib = "custom-op library (.so) defining op types TF lacks (repeatable; runs native code: "
    add_options(
        p,
        ("model", "SavedModel folder, .pb/.pbtxt, .meta or checkpoint", {"metavar": "MODEL"}),
        ("--tags", "comma-separated MetaGraph tags (when several)"),
        (
            "--op-library",
            lib + "only libraries you trust)",
            REPEAT | {"metavar": "PATH", "dest": "op_libraries"},
        ),
        ("--json", "print one JSON object", FLAG),
        *options,
    )
    p.set_defaults(func=run)
    return p


def tensor_options(action: str) -> tuple[tuple, ...]:
    """``--signature S`` (repeatable) or ``--inputs T... --outputs T...``: what to ``action``."""
    return (
        (
            "--signature",
            f"signature to {action} (repeatable; default: all)",
            REPEAT | {"metavar": "S"},
        ),
        ("--inputs", "input tensor names", MANY),
        ("--outputs", f"output tensor names to {action}", MANY),
    )


def custom_tensors(args: argparse.Namespace) -> dict[str, list[str] | None]:
    """``{"inputs", "outputs"}`` of :func:`tensor_options` when either is given, else ``{}``."""
    if args.inputs is None and args.outputs is None:
        return {}
    return {"inputs": args.inputs, "outputs": args.outputs}


def load_model(args: argparse.Namespace) -> V1Model:
    model = load(args.model, tags=args.tags, op_libraries=args.op_libraries)
    args.notes = model.notes  # what loading repaired: the CLI shows it once the verb did not refuse
    return model


def print_json(obj: Any) -> int:
    """Print ``obj`` as indented JSON, a line per ``print`` (JSON escapes control chars); 0."""
    for line in json.dumps(obj, indent=2, default=str).splitlines():
        print(line)
    return 0


# what generated feeds take instead of what the graph says (``explorer.sample(shapes=, ranges=)``)
FEED_SHAPES = (
    (
        "--shape",
        "shape of input NAME's generated feed (-1: the batch/default; NAME= : a scalar); "
        "repeatable",
        REPEAT | {"metavar": "NAME=D0,D1"},
    ),
    (
        "--range",
        "draw input NAME (or a tf.Example feature) from [LOW, HIGH); repeatable",
        REPEAT | {"metavar": "NAME=LOW,HIGH"},
    ),
)


def _named(items: list[str] | None, flag: str, form: str, parse: Callable, bad: str) -> dict | None:
    """``NAME=A,B`` items -> ``{NAME: parse(NAME, [A, B])}``; ``bad``: the fix when parse fails."""
    pairs = []
    for item in items or []:  # every item's form first, then the values
        name, sep, rest = item.partition("=")
        if not sep or not name.strip():
            raise FeedError(f"{flag} {item!r}: write {form}")
        pairs.append((name.strip(), [p.strip() for p in rest.split(",") if p.strip()]))
    out = {}
    for name, parts in pairs:
        try:
            out[name] = parse(name, parts)
        except ValueError:
            raise FeedError(f"{flag} {name}={','.join(parts)}: {bad}") from None
    return out or None


def parse_shapes(items: list[str] | None) -> dict[str, tuple[int | None, ...]] | None:
    """``["x:0=1,784", "s:0="]`` -> ``{"x:0": (1, 784), "s:0": ()}`` (``-1``/``?``: ``None``)."""
    form = "NAME=D0,D1 (e.g. x:0=1,784; NAME= for a scalar)"
    dims = "dims must be integers, -1 or ? (e.g. --shape x:0=1,784)"
    return _named(items, "--shape", form, lambda _, parts: tuple(map(_dim, parts)), dims)


def _dim(text: str) -> int | None:
    return None if text in ("?", "-1", "None") else int(text)


def parse_ranges(items: list[str] | None) -> dict[str, tuple[float, float]] | None:
    """``["k:0=0,10"]`` -> ``{"k:0": (0.0, 10.0)}``."""
    bad = "give two numbers LOW,HIGH (e.g. k:0=0,10)"
    return _named(items, "--range", "NAME=LOW,HIGH (e.g. k:0=0,10)", _low_high, bad)


def _low_high(name: str, parts: list[str]) -> tuple[float, float]:
    lo, hi = (float(p) for p in parts)
    if not lo < hi:
        raise FeedError(f"--range {name}={lo:g},{hi:g}: LOW must be below HIGH")
    return lo, hi


def show_progress(enabled: bool) -> None:
    """Turn progress on or off (``--quiet`` turns it off)."""
    _STATE["enabled"] = bool(enabled)


def shown() -> bool:
    """Whether progress is drawn: enabled, and stderr is a terminal."""
    try:
        return bool(_STATE["enabled"]) and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def step(text: str, total: int | None = None) -> Iterator[Callable[..., None]]:
    """Show ``text`` with a spinner (a bar of ``total`` steps) and the elapsed seconds while the
    block runs; yields ``advance(text, total=None)``: a step done, ``text`` shown."""
    if not shown():
        yield lambda *_args, **_kw: None
        return
    from rich import progress as rp
    from rich.console import Console

    bar = (rp.BarColumn(), rp.MofNCompleteColumn()) if total else ()
    status = rp.Progress(
        rp.SpinnerColumn(),
        *bar,
        rp.TextColumn("{task.description}"),
        rp.TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = status.add_task(text, total=total)
    _STATE["status"] = status
    status.start()
    try:
        yield lambda said, total=None: status.update(
            task, advance=1, description=plain(said), total=total
        )
    finally:
        stop()


def stop() -> None:
    """Clear a spinner still drawn (before an error line is printed)."""
    status, _STATE["status"] = _STATE["status"], None
    if status is not None:
        with contextlib.suppress(Exception):
            status.stop()


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
