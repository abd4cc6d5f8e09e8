"""``tf1-explorer suggest MODEL [--tags T] [--json] [--limit N]``: ranked inputs and outputs."""

from __future__ import annotations

import argparse

from ._common import add_model_args, fmt_shape, load_model, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "suggest", help="rank candidate input and output tensors, each with its reason"
    )
    add_model_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--limit", type=int, default=10, help="candidates per side (default 10)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..suggester import suggest

    choice = suggest(load_model(args), limit=max(args.limit, 1))
    if args.json:
        print_json(choice.to_json())
        return 0
    for side, cands in (("inputs", choice.inputs), ("outputs", choice.outputs)):
        print(f"{side} (best first)")
        if not cands:
            print("  none found")
        for k, c in enumerate(cands, 1):
            print(f"  {k:2d}. {c.name}  {c.dtype}{fmt_shape(c.shape)}  score {c.score:.1f}")
            print(f"      {c.reason}")
    return 0
