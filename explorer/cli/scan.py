"""``tf1-explorer scan MODEL [--tags T] [--json]``: what will break and what is unsafe."""

from __future__ import annotations

import argparse

from explorer.cli._common import add_verb, load_model, print_json
from explorer.inspection.gate import scan


def register(sub: argparse._SubParsersAction) -> None:
    add_verb(
        sub, "scan", run, "compatibility and safety findings (unregistered ops, ref variables, ...)"
    )


def run(args: argparse.Namespace) -> int:
    findings = scan(load_model(args))
    if args.json:
        return print_json(findings.to_json())
    print(f"{findings.source}: {findings.summary()}")
    for f in findings:
        print(f"  {f.severity:<7}  {f.rule:<16} {f.message}")
    if not len(findings):
        print("  nothing found: no known compatibility or safety problem")
    return 0
