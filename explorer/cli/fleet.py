"""``tf1-explorer fleet ROOT OUT_DIR [--migrate OPTIONS]``: :func:`explorer.fleets.workers.fleet`.
Exit 0: every model migrated; 1: some not, each reported with its cause; 2: it could not run."""

from __future__ import annotations

import argparse

from explorer.cli._common import FLAG, SECONDS, add_options, print_json, step
from explorer.errors import ExplorerError
from explorer.fleets.report import SKIPPED, ModelResult
from explorer.fleets.workers import fleet


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fleet",
        help="migrate every model under a folder, in parallel, with one report",
        description="Migrate every TF1 model under ROOT into OUT_DIR, each in its own process.",
    )
    add_options(
        p,
        ("root", "folder of models, or a .list/.txt file of model paths", {"metavar": "ROOT"}),
        ("out_dir", "folder of the results (new, or a fleet's to resume)", {"metavar": "OUT_DIR"}),
        ("--workers", "models at once (default: the cores)", {"type": int, "metavar": "N"}),
        ("--scheduler", "an existing Dask scheduler instead", {"metavar": "tcp://HOST:8786"}),
        ("--config", "TOML/JSON: options and timeout for all and per model", {"metavar": "FILE"}),
        ("--model-timeout", "give up on a model after S seconds (1800)", SECONDS),
        ("--json", "print the fleet report as one JSON object", FLAG),
        (
            "--migrate",
            "the rest: migrate's options for every model (e.g. --migrate --batches 2)",
            {"nargs": argparse.REMAINDER, "default": [], "metavar": "OPTION", "dest": "options"},
        ),
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        raise ExplorerError("--workers must be at least 1")
    with step("finding the models", total=1) as advance:

        def progress(res: ModelResult, done: int, total: int) -> None:
            advance(f"{res.name}: {SKIPPED if res.skipped else res.status}", total=total)

        report = fleet(
            args.root,
            args.out_dir,
            args.options,
            config=args.config,
            workers=args.workers,
            scheduler=args.scheduler,
            timeout=args.model_timeout,
            progress=progress,
        )
    if args.json:
        print_json(report.to_json())
    else:
        for r in report.rows():
            said = r["proved"] if r["status"].startswith("migrated") else r["cause"]
            print(f"  {r['status']:<30} {r['seconds']:>7.1f} s  {r['name']}: {said}")
        print(f"fleet: {report.summary()}: {report.out_dir}/fleet.html")
    return 0 if report.passed else 1
