"""``tf1-explorer migrate MODEL OUT_DIR``: inspect, suggest, scan, convert, save, parity.

    tf1-explorer migrate MODEL OUT_DIR [--signature S ... | --inputs T ... --outputs T ...]
                                       [--overwrite] [--atol A] [--rtol R] [--batches N]
                                       [--seed K] [--report out.html] [--json]

What is migrated: the ``--signature`` s given, or ``--inputs/--outputs``; else every signature;
else (a model without signatures: a training checkpoint, a frozen graph) the top suggested output
and the inputs it needs, but only when that suggestion is confident
(:func:`explorer.inspection.io_choice.confident_io`: no concern against it and a clear lead);
otherwise it stops with exit status 2, naming the ranked candidates and ``--outputs``. Outputs of
an input pipeline (``IteratorGetNext``, queue dequeues) are fed in place of the pipeline and keyed
by their tf.Example feature names.

The choice is converted and saved (a TF2 SavedModel), then the saved folder is compared with the
v1 model (nondeterministic outputs remedied: keep_prob-like inputs fed their neutral value, random
ops seeded). All or nothing: it is saved and compared in a hidden folder beside ``OUT_DIR`` and
renamed to ``OUT_DIR`` only when parity passes, so an error or a mismatch leaves no ``OUT_DIR`` (a
killed run's hidden folder is removed by the next run). Exit status 0 pass, 1 mismatch, 2 error.
The report names the tensors proved first: ``--json`` prints ``{"proved": {signature:
{"outputs": [...], "inputs": [...]}}, ...parity JSON..., "output_dir"`` (``null`` when not
written) ``, "steps"}`` (inspect, suggest, scan, choice, convert), and the text's last line is
``proved OUTPUTS <- INPUTS: passed``. Without ``--json``, one line per step as it ends
(``[4/6] convert  5 signatures, 2 variables``) comes first.
"""

from __future__ import annotations

import argparse
from typing import Any

from explorer.cli._common import (
    add_tensor_args,
    add_verb,
    check_output_path,
    load_model,
    parse_ranges,
    parse_shapes,
)
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
    add_tensor_args(p, "migrate")
    add_parity_args(p)


def run(args: argparse.Namespace) -> int:
    import shutil
    from pathlib import Path

    from explorer.cli._progress import step
    from explorer.comparing.parity_check import parity
    from explorer.conversion.converter import convert
    from explorer.conversion.staging import check_target, publish, stage
    from explorer.inspection.gate import admit_import
    from explorer.inspection.scanner import scan
    from explorer.inspection.suggestions import suggest
    from explorer.loading.output_paths import check_output

    check_target(Path(args.out_dir).expanduser().resolve(), args.overwrite)  # before any work
    model = load_model(args)
    out = check_output(model, args.out_dir)  # never into the model's folder or files
    check_output_path(model, args.report)
    admit_import(model)  # custom ops, a graph that crashes TF: one line before any step
    done = _Steps(args)
    steps: dict[str, Any] = {"inspect": model.summary()}
    done("inspect", f"{model.format}, {model.node_count} nodes, {len(model.signatures)} signatures")
    with step("ranking inputs and outputs"):
        steps["suggest"] = suggest(model).to_json()
    done("suggest", _best(steps["suggest"]))
    with step("scanning for what will break"):
        steps["scan"] = scan(model).to_json()
    done("scan", f"{len(steps['scan']['findings'])} findings")
    what, convert_args, parity_args = _choose(model, args)
    steps["choice"] = what
    with step("converting to TF2"):
        v2 = convert(model, allow_unsafe=args.allow_unsafe, **convert_args)
    done("convert", f"{len(v2.signatures)} signatures, {len(v2.variables)} variables")
    # All or nothing: saved and compared in a hidden folder beside OUT_DIR, renamed into place
    # only when parity passes; any failure (or a kill: the next run clears it) leaves no OUT_DIR.
    staging = stage(out)
    try:
        with step(f"saving beside {out}"):
            saved = v2.save(staging / out.name)
        done("save", f"staged beside {out}")
        with step(f"comparing v1 and the saved TF2 model on {args.batches} batches"):
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
                **parity_args,
            )
        if summary.passed:
            publish(saved, out, args.overwrite)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    done("parity", f"{summary.status}: {out} {'written' if summary.passed else 'not written'}")
    written = str(out) if summary.passed else None
    steps["convert"] = v2.summary(written)
    proved = _proved(model, v2, summary)
    title = f"Migration of {model.path}"
    finish(summary, args, title, proved=proved, output_dir=written, steps=steps)
    if not args.json:
        if not summary.passed:
            print(f"  {out} not written: parity did not pass (migrate writes all or nothing)")
        print(_last_line(proved, summary))  # the last line names the tensors proved
    return 0 if summary.passed else 1


STEPS = ("inspect", "suggest", "scan", "convert", "save", "parity")


class _Steps:
    """Prints ``[k/6] step  detail`` on stdout as each step ends (not with ``--json``)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.show = not args.json

    def __call__(self, name: str, detail: str) -> None:
        if self.show:
            print(f"[{STEPS.index(name) + 1}/{len(STEPS)}] {name:<8} {detail}", flush=True)


def _best(suggested: dict[str, Any]) -> str:
    ins = [c["name"] for c in suggested.get("inputs", [])[:1]]
    outs = [c["name"] for c in suggested.get("outputs", [])[:1]]
    return f"best input {ins[0] if ins else '-'}, best output {outs[0] if outs else '-'}"


def _choose(model: Any, args: argparse.Namespace) -> tuple[dict[str, Any], dict, dict]:
    """(what was chosen and why, convert keyword arguments, parity keyword arguments)."""
    if args.inputs is not None or args.outputs is not None:
        custom = {"inputs": args.inputs, "outputs": args.outputs}
        return {"by": "--inputs/--outputs", **custom}, dict(custom), dict(custom)
    if args.signature:
        return (
            {"by": "--signature", "signatures": args.signature},
            ({"signatures": args.signature}),
            {"signatures": args.signature},
        )
    if model.signatures:
        return {"by": "signatures", "signatures": sorted(model.signatures)}, {}, {}
    from explorer.inspection.io_choice import confident_io

    choice = confident_io(model)  # OutputChoiceError (exit 2) names the candidates
    what = {
        "by": "confident suggestion",
        "inputs": choice.inputs,
        "outputs": choice.outputs,
        "reason": choice.reason,
        "lead": choice.lead,
    }
    custom = {"inputs": choice.inputs, "outputs": choice.outputs}  # pipeline outputs: by feature
    return what, dict(custom), dict(custom)


def _proved(model: Any, v2: Any, summary: Any) -> dict[str, dict[str, list[str]]]:
    """Signature -> the graph tensors compared: ``{"outputs": [...], "inputs": [...]}``."""
    out = {}
    for name in summary.reports:
        sig = v2.signatures.get(name)
        if sig is None:
            continue
        out[name] = {
            "outputs": [s.name or key for key, s in sig.source_outputs.items()],
            "inputs": [s.name or key for key, s in sig.source_inputs.items()],
        }
    return out


def _last_line(proved: dict[str, dict[str, list[str]]], summary: Any) -> str:
    parts = []
    for name, io in proved.items():
        ins = ", ".join(io["inputs"]) or "no inputs"
        where = f"{name}: " if len(proved) > 1 else ""  # several signatures: say whose
        parts.append(f"{where}{', '.join(io['outputs'])} <- {ins}")
    return f"proved {'; '.join(parts) or 'nothing'}: {summary.status}"
