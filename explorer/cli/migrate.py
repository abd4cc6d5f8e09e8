"""``tf1-explorer migrate MODEL OUT_DIR``: inspect, suggest, scan, convert, save, parity.

    tf1-explorer migrate MODEL OUT_DIR [--overwrite] [--atol A] [--rtol R] [--batches N]
                                       [--seed K] [--report out.html] [--json]

Every signature is converted and saved (a TF2 SavedModel), then the saved folder
is compared with the v1 model (nondeterministic outputs remedied: keep_prob-like inputs fed
their neutral value, random ops seeded). All or nothing: it is saved and compared in a hidden
folder beside ``OUT_DIR`` and renamed to ``OUT_DIR`` only when parity passes, so an error or a
mismatch leaves no ``OUT_DIR`` (a killed run's hidden folder is removed by the next run). Exit
status 0 pass, 1 mismatch, 2 error. ``--json`` prints the ``parity`` JSON plus ``"output_dir"``
(``null`` when not written) and ``"steps"`` (inspect, suggest, scan, convert).
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
    import shutil
    from pathlib import Path

    from explorer.comparing.parity_check import parity
    from explorer.conversion.converter import convert
    from explorer.conversion.staging import check_target, publish, stage
    from explorer.inspection.scanner import scan
    from explorer.inspection.suggestions import suggest
    from explorer.loading.output_paths import check_output

    check_target(Path(args.out_dir).expanduser().resolve(), args.overwrite)  # before any work
    model = load_model(args)
    out = check_output(model, args.out_dir)  # never into the model's folder or files
    steps: dict[str, Any] = {
        "inspect": model.summary(),
        "suggest": suggest(model).to_json(),
        "scan": scan(model).to_json(),
    }
    v2 = convert(model, allow_unsafe=args.allow_unsafe)
    # All or nothing: saved and compared in a hidden folder beside OUT_DIR, renamed into place
    # only when parity passes; any failure (or a kill: the next run clears it) leaves no OUT_DIR.
    staging = stage(out)
    try:
        saved = v2.save(staging / out.name)
        summary = parity(
            model,
            saved,
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
        if summary.passed:
            publish(saved, out, args.overwrite)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    written = str(out) if summary.passed else None
    steps["convert"] = v2.summary(written)
    finish(summary, args, f"Migration of {model.path}", output_dir=written, steps=steps)
    if not summary.passed and not args.json:
        print(f"  {out} not written: parity did not pass (migrate writes all or nothing)")
    return 0 if summary.passed else 1
