"""File doors: every op that makes TensorFlow open a file, and where its path comes from.

Rules, judged before anything runs on the node refs the gate passes (the whole graph for
``explorer.scan``):

* ``file-system`` (op types in :data:`DOORS`): each door's path, traced to constants, assets, the
  Saver's filename tensor or a function's callers. A read inside the model folder (a table's path:
  inside ``assets/``) or of an asset is allowed, and so is the model's own Saver; every other
  write, and a path computed at run time or fed, is refused.
* ``asset-file``: an asset whose recorded name is absolute, climbs out with ``..``, is a symlink
  out of the model folder, or is not a regular file.
* ``function-recursion``: a library function that calls itself (TensorFlow segfaults running it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer.graph.index import graph_index
from explorer.graph.op_families import (
    CHECKPOINT_OPS,
    FILE_OPS,
    INPUT_OPS,
)
from explorer.inspection.findings import Finding, NodeRef, ScanContext, rule
from explorer.inspection.path_sources import Source, tracer_of
from explorer.loading.files import special_kind
from explorer.loading.validation import recursive_functions

if TYPE_CHECKING:
    from explorer.loading.model import V1Model


@dataclass(frozen=True)
class Door:
    """How an op type opens files: ``mode`` (``read``/``write``: a write is a door wherever it
    points), the ``inputs`` (indexes) and string ``attrs`` carrying paths or URLs, else its
    ``source`` (``network``, ``graph``: a serialized graph, ``reader``: a ReaderRead's queue),
    and ``assets_only`` (constant paths must lie in ``assets/``, for tables)."""

    mode: str
    inputs: tuple[int, ...] = ()
    attrs: tuple[str, ...] = ()
    source: str = ""
    assets_only: bool = False


DOORS: dict[str, Door] = {}  # op type -> Door; its keys are op_families.FILE_OPS


def door(mode: str, *op_types: str, **kw: Any) -> None:
    """Add op types that open files through the same input or attribute to :data:`DOORS`."""
    DOORS.update(dict.fromkeys(op_types, Door(mode, **kw)))


door("read", "ReadFile", "MatchingFiles", inputs=(0,))
door("write", "WriteFile", inputs=(0,))
door("write", "PrintV2", attrs=("output_stream",))
door("read", "ImmutableConst", attrs=("memory_region_name",))
door("write", "CreateSummaryFileWriter", "CreateSummaryDbWriter", inputs=(1,))
door(
    "read",
    "TFRecordDataset",
    "TFRecordDatasetV2",
    "TextLineDataset",
    "FixedLengthRecordDataset",
    "FixedLengthRecordDatasetV2",
    "CSVDataset",
    "CSVDatasetV2",
    "ExperimentalCSVDataset",
    "LMDBDataset",
    "ExperimentalLMDBDataset",
    "MatchingFilesDataset",
    "ExperimentalMatchingFilesDataset",
    "LoadDataset",
    "SnapshotDatasetReader",
    "SnapshotChunkDataset",
    "ListSnapshotChunksDataset",
    "LoadAndRemapMatrix",
    inputs=(0,),
)
door("read", "RecordInput", attrs=("file_pattern",))
door("read", "SqlDataset", "ExperimentalSqlDataset", inputs=(1,))
door("read", "GenerateVocabRemapping", inputs=(0, 1))
door("write", "CacheDataset", "CacheDatasetV2", inputs=(1,))
door(
    "write",
    "DatasetToTFRecord",
    "ExperimentalDatasetToTFRecord",
    "SaveDataset",
    "SaveDatasetV2",
    "SnapshotDataset",
    "SnapshotDatasetV2",
    "DistributedSave",
    inputs=(1,),
)
door(
    "read",
    "DataServiceDataset",
    "DataServiceDatasetV2",
    "DataServiceDatasetV3",
    "DataServiceDatasetV4",
    source="network",
)
door("write", "RegisterDataset", "RegisterDatasetV2", source="network")
door("read", "DatasetFromGraph", source="graph")
door(
    "read",
    "WholeFileReader",
    "WholeFileReaderV2",
    "TextLineReader",
    "TextLineReaderV2",
    "TFRecordReader",
    "TFRecordReaderV2",
    "FixedLengthRecordReader",
    "FixedLengthRecordReaderV2",
    "LMDBReader",
    source="reader",
)
door("read", "ReaderRead", "ReaderReadV2", "ReaderReadUpTo", "ReaderReadUpToV2", inputs=(1,))
door(
    "read",
    "InitializeTableFromTextFile",
    "InitializeTableFromTextFileV2",
    inputs=(1,),
    assets_only=True,
)
door("read", "Skipgram", attrs=("filename",))
door("read", "DecodeProtoV2", "EncodeProto", attrs=("descriptor_source",))
door("write", "Save", "SaveSlices", "SaveV2", inputs=(0,))
door("read", "Restore", "RestoreSlice", "RestoreV2", inputs=(0,))
door("write", "MergeV2Checkpoints", inputs=(0, 1))
door(
    "write",
    "DebugIdentity",
    "DebugIdentityV2",
    "DebugIdentityV3",
    "DebugNanCount",
    "DebugNumericSummary",
    attrs=("debug_urls",),
)
door("write", "Copy", "CopyHost", attrs=("debug_ops_spec",))


# -- where the model may read ----------------------------------------------------------------------


def model_folder(model: V1Model) -> Path:
    """The folder a model may read from: a SavedModel's folder, else the file's folder."""
    p = Path(model.path)
    return p if p.is_dir() else p.parent


def _resolved(text: str) -> Path:
    p = Path(text).expanduser()
    return Path(os.path.realpath(p if p.is_absolute() else Path.cwd() / p))


def _inside(path: Path, folder: Path) -> bool:
    root = Path(os.path.realpath(folder))
    return path == root or root in path.parents


def _strip_url(text: str) -> tuple[str, str | None]:
    """(path, None) for plain paths and ``file://`` URLs; (text, scheme) for other URLs."""
    if text.startswith("file://"):
        return text[len("file://") :], None
    if "://" in text:
        return text, text.split("://", 1)[0]
    return text, None


@dataclass(frozen=True)
class Opening:
    """One file a door would open: the door's node, read/write, the path and why it is refused
    (``None``: allowed)."""

    ref: NodeRef
    mode: str
    path: str
    refused: str | None


def openings(ctx: ScanContext, ref: NodeRef) -> list[Opening]:
    """What the door ``ref`` would open, each path judged (``[]`` for a door that opens nothing,
    like ``PrintV2`` to stderr or a ``CacheDataset`` in memory)."""
    spec = DOORS.get(ref.node.op)
    if spec is None:
        return []
    if spec.source:
        why = {
            "network": "a network address",
            "graph": "what a serialized graph the scan cannot see into opens",
            "reader": "the files its ReaderRead ops dequeue",
        }[spec.source]
        return [Opening(ref, spec.mode, why, "unknown before it runs")]
    values: list[Source] = []
    for k in spec.inputs:
        if ref.node.op.startswith("ReaderRead"):
            values.extend(_queued(ctx, ref))
        else:
            values.extend(tracer_of(ctx).trace(ref, k))
    for attr in spec.attrs:
        if attr not in ref.node.attr:
            continue
        a = ref.node.attr[attr]
        texts = [a.s] if a.s else list(a.list.s)
        for t in texts:
            text = t.decode("utf-8", "replace")
            if ref.node.op in ("Copy", "CopyHost"):  # "DebugIdentity;file:///dir;0"
                text = text.split(";")[1] if text.count(";") >= 2 else text
            if attr == "output_stream" and not text.startswith("file://"):
                continue  # stderr, stdout, log(...)
            if attr == "descriptor_source" and text in ("", "local://", "global://"):
                continue
            values.append(Source("const", text))
    folder = model_folder(ctx.model)
    return [_judge(ctx, ref, spec, v, folder) for v in values]


def _judge(ctx: ScanContext, ref: NodeRef, spec: Door, v: Source, folder: Path) -> Opening:
    op = ref.node.op
    if v.kind == "uncalled":
        return Opening(ref, spec.mode, "(in a function nothing calls)", None)
    if v.kind == "saver":
        path = f"<the checkpoint prefix>{v.text}"
        own = op in CHECKPOINT_OPS and ".." not in v.text and _saver_internal(ctx, ref)
        return Opening(ref, spec.mode, path, None if own else "the Saver's prefix used elsewhere")
    if v.kind == "unknown":
        return Opening(ref, spec.mode, f"a path {v.text}", "unknown before it runs")
    text, scheme = _strip_url(v.text)
    if v.kind == "const" and text == "" and op in ("CacheDataset", "CacheDatasetV2"):
        return Opening(ref, spec.mode, "(in memory)", None)
    if scheme is not None:
        return Opening(ref, spec.mode, v.text, f"a {scheme}:// URL")
    path = _resolved(text)
    shown = str(path) if v.kind == "const" else text
    if v.kind == "const" and _unused_saver(ctx, ref, text):
        return Opening(ref, spec.mode, shown, None)
    if spec.mode == "write":
        return Opening(ref, spec.mode, shown, "a write outside what explorer writes")
    if v.kind == "asset":
        return Opening(ref, spec.mode, shown, None)  # the asset-file rule judges the file
    base = [folder / "assets", folder / "assets.extra"] if spec.assets_only else [folder]
    if any(_inside(path, b) for b in base):
        return Opening(ref, spec.mode, shown, None)
    where = "the model's assets/" if spec.assets_only else "the model folder"
    return Opening(ref, spec.mode, shown, f"outside {where}")


def _unused_saver(ctx: ScanContext, ref: NodeRef, text: str) -> bool:
    """A second ``tf.train.Saver`` left in the graph: a checkpoint op in a ``save*/`` scope whose
    prefix is the Saver's default constant ``model`` and that nothing outside its scope uses (it
    runs only when fetched by name)."""
    if ref.node.op not in CHECKPOINT_OPS or ref.function is not None:
        return False
    if text.split("_temp", 1)[0] != "model" or ".." in text:
        return False
    return _saver_internal(ctx, ref)


def _saver_internal(ctx: ScanContext, ref: NodeRef) -> bool:
    """Whether ``ref`` sits in a ``save*/`` scope and everything that depends on it (control
    edges included) does too: inference and initialisation never run it."""
    if ref.function is not None:
        return False
    scope, _, _ = ref.name.rpartition("/")
    if not scope or not scope.rpartition("/")[2].startswith("save"):
        return False
    scope += "/"
    consumers = graph_index(ctx.graph_def).op_consumers
    init = {ctx.model.init_op or ""} | set(ctx.model.collection("table_initializer"))
    seen: set[str] = set()
    todo = [ref.name]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if not name.startswith(scope) or name in init or len(seen) > 2000:
            return False
        todo.extend(c.name for c in consumers.get(name, ()))
    return True


def _queued(ctx: ScanContext, ref: NodeRef) -> list[Source]:
    """File names enqueued into the queue a ``ReaderRead*`` op reads (traced to constants)."""
    inputs = [i for i in ref.node.input if not i.startswith("^")]
    if len(inputs) < 2 or ref.function is not None:
        return [Source("unknown", "from a queue")]
    queue = inputs[1].partition(":")[0]
    tracer = tracer_of(ctx)
    out: list[Source] = []
    for node in ctx.graph_def.node:
        if (
            node.op.startswith("QueueEnqueue")
            and node.input
            and node.input[0].partition(":")[0] == queue
        ):
            for i in [i for i in node.input[1:] if not i.startswith("^")]:
                out.extend(tracer._values(i, None, set()))
    return out or [Source("unknown", "from a queue filled at run time")]


# -- rules -----------------------------------------------------------------------------------------


@rule(*FILE_OPS, name="file-system", unsafe=True)
def _file_doors(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    for ref in refs:
        refused = [o for o in openings(ctx, ref) if o.refused]
        if not refused:
            continue
        paths = "; ".join(f"{o.path} ({o.refused})" for o in refused[:3])
        more = f" and {len(refused) - 3} more" if len(refused) > 3 else ""
        verb = "read" if refused[0].mode == "read" else "write"
        yield Finding(
            "file-system",
            "warning",
            (ref.name,),
            f"{verb} {paths}{more}: {ref.node.op} {ref.name!r} opens it when run, a path the "
            "model's author chose; check it, or pass allow_unsafe=True if you trust the file",
            unsafe=True,
        )


@rule(*INPUT_OPS, "Const", name="asset-file", unsafe=True)
def _asset_files(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    assets = ctx.model.assets
    if not assets:
        return
    folder = model_folder(ctx.model)
    by_op = {k.partition(":")[0]: (k, v) for k, v in assets.items()}
    for ref in refs:
        if ref.function is not None or ref.name not in by_op:
            continue
        tensor, path = by_op[ref.name]
        problem = asset_problem(path, folder)
        if problem:
            yield Finding(
                "asset-file",
                "warning",
                (ref.name,),
                f"read asset {path} ({problem}): asset tensor {tensor} feeds that file to the "
                "tables and ops it initialises; re-export with the file inside assets/, or pass "
                "allow_unsafe=True if you trust the file",
                unsafe=True,
            )


def asset_problem(path: str, folder: Path) -> str | None:
    """Why the asset file ``path`` may not be read for a model in ``folder`` (``None``: fine)."""
    p = Path(path)
    lexical = Path(os.path.normpath(p))
    if not (lexical == folder or folder in lexical.parents) or ".." in p.parts:
        return "its recorded name leaves the model folder"
    real = Path(os.path.realpath(p))

    kind = special_kind(real)
    if kind:
        return f"a {kind}, not a regular file"
    if not _inside(real, folder):
        return f"a symbolic link to {real}, outside the model folder"
    return None


@rule(name="function-recursion", unsafe=True)
def _recursion(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    cycle = recursive_functions(ctx.graph_def)
    if cycle:
        yield Finding(
            "function-recursion",
            "error",
            tuple(cycle),
            f"recurse without end: library function {cycle[0]} calls itself "
            f"({' -> '.join([*cycle, cycle[0]])}), which overflows TensorFlow's stack when run (a "
            "crash, not an error); the file is corrupt or hostile, re-export it",
            unsafe=True,
        )
