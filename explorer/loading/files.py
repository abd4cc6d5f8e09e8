"""Only regular files are opened, and only graphs of bounded size are parsed: a model folder is
untrusted (a ``saved_model.pb`` linked to ``/dev/zero``, a FIFO asset). :func:`require_regular`
checks every file before it is opened; :func:`parse_proto` refuses a graph over
:data:`GRAPH_LIMITS` before TensorFlow imports it."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from google.protobuf import message as pb_message
from google.protobuf import text_format

from explorer.errors import ModelFormatError, ModelNotFoundError, first_line
from explorer.graph.index import graph_index
from explorer.graph.names import op_name
from explorer.graph.runtime import env_number

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef

    from explorer.loading.model import V1Model

PROTO_MAX_BYTES = 2**31 - 1
"""The largest message protobuf parses: a bigger ``.pb``/``.meta`` is not a model file."""
M = TypeVar("M", bound=pb_message.Message)
STATE_MAX_BYTES = 2**20
"""A checkpoint state file is a few lines of text."""

_KINDS = (
    (stat.S_ISFIFO, "FIFO (named pipe)"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISDIR, "folder"),
)


def special_kind(path: str | os.PathLike[str]) -> str | None:
    """What ``path`` is when not a regular file (``"character device"``, ``"FIFO (named pipe)"``,
    ...), following symlinks; ``None`` for a regular file or a path that does not exist."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode):
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
    """Raise :class:`ModelFormatError` unless ``path`` (a ``what``: ``"SavedModel"``, ...) is a
    regular file, resolving inside ``folder`` and no larger than ``max_bytes`` when given. A path
    that does not exist passes (the caller reports missing files its own way)."""
    kind = special_kind(path)
    if kind is not None:
        real = os.path.realpath(path)
        via = f" (a link to {real})" if real != os.path.abspath(path) else ""
        raise ModelFormatError(
            f"{path}{via} is a {kind}, not a regular file: it is not a {what} and reading it "
            "could block or never end; point at the real file"
        )
    if folder is not None and os.path.lexists(path):
        real_out = outside(path, folder)
        if real_out is not None:
            how = f"is a symbolic link to {real_out}," if os.path.islink(path) else "lies"
            raise ModelFormatError(
                f"{path} {how} outside the model folder {folder}: explorer reads only files "
                f"inside it; copy the {what} into the folder"
            )
    if max_bytes is not None:
        try:
            size = os.stat(path).st_size
        except OSError:
            return
        if size > max_bytes:
            raise ModelFormatError(
                f"{path} is {size:,} bytes, more than a {what} can hold ({max_bytes:,}): it is "
                "not a model file; point at the right file"
            )


def require_regular_checkpoint(prefix: str | None, folder: str | os.PathLike[str] | None) -> None:
    """Every file of the checkpoint at ``prefix`` (if any) that exists (``.index``, ``.data-*``,
    the V1 single file) is regular (and inside ``folder``)."""
    p = Path(prefix or ".")
    for f in [Path(f"{p}.index"), *sorted(p.parent.glob(p.name + ".data-*")), p] if prefix else []:
        if os.path.lexists(f) and (f != p or not p.is_dir()):
            require_regular(f, "checkpoint file", folder=folder)


def require_regular_assets(model: V1Model) -> None:
    """Every asset file of ``model`` that exists is a regular file (a table filled from
    ``/dev/zero`` aborts the process), whatever ``allow_unsafe`` says."""
    for tensor, path in model.assets.items():
        kind = special_kind(path)
        if kind is not None:
            raise ModelFormatError(
                f"asset {path} (fed to {tensor}) is a {kind}, not a regular file: a table "
                "filled from it would never finish or would exhaust memory; the model is corrupt "
                "or hostile, re-export it with its real asset files"
            )


def parse_proto(path: Path, message: M, what: str, folder: Path | None = None) -> M:
    """Parse ``path`` as binary (or text for ``.pbtxt``) protobuf into ``message``: a regular file
    (inside ``folder`` when given) holding graphs within :data:`GRAPH_LIMITS`."""
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
        kind = "text" if text else "binary"
        raise ModelFormatError(
            f"{path} is not a valid {kind} {what} ({first_line(e, 120)}): the file is truncated "
            "or of another kind; re-export or point at the right file"
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
"""What a graph may hold before TensorFlow imports it: node count (library functions included),
depth (the longest chain of ops) and file size (a few nodes holding huge constants: a 125 MB
``saved_model.pb`` took 3.8 GB), each raised by its environment variable."""


def graph_limit(what: str) -> int:
    return int(env_number(*GRAPH_LIMITS[what]))


def require_bounded_graph(graph_def: GraphDef, path: Path) -> None:
    """Raise :class:`ModelFormatError` when ``graph_def`` (read from ``path``) holds more nodes or
    a longer chain than :func:`graph_limit` allows: importing and walking it would take minutes
    and gigabytes (a 100,000-node chain), before anything could be said about it."""
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
