"""``tf1-explorer suggest MODEL [--tags T] [--json] [--limit N]``: ranked inputs and outputs."""

from __future__ import annotations

import argparse

from explorer.cli._common import add_verb, load_model, print_json
from explorer.graph.names import shape_text


def register(sub: argparse._SubParsersAction) -> None:
    p = add_verb(
        sub, "suggest", run, "rank candidate input and output tensors, each with its reason"
    )
    p.add_argument("--limit", type=int, default=10, help="candidates per side (default 10)")


def run(args: argparse.Namespace) -> int:
    from explorer.inspection.suggestions import suggest

    choice = suggest(load_model(args), limit=max(args.limit, 1))
    if args.json:
        print_json(choice.to_json())
        return 0
    for side, cands in (("inputs", choice.inputs), ("outputs", choice.outputs)):
        print(f"{side} (best first)")
        if not cands:
            print("  none found")
        for k, c in enumerate(cands, 1):
            print(f"  {k:2d}. {c.name}  {c.dtype}{shape_text(c.shape)}  score {c.score:.1f}")
            print(f"      {c.reason}")
    return 0
