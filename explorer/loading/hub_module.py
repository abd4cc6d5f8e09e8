"""TF1 Hub modules (``hub.Module`` format): recognise, read the ModuleDef, choose a tag set.

A folder with ``tfhub_module.pb`` (a ``ModuleDef``, ``FORMAT_V3``, two fields decoded here: no
``tensorflow_hub`` needed) beside a SavedModel with one MetaGraph per tag set: ``set()`` the
inference graph (the default), ``{"train"}`` the training graph (batch statistics,
``UPDATE_OPS``). Signatures come from ``hub.add_signature`` (``default`` the main one); there is no
Saver and no init op (tables from the ``table_initializer`` collection with the module's assets).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer.errors import AmbiguousModelError, ModelFormatError, TagsError
from explorer.graph import protos

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
    """``{"format": int, "required_features": [str]}`` of a ``tfhub_module.pb``; raises
    ``ModelFormatError`` when it is not a ModuleDef of ``FORMAT_V3``."""
    data = path.read_bytes()
    fmt, features = 0, []
    try:
        pos = 0
        while pos < len(data):
            key, pos = _varint(data, pos)
            field, wire = key >> 3, key & 7
            if wire == 0:
                value, pos = _varint(data, pos)
                if field == 1:
                    fmt = value
            elif wire == 2:
                size, pos = _varint(data, pos)
                if pos + size > len(data):
                    raise ValueError("truncated")
                if field == 2:
                    features.append(data[pos : pos + size].decode("utf-8"))
                pos += size
            elif wire in (1, 5):
                pos += 8 if wire == 1 else 4
            else:
                raise ValueError(f"wire type {wire}")
    except (ValueError, IndexError, UnicodeDecodeError) as e:
        raise ModelFormatError(
            f"{path} is not a valid ModuleDef ({e}): the TF1 Hub module is damaged; download or "
            "export it again"
        ) from None
    if fmt != FORMAT_V3:
        raise ModelFormatError(
            f"{path} is a ModuleDef of format {fmt}, not FORMAT_V3 ({FORMAT_V3}), the only TF1 "
            "Hub format tensorflow_hub wrote: export the module again with hub.Module.export"
        )
    return {"format": fmt, "required_features": features}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def choose_tags(folder: Path, tag_sets: list[list[str]], tags: Iterable[str] | None) -> list[str]:
    """The tag set to load: ``tags`` when given (``[]``/``set()``/``""``: the empty set), else
    the empty set (``hub.Module``'s default), else the only one. Raises ``TagsError`` (no such
    set) or ``AmbiguousModelError`` (none given, no empty set, several others)."""
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


def load_hub_module(
    folder: Path,
    tags: Iterable[str] | None,
    parse_proto: Callable[..., Any],
    load_saved_model: Callable[..., V1Model],
) -> V1Model:
    """The module in ``folder`` as a ``tf1_hub_module`` model with the tag set
    :func:`choose_tags` picks (``parse_proto``/``load_saved_model``: the model module's readers)."""
    info = read_module_def(folder / MARKER)
    pb = folder / "saved_model.pb"
    if not pb.is_file():
        raise ModelFormatError(
            f"{folder} has {MARKER} but no saved_model.pb: the TF1 Hub module is incomplete; "
            "download or export it again"
        )
    sm = parse_proto(pb, protos.saved_model_pb2.SavedModel(), "SavedModel")
    tag_sets = [list(mg.meta_info_def.tags) for mg in sm.meta_graphs]
    chosen = choose_tags(folder, tag_sets, tags)
    model = load_saved_model(folder, pb, chosen)
    model.format = HUB_MODULE
    model.module_info = info
    _point_asset_constants(model)
    return model


def _point_asset_constants(model: V1Model) -> None:
    """Give the asset path constants (``SAVEDMODEL-ASSET`` as exported) the module's own files,
    as ``hub.Module`` does on load: BERT's ``tokenization_info`` returns its ``vocab_file``."""
    nodes = {n.name: n for n in model.graph_def.node}
    for tensor, path in model.assets.items():
        node = nodes.get(tensor.split(":")[0])
        if node is None or node.op != "Const" or "value" not in node.attr:
            continue
        value = node.attr["value"].tensor
        if len(value.string_val) == 1 and not value.tensor_shape.dim:  # a scalar string
            value.string_val[0] = path.encode()


def hub_summary(model: V1Model) -> dict[str, Any]:
    """The ``hub_module`` entry of ``inspect --json``: the ModuleDef, the tag set loaded, and
    how many entries its update-op, regularization-loss, table and asset collections hold."""
    mg = model.meta_graph
    out = {}
    for key in (UPDATE_OPS, REGULARIZATION_LOSSES, "table_initializer", "asset_filepaths"):
        if mg is not None and key in mg.collection_def:
            col = mg.collection_def[key]
            kind = col.WhichOneof("kind")
            out[key] = len(getattr(col, kind).value) if kind else 0
    return {**model.module_info, "tags": list(model.tags), "collections": out}
