"""TF1 Hub modules: ``tfhub_module.pb`` beside a SavedModel, a MetaGraph per tag set."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

from explorer.errors import AmbiguousModelError, ModelFormatError, TagsError

if TYPE_CHECKING:
    from explorer.loading.model import V1Model

HUB_MODULE = "tf1_hub_module"
MARKER = "tfhub_module.pb"
FORMAT_V3 = 3
TRAIN_TAGS = ("train",)
UPDATE_OPS = "update_ops"
REGULARIZATION_LOSSES = "regularization_losses"
TRAINABLE_VARIABLES = "trainable_variables"


def is_hub_module(folder: Path) -> bool:
    """Whether ``folder`` holds a TF1 Hub module (its ``tfhub_module.pb`` marker)."""
    return (folder / MARKER).is_file()


def read_module_def(path: Path) -> dict[str, Any]:
    """``{"format", "required_features"}`` of a ``tfhub_module.pb`` (ModelFormatError)."""
    msg = _module_def_class()()
    try:
        msg.ParseFromString(path.read_bytes())
    except DecodeError as e:
        raise ModelFormatError(
            f"{path} is not a valid ModuleDef ({e}): the TF1 Hub module is damaged; download or "
            "export it again"
        ) from None
    if msg.format != FORMAT_V3:
        raise ModelFormatError(
            f"{path} is a ModuleDef of format {msg.format}, not FORMAT_V3 ({FORMAT_V3}), the only "
            "TF1 Hub format tensorflow_hub wrote: export the module again with hub.Module.export"
        )
    return {"format": msg.format, "required_features": list(msg.required_features)}


@functools.cache
def _module_def_class() -> type:
    field = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="explorer_module_def.proto", syntax="proto3")
    msg = fdp.message_type.add(name="ModuleDef")
    msg.field.add(name="format", number=1, type=field.TYPE_INT32, label=field.LABEL_OPTIONAL)
    msg.field.add(
        name="required_features", number=2, type=field.TYPE_STRING, label=field.LABEL_REPEATED
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("ModuleDef"))


def choose_tags(folder: Path, tag_sets: list[list[str]], tags: Iterable[str] | None) -> list[str]:
    """The tag set to load: ``tags``, else the empty set, else the only one."""
    names = "; ".join(",".join(sorted(t)) or "set()" for t in tag_sets)
    if tags is not None:
        wanted = set(tags)
        if any(set(t) == wanted for t in tag_sets):
            return sorted(wanted)
        shown = ",".join(sorted(wanted)) or "set() (no tags)"
        raise TagsError(
            f"{folder} (a TF1 Hub module) has no MetaGraph with tags {shown}: choose one of "
            f'{names} (CLI: --tags "" for set())'
        )
    if any(not t for t in tag_sets):
        return []
    if len(tag_sets) == 1:
        return list(tag_sets[0])
    raise AmbiguousModelError(
        f"{folder} is a TF1 Hub module with {len(tag_sets)} tag sets ({names}) and no empty "
        "one: pass tags=... (CLI: --tags) to choose one"
    )


def point_asset_constants(model: V1Model) -> None:
    """Point asset path constants at the module's files, as ``hub.Module`` does (BERT's vocab)."""
    nodes = {n.name: n for n in model.graph_def.node}
    for tensor, path in model.assets.items():
        node = nodes.get(tensor.split(":")[0])
        if node is None or node.op != "Const" or "value" not in node.attr:
            continue
        value = node.attr["value"].tensor
        if len(value.string_val) == 1 and not value.tensor_shape.dim:  # a scalar string
            value.string_val[0] = path.encode()


def hub_summary(model: V1Model) -> dict[str, Any]:
    """The ``hub_module`` entry of ``inspect --json``: ModuleDef, tags, collection sizes."""
    mg = model.meta_graph
    out = {}
    for key in (UPDATE_OPS, REGULARIZATION_LOSSES, "table_initializer", "asset_filepaths"):
        if mg is not None and key in mg.collection_def:
            col = mg.collection_def[key]
            kind = col.WhichOneof("kind")
            out[key] = len(getattr(col, kind).value) if kind else 0
    return {**model.module_info, "tags": list(model.tags), "collections": out}
