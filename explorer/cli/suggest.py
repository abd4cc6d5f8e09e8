"""``tf1-explorer suggest MODEL [--tags T] [--json] [--limit N]``: ranked inputs and outputs."""

from __future__ import annotations

import argparse

from explorer.cli._common import add_verb, load_model, print_json, step
from explorer.feeding.shape_inference import feed_shapes
from explorer.graph.names import shape_text
from explorer.inspection.suggestions import suggest


def register(sub: argparse._SubParsersAction) -> None:
    what = "rank candidate input and output tensors, each with its reason"
    limit = ("--limit", "candidates per side (default 10)", {"type": int, "default": 10})
    add_verb(sub, "suggest", run, what, None, limit)


def run(args: argparse.Namespace) -> int:
    model = load_model(args)
    with step(f"ranking inputs and outputs of {model.node_count} nodes"):
        choice = suggest(model, limit=max(args.limit, 1))
        feed = feed_shapes(model, choice.inputs)
    if args.json:
        out = choice.to_json()
        for item in out.get("inputs", []):
            if item["name"] in feed:
                item["inferred"] = feed[item["name"]]
        return print_json(out)
    for side, cands in (("inputs", choice.inputs), ("outputs", choice.outputs)):
        print(f"{side} (best first)")
        if not cands:
            print("  none found")
        for k, c in enumerate(cands, 1):
            print(f"  {k:2d}. {c.name}  {c.dtype}{shape_text(c.shape)}  score {c.score:.1f}")
            print(f"      {c.reason}")
            if side == "inputs" and c.name in feed:
                inferred = feed[c.name]
                why = "; ".join(inferred["reasons"] + inferred["notes"])
                print(f"      feed shape {shape_text(inferred['shape'])}: {why}")
    return 0
