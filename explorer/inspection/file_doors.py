"""File doors (:data:`~explorer.graph.op_families.DOORS`), judged before anything runs: reads in
the model folder and its own Saver pass; every other write, URL, print or run-time path is refused.
Also ``asset-file`` and ``function-recursion`` (TensorFlow segfaults on it)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from explorer.graph.index import graph_index
from explorer.graph.names import data_inputs, op_name
from explorer.graph.op_families import CHECKPOINT_OPS, DOORS, FILE_OPS, INPUT_OPS, Door
from explorer.graph.run_scope import init_ops
from explorer.inspection.findings import Finding, NodeRef, ScanContext, rule
from explorer.inspection.path_sources import Source, tracer_of
from explorer.loading.files import outside, special_kind
from explorer.loading.validation import recursive_functions

if TYPE_CHECKING:
    from explorer.loading.model import V1Model


def model_folder(model: V1Model) -> Path:
    """The folder a model may read from: a SavedModel's folder, else the file's folder."""
    p = Path(model.path)
    return p if p.is_dir() else p.parent


def tf_path(text: str) -> tuple[Path | None, str | None]:
    """The local file TensorFlow opens for ``text``, resolved; ``(None, scheme)`` for a URL."""
    m = re.match(r"([a-zA-Z][0-9a-zA-Z.]*)://", text)
    if m and m.group(1) != "file":
        return None, m.group(1)
    if m:
        rest = text[m.end() :]
        text = rest[rest.index("/") :] if "/" in rest else "/"
    return Path(os.path.realpath(os.path.normpath(os.path.join(os.getcwd(), text)))), None


@dataclass(frozen=True)
class Opening:
    """One file a door would open and why it is refused (``None``: allowed)."""

    ref: NodeRef
    mode: str
    path: str
    refused: str | None


_UNSEEN = {
    "network": "a network address",
    "graph": "what a serialized graph the scan cannot see into opens",
    "reader": "the files its ReaderRead ops dequeue",
    "process": "the process's file-system settings",
}


def openings(ctx: ScanContext, ref: NodeRef) -> list[Opening]:
    """What the door ``ref`` would open, each path judged (``[]``: nothing)."""
    if (spec := DOORS.get(ref.node.op)) is None:
        return []
    if spec.source == "stream":
        return [Opening(ref, "write", "the process's stderr", _PRINTS)]
    if spec.source:
        return [Opening(ref, spec.mode, _UNSEEN[spec.source], "unknown before it runs")]
    values: list[Source] = []
    for k in spec.inputs:
        if ref.node.op.startswith("ReaderRead"):
            values.extend(_queued(ctx, ref))
        else:
            values.extend(tracer_of(ctx).trace(ref, k))
    for attr in spec.attrs:
        a = ref.node.attr.get(attr)
        for t in ([a.s] if a.s else list(a.list.s)) if a is not None else []:
            text = t.decode("utf-8", "replace")
            if ref.node.op in ("Copy", "CopyHost"):  # "DebugIdentity;file:///dir;0"
                text = text.split(";")[1] if text.count(";") >= 2 else text
            if attr == "output_stream" and not text.startswith("file://"):
                values.append(Source("stream", text))  # stderr, stdout, log(...)
            elif attr != "descriptor_source" or text not in ("", "local://", "global://"):
                values.append(Source("const", text))
    folder = model_folder(ctx.model)
    return [_judge(ctx, ref, spec, v, folder) for v in values]


_PRINTS = "a print to the process's own output, where it can pass for explorer's messages"


def _judge(ctx: ScanContext, ref: NodeRef, spec: Door, v: Source, folder: Path) -> Opening:
    op = ref.node.op
    if v.kind == "uncalled":
        return Opening(ref, spec.mode, "(in a function nothing calls)", None)
    if v.kind == "stream":
        return Opening(ref, spec.mode, f"the process's {v.text}", _PRINTS)
    runs = ctx.scope is not None and ref.name in ctx.scope
    if v.kind == "saver":
        path = f"<the checkpoint prefix>{v.text}"
        if spec.mode == "write" and runs:
            return Opening(ref, spec.mode, path, "a write over the model's own checkpoint")
        own = op in CHECKPOINT_OPS and ".." not in v.text and _saver_internal(ctx, ref)
        return Opening(ref, spec.mode, path, None if own else "the Saver's prefix used elsewhere")
    if v.kind == "unknown":
        return Opening(ref, spec.mode, f"a path {v.text}", "unknown before it runs")
    if v.kind == "const" and v.text == "" and op in ("CacheDataset", "CacheDatasetV2"):
        return Opening(ref, spec.mode, "(in memory)", None)
    path, scheme = tf_path(v.text)
    if path is None:
        return Opening(ref, spec.mode, v.text, f"a {scheme}:// URL, not a local file")
    shown = str(path) if v.kind == "const" else v.text
    if v.kind == "const" and not runs and _unused_saver(ctx, ref, v.text):
        return Opening(ref, spec.mode, shown, None)
    if spec.mode == "write":
        return Opening(ref, spec.mode, shown, "a write outside what explorer writes")
    if v.kind == "asset":
        return Opening(ref, spec.mode, shown, None)  # the asset-file rule judges the file
    base = [folder / "assets", folder / "assets.extra"] if spec.assets_only else [folder]
    if any(outside(path, b) is None for b in base):
        return Opening(ref, spec.mode, shown, None)
    where = "the model's assets/" if spec.assets_only else "the model folder"
    return Opening(ref, spec.mode, shown, f"outside {where}")


def _unused_saver(ctx: ScanContext, ref: NodeRef, text: str) -> bool:
    """A second ``tf.train.Saver`` left in the graph, used by nothing outside its scope."""
    if ref.node.op not in CHECKPOINT_OPS or ref.function is not None:
        return False
    if text.split("_temp", 1)[0] != "model" or ".." in text:
        return False
    return _saver_internal(ctx, ref)


def _saver_internal(ctx: ScanContext, ref: NodeRef) -> bool:
    """Whether ``ref`` and all after it sit in its ``save*/`` scope (never run unasked)."""
    scope = ref.name.rpartition("/")[0]
    if ref.function is not None or not scope.rpartition("/")[2].startswith("save"):
        return False
    outputs = [t for sig in ctx.model.signatures.values() for t in sig.outputs.values()]
    runs = {*init_ops(ctx.model), *(op_name(t.name) for t in outputs)}
    after = graph_index(ctx.graph_def).downstream([ref.name])
    return all(n.startswith(scope + "/") and n not in runs for n in after)


def _queued(ctx: ScanContext, ref: NodeRef) -> list[Source]:
    """File names enqueued into the queue a ``ReaderRead*`` op reads (traced to constants)."""
    inputs = data_inputs(ref.node)
    if len(inputs) < 2 or ref.function is not None:
        return [Source("unknown", "from a queue")]
    queue = op_name(inputs[1])
    out: list[Source] = []
    for node in graph_index(ctx.graph_def).data_consumers.get(queue, []):
        if node.op.startswith("QueueEnqueue") and op_name(node.input[0]) == queue:
            for i in data_inputs(node)[1:]:
                out.extend(tracer_of(ctx).values(i, None, ref.name))
    return out or [Source("unknown", "from a queue filled at run time")]


@rule(*FILE_OPS, name="file-system", unsafe=True)
def _file_doors(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    for ref in refs:
        if not (refused := [o for o in openings(ctx, ref) if o.refused]):
            continue
        paths = "; ".join(f"{o.path} ({o.refused})" for o in refused[:3])
        more = f" and {len(refused) - 3} more" if len(refused) > 3 else ""
        verb = "read" if refused[0].mode == "read" else "write"
        message = (
            f"{verb} {paths}{more}: {ref.node.op} {ref.name!r} opens it when run, a path the "
            "model's author chose; check it, or pass allow_unsafe=True if you trust the file"
        )
        yield Finding("file-system", "warning", (ref.name,), message, unsafe=True)


@rule(*INPUT_OPS, "Const", name="asset-file", unsafe=True)
def _asset_files(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    if not (assets := ctx.model.assets):
        return
    folder = model_folder(ctx.model)
    by_op = {k.partition(":")[0]: (k, v) for k, v in assets.items()}
    for ref in refs:
        if ref.function is not None or ref.name not in by_op:
            continue
        tensor, path = by_op[ref.name]
        if problem := asset_problem(path, folder):
            message = (
                f"read asset {path} ({problem}): asset tensor {tensor} feeds that file to the "
                "tables and ops it initialises; re-export with the file inside assets/, or pass "
                "allow_unsafe=True if you trust the file"
            )
            yield Finding("asset-file", "warning", (ref.name,), message, unsafe=True)


def asset_problem(path: str, folder: Path) -> str | None:
    """Why the asset file ``path`` may not be read for a model in ``folder`` (``None``: fine)."""
    p = Path(path)
    lexical = Path(os.path.normpath(p))
    if not (lexical == folder or folder in lexical.parents) or ".." in p.parts:
        return "its recorded name leaves the model folder"
    real = outside(p, folder)
    if kind := special_kind(p):
        return f"a {kind}, not a regular file"
    return None if real is None else f"a symbolic link to {real}, outside the model folder"


@rule(name="function-recursion", unsafe=True)
def _recursion(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    if cycle := recursive_functions(ctx.graph_def):
        message = (
            f"recurse without end: library function {cycle[0]} calls itself "
            f"({' -> '.join([*cycle, cycle[0]])}), which overflows TensorFlow's stack when run (a "
            "crash, not an error); the file is corrupt or hostile, re-export it"
        )
        yield Finding("function-recursion", "error", tuple(cycle), message, unsafe=True)
