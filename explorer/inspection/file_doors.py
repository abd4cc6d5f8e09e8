"""File doors (:data:`~explorer.graph.op_families.DOORS`), judged before anything runs: reads in
the model folder and its own Saver pass; every other write, URL, print or run-time path is refused.
Where a door's path comes from is read off the graph alone (:class:`Tracer`). Also ``asset-file``
and ``function-recursion`` (TensorFlow segfaults on it)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from explorer.graph.index import function_calls, graph_index
from explorer.graph.names import data_inputs, op_name
from explorer.graph.op_families import (
    ANY_INPUT_OPS,
    CALL_OPS,
    CHECKPOINT_OPS,
    DOORS,
    FILE_OPS,
    IF_OPS,
    INPUT_OPS,
    PATH_PASS_OPS,
    WHILE_OPS,
    Door,
)
from explorer.inspection.scan_rules import Finding, NodeRef, ScanContext, rule
from explorer.loading.model import init_ops
from explorer.loading.validation import outside, recursive_functions, special_kind

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    from explorer.loading.model import V1Model


@dataclass(frozen=True)
class Source:
    """One value a path input can take: ``const``, ``asset`` (its file), ``saver`` (its filename
    tensor plus ``text``), ``unknown`` (``text``: why) or ``uncalled`` (never runs)."""

    kind: str
    text: str = ""


_MAX_STEPS = 200
_MAX_VALUES = 16


def _capped(values: list[Source]) -> list[Source]:
    """At most :data:`_MAX_VALUES` values, one ``unknown`` standing for any more."""
    if len(values) <= _MAX_VALUES:
        return values
    return [*values[: _MAX_VALUES - 1], Source("unknown", "among too many possible values")]


class Tracer:
    """Traces string tensors of the graph and its functions; one per scan context."""

    def __init__(self, ctx: ScanContext) -> None:
        self.ctx = ctx
        self.index = graph_index(ctx.graph_def)
        self.assets = {k.partition(":")[0]: v for k, v in ctx.model.assets.items()}
        self.filename_op = op_name(ctx.model.filename_tensor or "")
        self.gradients = {g.gradient_func for g in ctx.graph_def.library.gradient}
        self._fed = False  # tracing for an op only init runs: asset tensors hold their files

    @cached_property
    def init_only(self) -> set[str]:
        """The ops that run only with the init ops (assets fed), never for an output."""
        model = self.ctx.model
        outputs = [t.name for s in model.signatures.values() for t in s.outputs.values()]
        fed = [model.filename_tensor] if model.filename_tensor else []
        init = self.index.upstream(init_ops(model), fed=fed)
        return init - self.index.upstream([op_name(t) for t in outputs])

    @cached_property
    def callers(self) -> dict[str, list[tuple[NodeDef, str | None, int]]]:
        """Function -> (calling node, its function or None, offset of the first argument)."""
        out: dict[str, list[tuple[NodeDef, str | None, int]]] = {}
        scopes: list[tuple[str | None, NodeDef]] = [(None, n) for n in self.index.node_list]
        for f in self.ctx.graph_def.library.function:
            scopes.extend((f.signature.name, n) for n in f.node_def)
        for scope, node in scopes:
            for k, name in enumerate(function_calls(node, self.index.functions)):
                offset = 1 if node.op in IF_OPS else 0
                if k == 0 and name == node.op:
                    offset = 0  # a direct call: the node's inputs are the arguments
                elif node.op not in CALL_OPS | IF_OPS | WHILE_OPS:
                    offset = -1  # called by a dataset or other op: args unknown
                out.setdefault(name, []).append((node, scope, offset))
        return out

    def trace(self, ref: NodeRef, input_index: int) -> list[Source]:
        inputs = data_inputs(ref.node)
        if input_index >= len(inputs):
            return [Source("unknown", "from an input the op lacks")]
        fname = ref.function.signature.name if ref.function is not None else None
        return self.values(inputs[input_index], fname, ref.name)

    def values(self, tensor: str, fname: str | None, door: str) -> list[Source]:
        """The values ``tensor`` (in function ``fname`` or the graph) takes for the op ``door``."""
        self._fed = fname is None and door in self.init_only
        return _capped(self._values(tensor, fname, set()))

    def _values(self, tensor: str, fname: str | None, seen: set[tuple[str | None, str]]) -> list:
        name = tensor.lstrip("^").partition(":")[0]
        key = (fname, name)
        if key in seen or len(seen) > _MAX_STEPS:
            return [Source("unknown", "from a loop or a deep expression")]
        seen = seen | {key}
        nodes = self.index.nodes if fname is None else self.index.function_nodes(fname)
        if fname is not None and name not in nodes:
            return self._argument(fname, name, seen)
        if (node := nodes.get(name)) is None:
            return [Source("unknown", f"from {name!r}, not in the graph")]
        if fname is None and name == self.filename_op:
            return [Source("saver")]
        ins = data_inputs(node)
        value = node.attr["value"].tensor.string_val if "value" in node.attr else []
        strings = [s.decode("utf-8", "replace") for s in value]
        if fname is None and name in self.assets:  # fed its file on init; its own value else
            asset = [Source("asset", self.assets[name])]
            return asset if self._fed else [*asset, *(Source("const", s) for s in strings)]
        if node.op == "Const":
            return [Source("const", s) for s in strings] or [
                Source("unknown", "from a non-string constant")
            ]
        if node.op in PATH_PASS_OPS and ins:
            return self._values(ins[0], fname, seen)
        if node.op in ANY_INPUT_OPS:
            parts = ins[1:] if node.op in ("Select", "SelectV2") else ins
            return _capped([s for i in parts for s in self._values(i, fname, seen)])
        if node.op == "StringJoin":
            return self._join(node, ins, fname, seen)
        if node.op in INPUT_OPS:
            return [Source("unknown", f"fed through {name!r} at run time")]
        return [Source("unknown", f"computed by {node.op} {name!r} at run time")]

    def _join(self, node: NodeDef, ins: list[str], fname: str | None, seen: set) -> list[Source]:
        sep = node.attr["separator"].s.decode(errors="replace") if "separator" in node.attr else ""
        if not (parts := [self._values(i, fname, seen) for i in ins]):
            return [Source("const", "")]
        first, rest = parts[0], parts[1:]
        if any(s.kind != "const" for p in rest for s in p):
            return [Source("unknown", "joined at run time")]
        suffixes = [""]
        for p in rest:  # every combination (a Saver selects between two suffixes)
            suffixes = [a + sep + s.text for a in suffixes for s in p]
            if len(suffixes) > _MAX_VALUES:
                return [Source("unknown", "joined from too many possible values")]
        out = []
        for s in first:  # a joined asset is a path like any other
            joined = s.kind in ("const", "saver") or (s.kind == "asset" and suffixes != [""])
            kind = "const" if s.kind == "asset" else s.kind
            out.extend([Source(kind, s.text + x) for x in suffixes] if joined else [s])
        return _capped(out)

    def _elements(self, node: NodeDef, scope: str | None, seen: set) -> list[Source]:
        """What a dataset op passes its function: its input dataset's constant elements."""
        nodes = self.index.nodes if scope is None else self.index.function_nodes(scope)
        ins = data_inputs(node)
        src = nodes.get(ins[0].partition(":")[0]) if ins and node.op.endswith("Dataset") else None
        if src is not None and src.op in ("TensorSliceDataset", "TensorDataset"):
            return [s for i in data_inputs(src) for s in self._values(i, scope, seen)]
        return [Source("unknown", f"from an element of {node.op} {node.name!r}")]

    def _argument(self, fname: str, arg: str, seen: set) -> list[Source]:
        fn = self.index.functions[fname]
        names = [a.name for a in fn.signature.input_arg]
        if arg not in names:
            return [Source("unknown", f"from {arg!r}, not in function {fname}")]
        calls = self.callers.get(fname, [])
        if not calls and fname in self.gradients:  # called by the runtime, arguments unknown
            return [Source("unknown", f"from argument {arg!r} of gradient {fname}")]
        if not calls:
            return [Source("uncalled")]
        out: list[Source] = []
        for node, scope, offset in calls:
            if offset < 0:
                out.extend(self._elements(node, scope, seen))
                continue
            ins = data_inputs(node)
            k = names.index(arg) + offset
            if k >= len(ins):
                out.append(Source("unknown", f"from argument {arg!r} of {fname}"))
                continue
            fed = self._fed
            if scope is None:  # the top-level call decides whether the loader feeds assets
                self._fed = node.name in self.init_only
            out.extend(self._values(ins[k], scope, seen))
            self._fed = fed
        return _capped(out)


def tracer_of(ctx: ScanContext) -> Tracer:
    return ctx.once("tracer", Tracer)


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
