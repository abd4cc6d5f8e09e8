"""Helpers shared by the CLI verbs."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from explorer.errors import FeedError
from explorer.loading.model import V1Model, load

FLAG = {"action": "store_true"}
REPEAT = {"action": "append", "default": None}
MANY = {"nargs": "+", "default": None, "metavar": "T"}
UNSAFE = (
    "--allow-unsafe",
    "run a model holding file-system or PyFunc ops (only for files you trust)",
    FLAG,
)
TIMEOUT = (
    "--timeout",
    "give up on any one session run or TF2 call after S seconds (default "
    "600, or TF1_EXPLORER_RUN_TIMEOUT)",
    {"type": float, "metavar": "S"},
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
    """The parser of verb ``name`` calling ``run(args)``: MODEL, ``--tags``, ``--op-library``
    (repeatable), ``--json`` and ``options`` (see :func:`add_options`)."""
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


def add_tensor_args(p: argparse.ArgumentParser, action: str) -> None:
    """``--signature S`` (repeatable) or ``--inputs T... --outputs T...``: what to ``action``."""
    add_options(
        p,
        (
            "--signature",
            f"signature to {action} (repeatable; default: all)",
            REPEAT | {"metavar": "S"},
        ),
        ("--inputs", "input tensor names", MANY),
        ("--outputs", f"output tensor names to {action}", MANY),
    )


def custom_tensors(args: argparse.Namespace) -> dict[str, list[str] | None]:
    """``{"inputs", "outputs"}`` of ``add_tensor_args`` when either is given, else ``{}``."""
    if args.inputs is None and args.outputs is None:
        return {}
    return {"inputs": args.inputs, "outputs": args.outputs}


def load_model(args: argparse.Namespace) -> V1Model:
    model = load(args.model, tags=args.tags, op_libraries=getattr(args, "op_libraries", None))
    args.notes = model.notes  # what loading repaired: the CLI shows it once the verb did not refuse
    return model


def print_json(obj: Any) -> None:
    """``obj`` as indented JSON, a line per ``print`` (JSON escapes every control character)."""
    for line in json.dumps(obj, indent=2, default=str).splitlines():
        print(line)


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


def _pairs(items: list[str] | None, flag: str, form: str) -> list[tuple[str, list[str]]]:
    out = []
    for item in items or []:
        name, sep, rest = item.partition("=")
        if not sep or not name.strip():
            raise FeedError(f"{flag} {item!r}: write {form}")
        parts = [p.strip() for p in rest.split(",") if p.strip()]
        out.append((name.strip(), parts))
    return out


def parse_shapes(items: list[str] | None) -> dict[str, tuple[int | None, ...]] | None:
    """``["x:0=1,784", "s:0="]`` -> ``{"x:0": (1, 784), "s:0": ()}`` (``-1``/``?``: ``None``)."""
    if not items:
        return None
    out = {}
    for name, parts in _pairs(items, "--shape", "NAME=D0,D1 (e.g. x:0=1,784; NAME= for a scalar)"):
        try:
            out[name] = tuple(None if p in ("?", "-1", "None") else int(p) for p in parts)
        except ValueError:
            raise FeedError(
                f"--shape {name}={','.join(parts)}: dims must be integers, -1 or ? "
                "(e.g. --shape x:0=1,784)"
            ) from None
    return out


def parse_ranges(items: list[str] | None) -> dict[str, tuple[float, float]] | None:
    """``["k:0=0,10"]`` -> ``{"k:0": (0.0, 10.0)}``."""
    if not items:
        return None
    out = {}
    for name, parts in _pairs(items, "--range", "NAME=LOW,HIGH (e.g. k:0=0,10)"):
        try:
            lo, hi = (float(p) for p in parts)
        except ValueError:
            raise FeedError(
                f"--range {name}={','.join(parts)}: give two numbers LOW,HIGH (e.g. k:0=0,10)"
            ) from None
        if not lo < hi:
            raise FeedError(f"--range {name}={lo:g},{hi:g}: LOW must be below HIGH")
        out[name] = (lo, hi)
    return out
