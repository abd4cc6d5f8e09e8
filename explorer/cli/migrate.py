"""``tf1-explorer migrate MODEL OUT_DIR``: inspect, suggest, scan, convert, save, parity.

    tf1-explorer migrate MODEL OUT_DIR [--overwrite] [--atol A] [--rtol R] [--batches N]
                                       [--seed K] [--report out.html] [--json]

Every signature is converted and saved to ``OUT_DIR`` (a TF2 SavedModel), then the saved folder
is compared with the v1 model (nondeterministic outputs remedied: keep_prob-like inputs fed
their neutral value, random ops seeded). Exit status 0 pass, 1 mismatch, 2 error. ``--json``
prints the ``parity`` JSON plus ``"output_dir"`` and ``"steps"`` (inspect, suggest, scan,
convert).
"""

from __future__ import annotations

import argparse
from typing import Any

from explorer.cli._common import add_verb, load_model, parse_ranges, parse_shapes
from explorer.cli._data import data_kwargs
from explorer.cli.parity import add_parity_args, finish


def register(sub: argparse._SubParsersAction) -> None:
    p = add_verb(
        sub,
        "migrate",
        run,
        "inspect, scan, convert every signature, save, and prove parity, in one report",
        "Migrate a TF1 model to a TF2 SavedModel and prove the outputs agree.",
    )
    p.add_argument("out_dir", metavar="OUT_DIR", help="folder for the TF2 SavedModel")
    p.add_argument("--overwrite", action="store_true", help="replace OUT_DIR if it exists")
    add_parity_args(p)


def run(args: argparse.Namespace) -> int:
    from explorer.comparing.parity_check import parity
    from explorer.conversion.converter import convert
    from explorer.inspection.scanner import scan
    from explorer.inspection.suggestions import suggest

    model = load_model(args)
    steps: dict[str, Any] = {
        "inspect": model.summary(),
        "suggest": suggest(model).to_json(),
        "scan": scan(model).to_json(),
    }
    v2 = convert(model, allow_unsafe=args.allow_unsafe)
    out = v2.save(args.out_dir, overwrite=args.overwrite)
    steps["convert"] = v2.summary(out)
    summary = parity(
        model,
        out,
        batches=args.batches,
        seed=args.seed,
        atol=args.atol,
        rtol=args.rtol,
        remedy=True,
        batch_size=args.batch_size,
        allow_unsafe=args.allow_unsafe,
        shapes=parse_shapes(args.shape),
        ranges=parse_ranges(args.range),
        **data_kwargs(args),
    )
    finish(summary, args, f"Migration of {model.path}", output_dir=str(out), steps=steps)
    return 0 if summary.passed else 1
