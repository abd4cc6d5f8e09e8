"""Helpers shared by the CLI verbs."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any


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


def add_model_args(p: argparse.ArgumentParser) -> None:
    """MODEL positional and ``--tags``."""
    p.add_argument(
        "model", metavar="MODEL", help="SavedModel folder, .pb/.pbtxt, .meta or checkpoint"
    )
    p.add_argument("--tags", default=None, help="comma-separated MetaGraph tags (when several)")


def add_unsafe_arg(p: argparse.ArgumentParser) -> None:
    """``--allow-unsafe``: run models holding file-system or PyFunc ops (see ``scan``)."""
    p.add_argument(
        "--allow-unsafe",
        action="store_true",
        help="run a model holding file-system or PyFunc ops (only for files you trust)",
    )


def load_model(args: argparse.Namespace) -> Any:
    from explorer.loading.model import load

    return load(args.model, tags=args.tags)


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")
