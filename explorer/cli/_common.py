"""Helpers shared by the CLI verbs."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


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
    from ..loader import load

    return load(args.model, tags=args.tags)


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")


def fmt_shape(shape: Any) -> str:
    if shape is None:
        return "<unknown rank>"
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"
