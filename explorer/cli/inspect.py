"""``tf1-explorer inspect MODEL``: what the model is, and (from protobufs only, no TensorFlow
import) the problems ``run``/``convert`` would trip on (:mod:`explorer.inspection.gate`)."""

from __future__ import annotations

import argparse

from explorer.cli._common import add_verb, load_model, print_json
from explorer.graph.names import shape_text
from explorer.inspection.gate import problems


def register(sub: argparse._SubParsersAction) -> None:
    what = "summarise a TF1 model (format, tags, signatures, variables, problems)"
    add_verb(sub, "inspect", run, what)


def run(args: argparse.Namespace) -> int:
    model = load_model(args)
    summary = model.summary()
    summary["problems"] = [p.to_json() for p in problems(model)]
    if args.json:
        return print_json(summary)
    print(f"{summary['path']}")
    print(f"  format      {summary['format']}  (written by TF {summary['tf_version']})")
    if summary["tags"]:
        print(f"  tag sets    {'; '.join(','.join(t) or 'set()' for t in summary['tags'])}")
    if (hub := summary.get("hub_module")) is not None:
        print(f"  TF1 Hub     tag set {','.join(hub['tags']) or 'set()'} loaded (--tags to change)")
        if counts := ", ".join(f"{k} {v}" for k, v in hub["collections"].items()):
            print(f"              {counts}")
    top = ", ".join(f"{k}×{v}" for k, v in list(summary["op_types"].items())[:8])
    more = ", …" if len(summary["op_types"]) > 8 else ""
    print(f"  nodes       {summary['node_count']}  ({top}{more})")
    print(f"  variables   {len(summary['variables'])}")
    for v in summary["variables"][:20]:
        print(f"    {v['name']}  {v['dtype']}{shape_text(v['shape'])}  {v['kind']}")
    if len(summary["variables"]) > 20:
        print(f"    … {len(summary['variables']) - 20} more")
    if not summary["signatures"]:
        print("  signatures  none (run `tf1-explorer suggest` for inputs and outputs)")
    for name, sig in summary["signatures"].items():
        print(f"  signature   {name}  ({sig['method']})")
        for side, arrow in (("inputs", "<-"), ("outputs", "->")):
            for key, t in sig[side].items():
                kind = f" {t['kind']}" if t.get("kind") else ""
                spec = f"{t['dtype']}{shape_text(t['shape'])}{kind}"
                print(f"    {arrow} {key}: {t['name'] or '(components)'}  {spec}")
    if summary["problems"]:
        errors = sum(p["severity"] == "error" for p in summary["problems"])
        warnings = len(summary["problems"]) - errors
        print(f"  problems    {errors} errors, {warnings} warnings (before it runs)")
    for prob in summary["problems"]:
        print(f"    {prob['severity']:<8} {prob['kind']}: {prob['message']}")
    return 0
