"""What loading checks of an untrusted model before TensorFlow sees it (``ModelFormatError``):
only regular files inside the model, graphs within :data:`GRAPH_LIMITS`, structurally sound;
what plain TF tolerates but explorer would stop at is repaired, with a note."""

from __future__ import annotations

import graphlib
import os
import re
import stat
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from google.protobuf import message as pb_message
from google.protobuf import text_format
from google.protobuf.message import DecodeError

from explorer.errors import ModelFormatError, ModelNotFoundError, first_line, plain
from explorer.graph import protos
from explorer.graph.index import function_calls, graph_index
from explorer.graph.names import DTYPE_SIZES, dtype_name, op_name
from explorer.graph.op_families import INPUT_OPS
from explorer.graph.runtime import env_number

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef
    from tensorflow.core.protobuf.meta_graph_pb2 import MetaGraphDef

    from explorer.loading.model import V1Model

PROTO_MAX_BYTES = 2**31 - 1
"""The largest message protobuf parses: a bigger ``.pb``/``.meta`` is not a model file."""
M = TypeVar("M", bound=pb_message.Message)
STATE_MAX_BYTES = 2**20
"""A checkpoint state file is a few lines of text."""

_KINDS = (  # what a file is, by its mode (a regular file is nothing special)
    (stat.S_ISREG, None),
    (stat.S_ISFIFO, "FIFO (named pipe)"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISDIR, "folder"),
)


def special_kind(path: str | os.PathLike[str]) -> str | None:
    """What ``path`` is when not a regular file (``"character device"``, ...; ``None``: it is)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "special file")


def outside(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> Path | None:
    """Where ``path`` really is when it resolves outside ``folder`` (a link out), else ``None``."""
    real = Path(os.path.realpath(path))
    root = Path(os.path.realpath(folder))
    return None if real == root or root in real.parents else real


def require_regular(
    path: str | os.PathLike[str],
    what: str,
    folder: str | os.PathLike[str] | None = None,
    max_bytes: int | None = None,
) -> None:
    """``ModelFormatError`` unless ``path`` (a ``what``) is a regular file, inside ``folder`` and
    within ``max_bytes`` when given; a path that does not exist passes (callers report it)."""
    if (kind := special_kind(path)) is not None:
        real = os.path.realpath(path)
        via = f" (a link to {real})" if real != os.path.abspath(path) else ""
        raise ModelFormatError(
            f"{path}{via} is a {kind}, not a regular file: it is not a {what} and reading it "
            "could block or never end; point at the real file"
        )
    if folder is not None and os.path.lexists(path) and (real := outside(path, folder)):
        how = f"is a symbolic link to {real}," if os.path.islink(path) else "lies"
        raise ModelFormatError(
            f"{path} {how} outside the model folder {folder}: explorer reads only files "
            f"inside it; copy the {what} into the folder"
        )
    size = os.path.getsize(path) if max_bytes is not None and os.path.exists(path) else 0
    if max_bytes is not None and size > max_bytes:
        raise ModelFormatError(
            f"{path} is {size:,} bytes, more than a {what} can hold ({max_bytes:,}): it is "
            "not a model file; point at the right file"
        )


def require_regular_checkpoint(prefix: str | None, folder: str | os.PathLike[str] | None) -> None:
    """Each existing file of the checkpoint at ``prefix`` (if any) is regular, inside ``folder``."""
    p = Path(prefix or ".")
    for f in [Path(f"{p}.index"), *sorted(p.parent.glob(p.name + ".data-*")), p] if prefix else []:
        if os.path.lexists(f) and (f != p or not p.is_dir()):
            require_regular(f, "checkpoint file", folder=folder)


def require_regular_assets(model: V1Model) -> None:
    """Every existing asset file of ``model`` is regular, whatever ``allow_unsafe`` says."""
    for tensor, path in model.assets.items():
        if (kind := special_kind(path)) is not None:
            raise ModelFormatError(
                f"asset {path} (fed to {tensor}) is a {kind}, not a regular file: a table "
                "filled from it would never finish or would exhaust memory; the model is corrupt "
                "or hostile, re-export it with its real asset files"
            )


def parse_proto(path: Path, message: M, what: str, folder: Path | None = None) -> M:
    """Parse ``path`` (binary, or text) into ``message``: a regular file (inside ``folder`` when
    given) holding graphs within :data:`GRAPH_LIMITS`."""
    require_regular(path, what, folder=folder, max_bytes=PROTO_MAX_BYTES)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ModelNotFoundError(f"{path}: cannot read ({e.strerror}): check permissions") from None
    if not data:
        raise ModelFormatError(f"{path} is empty: re-export the {what}")
    if len(data) > graph_limit("MB in its file") * 2**20:
        raise ModelFormatError(
            f"{path} is {len(data) / 2**20:,.0f} MB, over the limit of "
            f"{graph_limit('MB in its file'):,} MB for a {what}: TensorFlow takes many times that "
            "in memory to import it; if it is meant to be that big, raise TF1_EXPLORER_MAX_GRAPH_MB"
        )
    text = path.suffix == ".pbtxt" or (path.suffix not in (".pb", ".meta") and looks_text(data))
    try:
        if text:
            text_format.Parse(data.decode("utf-8"), message, allow_unknown_field=False)
        else:
            message.ParseFromString(data)
    except (pb_message.DecodeError, text_format.ParseError, UnicodeDecodeError, ValueError) as e:
        raise ModelFormatError(
            f"{path} is not a valid {'text' if text else 'binary'} {what} ({first_line(e, 120)}): "
            "the file is truncated or of another kind; re-export or point at the right file"
        ) from None
    graphs = [mg.graph_def for mg in getattr(message, "meta_graphs", ())]
    for gd in [getattr(message, "graph_def", message), *graphs]:
        if hasattr(gd, "node"):
            require_bounded_graph(gd, path)
    return message


GRAPH_LIMITS = {
    "nodes": ("TF1_EXPLORER_MAX_NODES", 50_000),
    "ops in one chain": ("TF1_EXPLORER_MAX_DEPTH", 10_000),
    "MB in its file": ("TF1_EXPLORER_MAX_GRAPH_MB", 1024),
}
"""What a graph may hold, each raised by its variable (a 125 MB ``saved_model.pb`` took 3.8 GB)."""


def graph_limit(what: str) -> int:
    return int(env_number(*GRAPH_LIMITS[what]))


def require_bounded_graph(graph_def: GraphDef, path: Path) -> None:
    """``ModelFormatError`` when ``graph_def`` holds more than :func:`graph_limit` allows."""
    counts = {
        "nodes": len(graph_def.node) + sum(len(f.node_def) for f in graph_def.library.function)
    }
    if counts["nodes"] <= graph_limit("nodes"):
        index = graph_index(graph_def)
        depth: dict[str, int] = {}
        for name in index.topological_order():
            ins = index.nodes[name].input
            depth[name] = 1 + max((depth.get(op_name(i), 0) for i in ins), default=0)
        counts["ops in one chain"] = max(depth.values(), default=0)
    for what, n in counts.items():
        if n > graph_limit(what):
            raise ModelFormatError(
                f"{path} holds a graph of {n:,} {what}, over the limit of {graph_limit(what):,}: "
                "importing it would take minutes and gigabytes; if it is meant to be that big, "
                f"raise {GRAPH_LIMITS[what][0]}"
            )


def looks_text(data: bytes) -> bool:
    head = data[:512]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return bool(re.match(rb"\s*(#|[a-z_]+\s*[:{])", head))


def check_graph(gd: GraphDef, path: Path) -> None:
    """Raise ``ModelFormatError`` naming ``path`` and the node when the GraphDef is malformed."""
    if not gd.node and not gd.library.function:
        raise ModelFormatError(f"{path} holds an empty graph (no nodes): re-export the model")
    if any(not n.name or not n.op for n in gd.node):
        raise ModelFormatError(
            f"{path} has a node without a name or op type: the file is corrupt; re-export it"
        )
    names = {n.name for n in gd.node}
    for n in gd.node:
        for inp in n.input:
            if op_name(inp) not in names:
                raise ModelFormatError(
                    f"{path}: node {n.name!r} reads {inp!r}, which is not in the graph: the file "
                    "is incomplete; re-export it or freeze it again"
                )
        _check_shapes(n, path)


MAX_ELEMENTS = 2**63 - 1  # TensorFlow's own limit on the number of entries of a tensor
_VAL_TYPES = "float double int int64 bool half string uint32 uint64 scomplex dcomplex"
_VAL_FIELDS = tuple(f"{t}_val" for t in _VAL_TYPES.split())


def _check_shapes(n: NodeDef, path: Path) -> None:
    """No dimension below -1 nor over 2**63-1 entries, and a Const's values fit its shape."""
    for key in [k for k in ("shape", "_output_shapes", "output_shapes") if k in n.attr]:
        a = n.attr[key]
        for sp in [a.shape] if a.HasField("shape") else a.list.shape:
            _check_dims([d.size for d in sp.dim], n, key, path, known=False)
    if n.op == "Const" and "value" in n.attr and n.attr["value"].HasField("tensor"):
        t = n.attr["value"].tensor
        dims = [d.size for d in t.tensor_shape.dim]
        count = _check_dims(dims, n, "value", path, known=True)
        size = DTYPE_SIZES.get(t.dtype)
        if t.tensor_content and size and len(t.tensor_content) != count * size:
            raise ModelFormatError(
                f"{path}: Const {n.name!r} has {len(t.tensor_content)} bytes of data but its shape "
                f"{dims} needs {count * size}: the file is corrupt; re-export it"
            )
        given = max((len(getattr(t, f)) for f in _VAL_FIELDS), default=0)
        if t.dtype in (8, 18):  # complex values come in (re, im) pairs
            given //= 2
        if given > count:
            raise ModelFormatError(
                f"{path}: Const {n.name!r} holds {given} values but its shape {dims} has room "
                f"for {count}: the file is corrupt; re-export it"
            )


def _check_dims(dims: list[int], n: NodeDef, key: str, path: Path, known: bool) -> int:
    lowest = 0 if known else -1
    count, bound = 1, 1
    for d in dims:
        if d < lowest:
            raise ModelFormatError(
                f"{path}: node {n.name!r} has shape {dims} in {key!r} with a dimension below "
                f"{lowest}: the file is corrupt; re-export it"
            )
        count *= max(d, 0)
        bound *= max(d, 1)
        if bound > MAX_ELEMENTS:
            raise ModelFormatError(
                f"{path}: node {n.name!r} has shape {dims} in {key!r}, more than 2**63-1 "
                "entries: the file is corrupt; re-export it"
            )
    return count


def recursive_functions(graph_def: GraphDef) -> list[str]:
    """The first cycle of library functions calling each other (``[]`` when there is none)."""
    functions = {f.signature.name: f for f in graph_def.library.function}
    calls: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in sorted(functions):
        calls.add(name)
        for node in functions[name].node_def:
            for callee in function_calls(node, functions, strings=False):
                calls.add(callee, name)  # the callee after its caller: a cycle reads as calls
    try:
        calls.prepare()
    except graphlib.CycleError as e:
        return list(e.args[1][:-1])
    return []


VARIABLE_COLLECTIONS = (  # MetaGraph collections of VariableDef protos (bytes_list)
    "variables",
    "trainable_variables",
    "local_variables",
    "model_variables",
    "moving_average_variables",
    "metric_variables",
)
# Collections TF parses as protos on import (``ops.register_proto_function``): key -> message.
_PROTO_COLLECTIONS = {
    **{k: ("variable_pb2", "VariableDef") for k in (*VARIABLE_COLLECTIONS, "global_step")},
    "cond_context": ("control_flow_pb2", "CondContextDef"),
    "while_context": ("control_flow_pb2", "WhileContextDef"),
    "savers": ("saver_pb2", "SaverDef"),
    "queue_runners": ("queue_runner_pb2", "QueueRunnerDef"),
}


def repair(model: V1Model) -> None:
    """Fix in memory, with a note each: drop collection entries naming no node; a signature
    input's dtype contradicting its placeholder's (a TF 1.0 export) takes the graph's."""
    if (mg := model.meta_graph) is None:
        return
    nodes = {n.name: n for n in model.graph_def.node}
    for key, bad in drop_dangling(mg, nodes).items():
        col = mg.collection_def[key]
        if not getattr(col, col.WhichOneof("kind")).value:
            del mg.collection_def[key]
        shown = ", ".join(plain(v) if isinstance(v, str) else f"{len(v)} bytes" for v in bad[:3])
        model.notes.append(
            f"collection {plain(key)!r}: dropped {len(bad)} entries naming no node of the graph "
            f"({shown}): objects of the Python library that wrote it, which TF cannot import"
        )
    for sig_name, sig in sorted(mg.signature_def.items()):
        for key, info in sorted(sig.inputs.items()):
            node = nodes.get(op_name(info.name)) if info.name else None
            if node is None or node.op not in INPUT_OPS or "dtype" not in node.attr:
                continue
            want = node.attr["dtype"].type
            if info.dtype not in (want, want + 100):  # DT_*_REF = DT_* + 100
                model.notes.append(
                    f"signature {plain(sig_name)!r} input {plain(key)!r} ({plain(info.name)}): "
                    f"its TensorInfo says {dtype_name(info.dtype)} but the graph's placeholder is "
                    f"{dtype_name(want)}: the placeholder's dtype is used"
                )
                info.dtype = want


def drop_dangling(
    mg: MetaGraphDef, present: Collection[str], values: bool = False
) -> dict[str, list[Any]]:
    """Drop collection entries naming an op not in ``present`` (``values``: context values too)."""
    dropped = {}
    for key in sorted(mg.collection_def):
        col = mg.collection_def[key]
        kind = col.WhichOneof("kind")
        if kind == "node_list":
            bad = [v for v in col.node_list.value if op_name(v) not in present]
        elif kind == "bytes_list" and key in _PROTO_COLLECTIONS:
            bad = [v for v in col.bytes_list.value if not _names_present(key, v, present, values)]
        else:
            continue
        if bad:
            entries = getattr(col, kind).value
            entries[:] = [v for v in entries if v not in bad]
            dropped[key] = bad
    return dropped


def _names_present(key: str, raw: bytes, present: Collection[str], values: bool) -> bool:
    """Whether ``raw`` parses and the ops its ``*_name(s)`` fields name are present."""
    module, cls = _PROTO_COLLECTIONS[key]
    msg = getattr(getattr(protos, module), cls)()
    try:
        msg.ParseFromString(raw)
    except DecodeError:
        return False
    names = [
        v
        for fd, value in msg.ListFields()
        if fd.name.endswith(("_name", "_names")) and fd.name != "context_name"
        for v in ([value] if isinstance(value, str) else value)
    ]
    context = getattr(msg, "values_def", None)
    names += context.values if values and context is not None else []
    return bool(names) and all(op_name(v) in present for v in names)
