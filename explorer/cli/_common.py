"""Helpers shared by the CLI verbs."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from explorer.errors import FeedError
from explorer.loading.model import V1Model, load


def add_verb(
    sub: argparse._SubParsersAction,
    name: str,
    run: Callable[[argparse.Namespace], int],
    help: str,
    description: str | None = None,
    with_json: bool = True,
) -> argparse.ArgumentParser:
    """The parser of verb ``name`` calling ``run(args)``: MODEL and ``--tags`` (see
    :func:`add_model_args`) and, with ``with_json``, ``--json``; the verb adds the rest."""
    p = sub.add_parser(name, help=help, description=description)
    add_model_args(p)
    if with_json:
        p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)
    return p


def add_tensor_args(p: argparse.ArgumentParser, action: str) -> None:
    """``--signature S`` (repeatable) or ``--inputs T... --outputs T...``: what to ``action``."""
    p.add_argument(
        "--signature",
        action="append",
        default=None,
        metavar="S",
        help=f"signature to {action} (repeatable; default: all)",
    )
    p.add_argument("--inputs", nargs="+", default=None, metavar="T", help="input tensor names")
    p.add_argument(
        "--outputs", nargs="+", default=None, metavar="T", help=f"output tensor names to {action}"
    )


def custom_tensors(args: argparse.Namespace) -> dict[str, list[str] | None]:
    """``{"inputs", "outputs"}`` of ``add_tensor_args`` when either is given, else ``{}``."""
    if args.inputs is None and args.outputs is None:
        return {}
    return {"inputs": args.inputs, "outputs": args.outputs}


def add_output_args(p: argparse.ArgumentParser) -> None:
    """OUT_DIR and ``--overwrite`` (see :mod:`explorer.output_policy`)."""
    p.add_argument("out_dir", metavar="OUT_DIR", help="folder to write (a new one)")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace OUT_DIR if explorer wrote it or it is empty",
    )


def add_model_args(p: argparse.ArgumentParser) -> None:
    """MODEL positional, ``--tags`` and ``--op-library PATH`` (repeatable)."""
    p.add_argument(
        "model", metavar="MODEL", help="SavedModel folder, .pb/.pbtxt, .meta or checkpoint"
    )
    p.add_argument("--tags", default=None, help="comma-separated MetaGraph tags (when several)")
    p.add_argument(
        "--op-library",
        action="append",
        default=None,
        metavar="PATH",
        dest="op_libraries",
        help="custom-op library (.so) defining op types TF lacks (repeatable; runs native "
        "code: only libraries you trust)",
    )


def add_unsafe_arg(p: argparse.ArgumentParser) -> None:
    """``--allow-unsafe``: run models holding file-system or PyFunc ops (see ``scan``)."""
    p.add_argument(
        "--allow-unsafe",
        action="store_true",
        help="run a model holding file-system or PyFunc ops (only for files you trust)",
    )


def add_timeout_arg(p: argparse.ArgumentParser) -> None:
    """``--timeout S``: give up on any one run, restore or TF2 call after S seconds."""
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help="give up on any one session run or TF2 call after S seconds (default 600, "
        "or TF1_EXPLORER_RUN_TIMEOUT)",
    )


def load_model(args: argparse.Namespace) -> V1Model:
    model = load(args.model, tags=args.tags, op_libraries=getattr(args, "op_libraries", None))
    for note in model.notes:  # what loading repaired: shown by every verb
        print(f"tf1-explorer: note: {note}", file=sys.stderr)
    return model


def print_json(obj: Any) -> None:
    """``obj`` as indented JSON, a line per ``print`` (JSON escapes every control character)."""
    for line in json.dumps(obj, indent=2, default=str).splitlines():
        print(line)


def add_feed_shape_args(p: argparse.ArgumentParser) -> None:
    """``--shape NAME=D0,D1`` and ``--range NAME=LOW,HIGH`` (repeatable): what generated feeds
    take instead of what the graph says (see ``explorer.sample(shapes=, ranges=)``)."""
    p.add_argument(
        "--shape",
        action="append",
        default=None,
        metavar="NAME=D0,D1",
        help="shape of input NAME's generated feed (-1: the batch/default; NAME= : a scalar); "
        "repeatable",
    )
    p.add_argument(
        "--range",
        action="append",
        default=None,
        metavar="NAME=LOW,HIGH",
        help="draw input NAME (or a tf.Example feature) from [LOW, HIGH); repeatable",
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
