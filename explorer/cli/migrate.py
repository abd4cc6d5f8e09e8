"""``tf1-explorer migrate MODEL OUT_DIR``: inspect, suggest, scan, convert, save, parity, latency
of the ``--signature`` s or ``--inputs/--outputs`` given, else every signature, else the heads
:func:`~explorer.inspection.suggestions.confident_io` suggests. All or nothing: ``OUT_DIR`` is
written only when parity passes. Exit 0 pass, 1 mismatch, 2 error; ``--json`` adds ``proved``
(signature -> ``{"outputs", "inputs"}``), ``output_dir`` and ``steps`` to the parity JSON."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from explorer.cli._common import FLAG, add_verb, custom_tensors, load_model, step, tensor_options
from explorer.cli.parity import add_parity_args, finish, parity_kwargs
from explorer.inspection.gate import admit_import, scan
from explorer.inspection.suggestions import confident_io, suggest
from explorer.loading import isolation
from explorer.output_policy import check_output, staged_folder

if TYPE_CHECKING:
    from explorer.running.base import Runner


def register(sub: argparse._SubParsersAction) -> None:
    p = add_verb(
        sub,
        "migrate",
        run,
        "inspect, scan, convert every signature, save, and prove parity, in one report",
        "Migrate a TF1 model to a TF2 SavedModel and prove the outputs agree.",
        ("out_dir", "folder for the TF2 SavedModel", {"metavar": "OUT_DIR"}),
        ("--overwrite", "replace OUT_DIR if it exists", FLAG),
        ("--to", "what to write: saved_model or onnx", {"default": "saved_model"}),
        *tensor_options("migrate"),
    )
    add_parity_args(p)


def run(args: argparse.Namespace) -> int:
    from explorer.comparing.parity_check import parity
    from explorer.conversion.build import convert
    from explorer.conversion.onnx import check_target

    isolation.start()  # the preflight below waits for it only if it is still importing
    check_target(args.to)  # a missing [onnx] extra: one line before any work
    model = load_model(args)
    out = check_output(args.out_dir, model, args.overwrite)  # before any work
    kwargs = parity_kwargs(args, model)
    admit_import(model)  # custom ops, a graph that crashes TF: one line before any step

    def done(name: str, detail: str) -> None:  # ``[k/7] step  detail`` on stdout, not with --json
        if not args.json:
            print(f"[{STEPS.index(name) + 1}/{len(STEPS)}] {name:<8} {detail}", flush=True)

    steps: dict[str, Any] = {"inspect": model.summary()}
    done("inspect", f"{model.format}, {model.node_count} nodes, {len(model.signatures)} signatures")
    with step("ranking inputs and outputs"):
        steps["suggest"] = suggest(model).to_json()
    done("suggest", _best(steps["suggest"]))
    with step("scanning for what will break"):
        steps["scan"] = scan(model).to_json()
    done("scan", f"{len(steps['scan']['findings'])} findings")
    what, chosen = _choose(model, args)
    steps["choice"] = what
    if not args.json and "left_out" in what:
        left = "; ".join(what["left_out"]) or "nothing"
        print(f"         proving {', '.join(what['outputs'])}; left out: {left}", flush=True)
    onnx = args.to == "onnx"
    with step(f"converting to {'ONNX' if onnx else 'TF2'}"):
        v2 = convert(model, allow_unsafe=args.allow_unsafe, **chosen, to=args.to)
    held = f"ONNX opset {v2.opset}" if onnx else f"{len(v2.variables)} variables"
    done("convert", f"{len(v2.signatures)} signatures, {held}")
    # All or nothing: saved and compared in a hidden folder beside OUT_DIR, renamed into place
    # only when parity passes; any failure (or a kill: the next run clears it) leaves no OUT_DIR.
    kind = "ONNX model" if onnx else "TF2 SavedModel"
    with staged_folder(out, model, args.overwrite, kind) as staging:
        with step(f"saving beside {out}"):
            saved = v2.save(staging.path / out.name)
        done("save", f"staged beside {out}")
        with step(f"comparing v1 and the saved {kind} on {args.batches} batches"):
            table: dict[str, Any] = {}  # parity's first runners timed after its loop
            then = _timer(kind, kwargs, table)
            summary = parity(model, saved, remedy=True, **kwargs, **chosen, then=then)
        if summary.passed:
            staging.publish(saved)
    done("parity", f"{summary.status}: {out} {'written' if summary.passed else 'not written'}")
    written = str(out) if summary.passed else None
    if summary.passed:
        steps["latency"] = table
        done("latency", f"serve {table['serve'] or '-'}")
    steps["convert"] = v2.summary(written)
    proved = _proved(v2, summary)
    title = f"Migration of {model.path}"
    finish(summary, args, title, model, proved=proved, output_dir=written, steps=steps)
    if not args.json:
        if "latency" in steps:
            print(f"latency (median of interleaved rounds), serve {steps['latency']['serve']}:")
            for name, cells in steps["latency"]["artifacts"].items():
                for b, t in cells.items():
                    said = t.get("error") or f"{t['ms']:.3f} ms, {t['examples_per_second']:,.0f}/s"
                    print(f"  {name:<15} batch {b:>3}: {said}")
        if not summary.passed:
            print(f"  {out} not written: parity did not pass (migrate writes all or nothing)")
        print(_last_line(proved, summary))  # the last line names the tensors proved
    return 0 if summary.passed else 1


STEPS = ("inspect", "suggest", "scan", "convert", "save", "parity", "latency")


def _timer(kind: str, kwargs: dict, table: dict) -> Callable[[Runner, Runner], None]:
    """``parity(then=)``: time its v1 session and artifact on feeds sampled alike into ``table``."""
    from explorer.comparing.latency import against_v1
    from explorer.comparing.parity_check import Sampled

    src = kwargs.get("source")  # absent with --reference: its feeds were recorded, not sampled
    given = {"shapes": src.shapes, "ranges": src.ranges} if isinstance(src, Sampled) else {}
    seed = src.seed if isinstance(src, Sampled) else 0
    label = "ONNX Runtime" if kind == "ONNX model" else kind

    def time_them(r1: Any, r2: Runner) -> None:
        table.update(against_v1(r1, label, r2, seed, **given))

    return time_them


def _best(suggested: dict[str, Any]) -> str:
    ins = [c["name"] for c in suggested.get("inputs", [])[:1]]
    outs = [c["name"] for c in suggested.get("outputs", [])[:1]]
    return f"best input {ins[0] if ins else '-'}, best output {outs[0] if outs else '-'}"


def _choose(model: Any, args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what was chosen and why, the keyword arguments of both convert and parity)."""
    if custom := custom_tensors(args):
        return {"by": "--inputs/--outputs", **custom}, custom
    if args.signature:
        sigs = {"signatures": args.signature}
        return {"by": "--signature", **sigs}, sigs
    if model.signatures:
        return {"by": "signatures", "signatures": sorted(model.signatures)}, {}
    choice = confident_io(model)  # OutputChoiceError (exit 2) names the contradicting candidates
    custom = {"inputs": choice.inputs, "outputs": choice.outputs}  # pipeline outputs: by feature
    what = {"by": "confident suggestion", **custom, "reason": choice.reason}
    return {**what, "left_out": choice.left_out}, custom


def _proved(v2: Any, summary: Any) -> dict[str, dict[str, list[str]]]:
    """Signature -> the graph tensors compared: ``{"outputs": [...], "inputs": [...]}``."""
    sigs = {name: v2.signatures[name] for name in summary.reports if name in v2.signatures}
    return {
        name: {
            "outputs": [s.name or key for key, s in sig.source_outputs.items()],
            "inputs": [s.name or key for key, s in sig.source_inputs.items()],
        }
        for name, sig in sigs.items()
    }


def _last_line(proved: dict[str, dict[str, list[str]]], summary: Any) -> str:
    parts = []
    for name, io in proved.items():
        ins = ", ".join(io["inputs"]) or "no inputs"
        where = f"{name}: " if len(proved) > 1 else ""  # several signatures: say whose
        parts.append(f"{where}{', '.join(io['outputs'])} <- {ins}")
    verb = "proved" if summary.passed else "not proved"  # the tensors compared, by the verdict
    return f"{verb} {'; '.join(parts) or 'nothing'}: {summary.verdict}"
