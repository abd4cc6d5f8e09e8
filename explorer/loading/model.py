"""Step 1: parse a TF1 artifact (SavedModel or TF1 Hub folder, frozen GraphDef, checkpoint by
``.meta``, prefix or folder) into a :class:`V1Model`, protobufs only; :func:`prune_for` cuts it;
:func:`read_variables` reads its checkpoint without a session."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from google.protobuf import empty_pb2, text_format, unknown_fields
from google.protobuf.message import DecodeError

from explorer._tf import tf
from explorer.errors import (
    AmbiguousModelError,
    ExplorerError,
    MissingVariablesError,
    ModelFormatError,
    ModelNotFoundError,
    SignatureNotFoundError,
    TagsError,
    TensorNotFoundError,
    first_line,
)
from explorer.graph import protos
from explorer.graph.index import RunScope, graph_index, ops_that_run, union
from explorer.graph.names import data_inputs, op_name, tensor_name
from explorer.graph.op_families import (
    INPUT_OPS,
    PLACEHOLDER_OPS,
    REF_VARIABLE_OPS,
    RESTORE_ASSIGN_OPS,
    SAVE_OPS,
    VARIABLE_OPS,
)
from explorer.graph.specs import Signature, Variable, dtype_name, shape_of, signatures_of
from explorer.loading.replacements import Replacement, check_libraries, load_libraries
from explorer.loading.validation import (
    STATE_MAX_BYTES,
    VARIABLE_COLLECTIONS,
    check_graph,
    drop_dangling,
    parse_proto,
    repair,
    require_regular,
    require_regular_checkpoint,
)

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef
    from tensorflow.core.framework.variable_pb2 import VariableDef
    from tensorflow.core.protobuf.meta_graph_pb2 import MetaGraphDef, SignatureDef

SAVED_MODEL = "saved_model"
FROZEN_GRAPH = "frozen_graph"
CHECKPOINT = "checkpoint"
DEFAULT_SIGNATURES = ("serving_default", "default")  # run when none is named (then TF1 Hub's)
HUB_MODULE = "tf1_hub_module"
MARKER = "tfhub_module.pb"  # a TF1 Hub module's ModuleDef, beside its saved_model.pb
FORMAT_V3 = 3
TRAIN_TAGS = ("train",)
UPDATE_OPS = "update_ops"
REGULARIZATION_LOSSES = "regularization_losses"
TRAINABLE_VARIABLES = "trainable_variables"
T = TypeVar("T")


@dataclass
class V1Model:
    """A parsed TF1 artifact; nothing imported or run yet. ``memo``: what later steps derived
    once (the gate's verdicts); a ``dataclasses.replace`` copy starts it empty."""

    format: str  # saved_model, frozen_graph, checkpoint or tf1_hub_module
    path: Path  # resolved
    graph_def: GraphDef
    meta_graph: MetaGraphDef | None = None  # None for a GraphDef
    tag_sets: list[list[str]] = field(default_factory=list)  # every MetaGraph's tags
    tags: list[str] = field(default_factory=list)  # the chosen ones
    checkpoint_prefix: str | None = None
    assets: dict[str, str] = field(default_factory=dict)  # asset tensor -> file here
    replacements: dict[str, Replacement] = field(default_factory=dict)  # op type -> function
    module_info: dict[str, Any] | None = None  # a TF1 Hub module's ModuleDef
    op_libraries: tuple[str, ...] = ()  # custom-op .so files loaded for it
    notes: list[str] = field(default_factory=list)  # what loading repaired (inspect shows them)
    _signatures: dict[str, Signature] | None = field(default=None, repr=False)
    memo: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def tf_version(self) -> str:
        """The TF version that wrote the model, or ``producer N`` when only that is recorded."""
        if self.meta_graph is not None and self.meta_graph.meta_info_def.tensorflow_version:
            return self.meta_graph.meta_info_def.tensorflow_version
        return f"producer {self.producer}"

    @property
    def producer(self) -> int:
        """GraphDef producer version (≤ 21 means a TF 1.0-era graph)."""
        return int(self.graph_def.versions.producer)

    @property
    def node_count(self) -> int:
        return len(self.graph_def.node)

    def op_types(self) -> dict[str, int]:
        """Op type -> number of nodes, most frequent first."""
        counts = Counter(node.op for node in self.graph_def.node)
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def signatures(self) -> dict[str, Signature]:
        """SignatureDefs by name (internal ``__saved_model_init_op`` left out)."""
        if self._signatures is None:
            self._signatures = signatures_of(self.meta_graph)
        return self._signatures

    def signature(self, name: str | None = None) -> Signature:
        """The named signature; without a name ``serving_default``, ``default`` or the only one."""
        return pick_signature(self.signatures, name, self.path)

    @property
    def variables(self) -> list[Variable]:
        """Variables from the graph's variable ops (VariableV2 = ref, VarHandleOp = resource)."""
        return [
            Variable(
                name=node.name,
                dtype=dtype_name(node.attr["dtype"].type if "dtype" in node.attr else 0),
                shape=shape_of(node.attr["shape"].shape) if "shape" in node.attr else None,
                kind="ref" if node.op in REF_VARIABLE_OPS else "resource",
            )
            for node in self.graph_def.node
            if node.op in VARIABLE_OPS
        ]

    @property
    def init_op(self) -> str | None:
        """The SavedModel's init op name (``__saved_model_init_op``, main_op or legacy_init_op)."""
        mg = self.meta_graph
        if mg is not None and "__saved_model_init_op" in mg.signature_def:
            outs = mg.signature_def["__saved_model_init_op"].outputs
            if "__saved_model_init_op" in outs:
                return op_name(outs["__saved_model_init_op"].name)
        ops = self.collection("saved_model_main_op") or self.collection("legacy_init_op")
        return op_name(ops[0]) if ops else None

    @property
    def restore_op(self) -> str | None:
        mg = self.meta_graph
        return None if mg is None else mg.saver_def.restore_op_name or None

    @property
    def filename_tensor(self) -> str | None:
        """The tensor the Saver's restore op reads the checkpoint prefix from."""
        mg = self.meta_graph
        return None if mg is None else mg.saver_def.filename_tensor_name or None

    def collection(self, key: str) -> list[str]:
        """Node or tensor names in a MetaGraph collection (``[]`` when absent or not names)."""
        mg = self.meta_graph
        has = mg is not None and key in mg.collection_def
        return list(mg.collection_def[key].node_list.value) if has else []

    def node(self, name: str) -> NodeDef:
        """The NodeDef of an op (``name`` or ``name:idx``); raises ``TensorNotFoundError``."""
        if (node := graph_index(self.graph_def).producer(name)) is None:
            raise TensorNotFoundError(f"{name!r} is not a node of {self.path}")
        return node

    def variables_dict(self) -> dict[str, Any]:
        """Variable name -> ndarray, read from the checkpoint without a session."""
        return read_variables(self)

    def summary(self) -> dict[str, Any]:
        """The ``inspect --json`` object (with ``notes``, ``hub_module`` when there are some)."""
        out = {
            "format": self.format,
            "path": str(self.path),
            "tags": [list(t) for t in self.tag_sets],
            "tf_version": self.tf_version,
            "node_count": self.node_count,
            "op_types": self.op_types(),
            "signatures": {k: s.to_json() for k, s in self.signatures.items()},
            "variables": [v.to_json() for v in self.variables],
        }
        if self.notes:  # what loading repaired
            out["notes"] = list(self.notes)
        if self.module_info is not None:  # a TF1 Hub module: its ModuleDef, tags, collection sizes
            cols = self.meta_graph.collection_def if self.meta_graph is not None else {}
            keys = (UPDATE_OPS, REGULARIZATION_LOSSES, "table_initializer", "asset_filepaths")
            kinds = {k: cols[k].WhichOneof("kind") for k in keys if k in cols}
            sizes = {k: len(getattr(cols[k], w).value) if w else 0 for k, w in kinds.items()}
            out["hub_module"] = {**self.module_info, "tags": list(self.tags), "collections": sizes}
        return out


def load(
    path: str | os.PathLike[str],
    tags: list[str] | str | None = None,
    replacements: Mapping[str, Replacement] | None = None,
    op_libraries: Sequence[str | os.PathLike[str]] | None = None,
) -> V1Model:
    """Parse the TF1 artifact at ``path`` into a :class:`V1Model`. ``tags``: the MetaGraph tag set
    (list, set or comma-separated; ``""``: the empty set). ``replacements``: op type -> function
    substituting its nodes on import; ``op_libraries``: custom-op ``.so`` files (native code)."""
    libraries = check_libraries(op_libraries or ())
    load_libraries(libraries)  # before the graph is read: its ops' output specs come from them
    p = Path(path).expanduser()
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    elif tags is not None:
        tags = sorted(tags)  # a set, as TF1 Hub names tag sets
    try:
        model = _load_path(p, tags)
        repair(model)
    except ExplorerError:
        raise
    except RecursionError:
        raise ModelFormatError(
            f"{p} nests messages too deeply to read: the file is corrupt or hostile; re-export it"
        ) from None
    except Exception as e:  # noqa: BLE001 - corrupt protobufs fail in many ways; say which file
        raise ModelFormatError(
            f"{p}: cannot read the model ({type(e).__name__}: {first_line(e, 160)}): the file is "
            "corrupt or of another kind; re-export it"
        ) from None
    model.path = p.resolve()
    model.replacements = dict(replacements or {})
    model.op_libraries = libraries
    return model


def pick_signature(sigs: Mapping[str, T], name: str | None, where: object) -> T:
    """``sigs[name]``; without a name ``serving_default``, ``default`` (TF1 Hub) or the only one."""
    choices = ", ".join(sorted(sigs)) or "none"
    if name is None:
        only = list(sigs) if len(sigs) == 1 else []
        if (key := next((k for k in [*DEFAULT_SIGNATURES, *only] if k in sigs), None)) is not None:
            return sigs[key]
        if not sigs:
            raise SignatureNotFoundError(
                f"{where} has no signatures: pick inputs and outputs "
                "(explorer.suggest shows candidates)"
            )
        raise SignatureNotFoundError(
            f"{where} has several signatures and no serving_default: choose one of {choices}"
        )
    if name not in sigs:
        raise SignatureNotFoundError(
            f"signature {name!r} is not in {where}: choose one of {choices}"
        )
    return sigs[name]


def as_model(model: V1Model | str | os.PathLike[str], **load_options: Any) -> V1Model:
    """``model`` itself, or ``load(model, **load_options)`` of a path (verbs take both)."""
    return model if isinstance(model, V1Model) else load(model, **load_options)


def _load_dir(p: Path, tags: list[str] | None) -> V1Model:
    if is_hub_module(p):
        info = read_module_def(p / MARKER)
        if not (p / "saved_model.pb").is_file():
            raise ModelFormatError(
                f"{p} has {MARKER} but no saved_model.pb: the TF1 Hub module is "
                "incomplete; download or export it again"
            )
        return _load_saved_model(p, p / "saved_model.pb", tags, info)
    sm = [p / n for n in ("saved_model.pb", "saved_model.pbtxt") if (p / n).exists()]
    if len(sm) == 2:
        raise AmbiguousModelError(
            f"{p} holds both saved_model.pb and saved_model.pbtxt: remove one or point at a copy"
        )
    if sm:
        return _load_saved_model(p, sm[0], tags)
    require_regular(p / "checkpoint", "checkpoint state file", folder=p)  # a FIFO named so too
    if (p / "checkpoint").is_file():
        return _load_checkpoint(p)
    if not (found := model_files_in(p)):  # model folders in it (an export base, one version)
        found = sorted(q for q in p.iterdir() if is_model_folder(q))
    if len(found) == 1:
        return _load_path(found[0], tags)
    if found:
        names = ", ".join(q.name for q in found)
        raise AmbiguousModelError(f"{p} holds several models ({names}): point at one of them")
    raise ModelNotFoundError(
        f"{p} holds no TF1 model (no saved_model.pb, .pb/.pbtxt, .meta or checkpoint file): "
        "point at the model folder or file"
    )


def is_model_folder(p: Path) -> bool:
    """Whether folder ``p`` is one model (SavedModel, TF1 Hub module or checkpoint folder)."""
    return any(
        (p / m).is_file() for m in ("saved_model.pb", "saved_model.pbtxt", "checkpoint", MARKER)
    )


def model_files_in(p: Path) -> list[Path]:
    """The model files in folder ``p`` that :func:`load` reads: ``.meta``, ``.pb``, ``.pbtxt``."""
    graphs = sorted(q for q in p.iterdir() if q.suffix in (".pb", ".pbtxt") and q.is_file())
    return sorted(p.glob("*.meta")) + graphs


def _load_path(p: Path, tags: list[str] | None) -> V1Model:
    if p.is_dir():
        return _load_dir(p, tags)
    if not p.exists():
        if Path(f"{p}.index").exists() or Path(f"{p}.meta").exists():
            return _load_checkpoint(p)  # a prefix is no file itself (V2: prefix.index, .data-*)
        raise ModelNotFoundError(
            f"{p} does not exist: give a SavedModel folder, .pb/.pbtxt, .meta or checkpoint path"
        )
    if p.name in ("saved_model.pb", MARKER) and is_hub_module(p.parent):
        return _load_dir(p.parent, tags)
    if p.name in ("saved_model.pb", "saved_model.pbtxt"):
        return _load_saved_model(p.parent, p, tags)
    if p.name == "checkpoint":
        return _load_checkpoint(p.parent)
    if p.suffix == ".meta":
        return _load_checkpoint(p)
    if (prefix := re.sub(r"\.(index|data-\d+-of-\d+)$", "", str(p))) != str(p):
        return _load_checkpoint(Path(prefix))
    if p.suffix in (".pb", ".pbtxt", ".txt", ".graphdef", ".graph"):
        return _load_graph_def(p)
    if Path(str(p) + ".meta").exists():  # a V1 checkpoint (single file) with its .meta
        return _load_checkpoint(p)
    raise ModelFormatError(
        f"{p}: unknown model file type {p.suffix or '(no suffix)'}: expected saved_model.pb, "
        ".pb/.pbtxt GraphDef, .meta or a checkpoint"
    )


def _load_saved_model(
    folder: Path, pb: Path, tags: list[str] | None, hub_info: dict[str, Any] | None = None
) -> V1Model:
    """The SavedModel ``pb`` in ``folder``; with ``hub_info`` (its ModuleDef) a TF1 Hub module."""
    sm = parse_proto(pb, protos.saved_model_pb2.SavedModel(), "SavedModel", folder.resolve())
    if not sm.meta_graphs:
        raise ModelFormatError(f"{pb} holds no MetaGraph: re-export the SavedModel")
    tag_sets = [list(mg.meta_info_def.tags) for mg in sm.meta_graphs]
    if hub_info is not None:
        tags = choose_tags(folder, tag_sets, tags)
    folder = folder.resolve()
    choices = "; ".join(",".join(t) or "(no tags)" for t in tag_sets)
    if tags is None and len(tag_sets) > 1:
        raise AmbiguousModelError(
            f"{folder} has {len(tag_sets)} tag sets ({choices}): pass tags=... "
            "(CLI: --tags) to choose one"
        )
    wanted = [m for m in sm.meta_graphs if tags is None or set(m.meta_info_def.tags) == set(tags)]
    if not wanted:
        raise TagsError(
            f"{folder} has no MetaGraph with tags {','.join(tags)}: choose one of {choices}"
        )
    mg = wanted[0]
    prefix = folder / "variables" / "variables"
    require_regular_checkpoint(str(prefix), folder)
    prefix_name = _checkpoint_at(prefix)
    tags = list(mg.meta_info_def.tags)
    fmt = SAVED_MODEL if hub_info is None else HUB_MODULE
    model = _with_meta_graph(fmt, pb, mg, prefix_name, folder, tag_sets=tag_sets, tags=tags)
    if hub_info is not None:
        model.module_info = hub_info
        point_asset_constants(model)
    return model


def _load_graph_def(p: Path) -> V1Model:
    gd = protos.graph_pb2.GraphDef()
    try:
        parse_proto(p, gd, "GraphDef")
    except ModelFormatError:
        # Files named .pb are sometimes a MetaGraphDef or SavedModel: say so precisely.
        for msg, kind in (
            (protos.saved_model_pb2.SavedModel(), "SavedModel"),
            (protos.meta_graph_pb2.MetaGraphDef(), "MetaGraphDef"),
        ):
            try:
                parse_proto(p, msg, kind)
            except ModelFormatError:
                continue
            if kind == "SavedModel" and msg.meta_graphs:
                raise ModelFormatError(
                    f"{p} is a SavedModel file: point at its folder and name it saved_model.pb"
                ) from None
            if kind == "MetaGraphDef" and msg.graph_def.node:
                raise ModelFormatError(
                    f"{p} is a MetaGraphDef: rename it to .meta beside its checkpoint"
                ) from None
        raise
    check_graph(gd, p)
    return V1Model(format=FROZEN_GRAPH, path=p, graph_def=gd)


def _read_state_file(folder: Path) -> str | None:
    """The prefix recorded in ``folder/checkpoint``, resolved on this machine, or ``None``."""
    state_file = folder / "checkpoint"
    require_regular(state_file, "checkpoint state file", folder, STATE_MAX_BYTES)
    state = protos.checkpoint_state_pb2.CheckpointState()
    try:
        text_format.Parse(state_file.read_text(), state)
    except (text_format.ParseError, UnicodeDecodeError, OSError) as e:
        raise ModelFormatError(
            f"{state_file} is not a valid checkpoint state file ({str(e)[:80]}): "
            "point at the checkpoint prefix or its .meta file instead"
        ) from None
    if not (recorded := state.model_checkpoint_path):
        return None
    # An absolute path stays one; it is often the exporting machine's: try the name here too.
    for c in (folder / recorded, folder / Path(recorded).name):
        if found := _checkpoint_at(c):
            return found
    raise MissingVariablesError(
        f"{state_file} points at {recorded}, which is not here "
        f"(nor {folder / Path(recorded).name}): point at the checkpoint prefix or .meta file"
    )


def _checkpoint_at(prefix: Path) -> str | None:
    """``prefix`` as a string when a checkpoint is there (``.index`` or V1 file), else ``None``."""
    return str(prefix) if Path(f"{prefix}.index").exists() or prefix.is_file() else None


def _load_checkpoint(p: Path) -> V1Model:
    if p.is_dir():
        folder = p
        prefix = _read_state_file(p) if (p / "checkpoint").is_file() else None
        if prefix is None:
            metas = sorted(p.glob("*.meta"))
            if len(metas) != 1:
                raise ModelNotFoundError(
                    f"{p} has no usable checkpoint state: point at the .meta file or prefix"
                )
            meta = metas[0]
            prefix = _checkpoint_at(meta.with_suffix(""))
        else:
            meta = Path(prefix + ".meta")
    elif p.suffix == ".meta":
        meta, folder = p, p.parent
        prefix = _checkpoint_at(p.with_suffix(""))
        if prefix is None and (folder / "checkpoint").is_file():
            prefix = _read_state_file(folder)
    else:  # a prefix
        folder, prefix, meta = p.parent, str(p), Path(f"{p}.meta")
        if not _checkpoint_at(p):
            raise MissingVariablesError(
                f"checkpoint {p} has no data (.index or V1 file missing): check the prefix"
            )
    if not meta.exists():
        metas = sorted(folder.glob("*.meta"))
        if len(metas) != 1:
            raise ModelNotFoundError(
                f"{meta} does not exist: a checkpoint alone has no graph; give its .meta file "
                "(or rebuild the graph in code and save a SavedModel)"
            )
        meta = metas[0]
    require_regular_checkpoint(prefix, folder)
    inside = None if meta == p else meta.parent  # the .meta the user named is theirs to place
    mg = parse_proto(meta, protos.meta_graph_pb2.MetaGraphDef(), "MetaGraphDef", inside)
    return _with_meta_graph(CHECKPOINT, meta, mg, prefix, folder)


def _with_meta_graph(
    fmt: str, source: Path, mg: MetaGraphDef, prefix: str | None, folder: Path, **extra: Any
) -> V1Model:
    """The model of the MetaGraph read from ``source`` (checked), its assets in ``folder``."""
    check_graph(mg.graph_def, source)
    assets = _assets_of(mg, folder)
    return V1Model(fmt, source, mg.graph_def, mg, checkpoint_prefix=prefix, assets=assets, **extra)


def meta_graph_with(meta_graph: MetaGraphDef | None, graph_def: GraphDef) -> MetaGraphDef | None:
    """A copy of ``meta_graph`` holding ``graph_def``, not its own (``None`` for a GraphDef)."""
    if meta_graph is None:
        return None
    mg = type(meta_graph)(graph_def=graph_def)
    for fd, value in meta_graph.ListFields():
        if fd.name != "graph_def":
            getattr(mg, fd.name).MergeFrom(value)
    return mg


def _assets_of(mg: MetaGraphDef, folder: Path) -> dict[str, str]:
    """Asset tensor name -> file in the model's ``assets/`` folder (or beside a checkpoint)."""
    folder = folder.resolve()  # asset paths are absolute: the scan checks them against it
    defs = list(mg.asset_file_def)
    if "saved_model_assets" in mg.collection_def:
        for any_msg in mg.collection_def["saved_model_assets"].any_list.value:
            a = protos.meta_graph_pb2.AssetFileDef()
            if any_msg.Unpack(a):
                defs.append(a)
    out = {}
    for a in defs:
        bases = (folder / "assets", folder / "assets.extra", folder)
        f = next((b / a.filename for b in bases if (b / a.filename).exists()), None)
        out[a.tensor_info.name] = str(f or folder / "assets" / a.filename)
    return out


def is_hub_module(folder: Path) -> bool:
    """Whether ``folder`` holds a TF1 Hub module (its ``tfhub_module.pb`` marker)."""
    return (folder / MARKER).is_file()


def read_module_def(path: Path) -> dict[str, Any]:
    """``{"format", "required_features"}`` of a ``tfhub_module.pb`` (ModelFormatError)."""
    msg = empty_pb2.Empty()  # a ModuleDef's fields (1: format, 2: required_features) stay unknown
    try:
        msg.ParseFromString(path.read_bytes())
    except DecodeError as e:
        raise ModelFormatError(
            f"{path} is not a valid ModuleDef ({e}): the TF1 Hub module is damaged; download or "
            "export it again"
        ) from None
    fields = [(f.field_number, f.data) for f in unknown_fields.UnknownFieldSet(msg)]
    fmt = next((d for n, d in reversed(fields) if n == 1), 0)  # the last one counts
    if fmt != FORMAT_V3:
        raise ModelFormatError(
            f"{path} is a ModuleDef of format {fmt}, not FORMAT_V3 ({FORMAT_V3}), the only "
            "TF1 Hub format tensorflow_hub wrote: export the module again with hub.Module.export"
        )
    return {"format": fmt, "required_features": [d.decode() for n, d in fields if n == 2]}


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
    for tensor, path in model.assets.items():
        node = graph_index(model.graph_def).producer(tensor)
        if node is None or node.op != "Const" or "value" not in node.attr:
            continue
        value = node.attr["value"].tensor
        if len(value.string_val) == 1 and not value.tensor_shape.dim:  # a scalar string
            value.string_val[0] = path.encode()


def init_ops(model: V1Model) -> list[str]:
    """Every op a loader may run to initialise ``model`` (init op, fallbacks, tables)."""
    keys = ("saved_model_main_op", "legacy_init_op", "main_op", "init_op", "table_initializer")
    names = [model.init_op or "", "init_all_tables"]
    names += [n for k in keys for n in model.collection(k)]
    nodes = graph_index(model.graph_def).nodes
    return sorted({op_name(n) for n in names if op_name(n) in nodes})


def model_run_scope(
    model: V1Model,
    fetches: Iterable[str],
    feeds: Iterable[str] = (),
    what: str = "the chosen outputs",
) -> RunScope:
    """:func:`ops_that_run` with the model's restore op and every :func:`init_ops`."""
    restore = [model.restore_op] if model.restore_op else []
    filename = [model.filename_tensor] if model.filename_tensor else []
    main = ops_that_run(model.graph_def, fetches, feeds, what=what)
    side = ops_that_run(model.graph_def, [*restore, *init_ops(model)], filename)
    return union([main, side], what)


def prune_for(model: V1Model, groups: Iterable[tuple[Iterable[str], Iterable[str]]]) -> V1Model:
    """A copy of ``model`` holding only what each (fetches, feeds) group needs, its feeds fed."""
    gd = model.graph_def
    nodes = graph_index(gd).nodes
    keep: set[str] = set()
    feeds: list[str] = []
    for group_fetches, group_feeds in groups:
        fed = [tensor_name(f) for f in group_feeds]
        keep |= ops_that_run(gd, list(group_fetches), fed).ops
        feeds += [f for f in fed if f not in feeds]
    fed_inputs = [
        op_name(f) for f in feeds if op_name(f) in nodes and nodes[op_name(f)].op in INPUT_OPS
    ]
    keep |= ops_that_run(gd, fed_inputs).ops  # fed placeholders stay the inputs
    keep |= _restore_ops(model, nodes, {n for n in keep if nodes[n].op in VARIABLE_OPS})
    keep |= ops_that_run(gd, init_ops(model)).ops
    keep |= ops_that_run(gd, _variable_ops(model.meta_graph, keep)).ops  # initializer, snapshot
    cut = _cut_feeds(nodes, keep, feeds)
    if len(keep) == len(nodes) and not cut:
        return model
    names = keep | set(cut)
    new_gd = type(gd)()
    new_gd.versions.CopyFrom(gd.versions)
    new_gd.library.CopyFrom(gd.library)
    for node in gd.node:
        new_gd.node.extend(cut.get(node.name, []))  # a cut op is not kept
        if node.name in keep:
            out = new_gd.node.add()
            out.CopyFrom(node)
            out.input[:] = [i for i in node.input if not i.startswith("^") or op_name(i) in names]
    if (mg := meta_graph_with(model.meta_graph, new_gd)) is not None:
        drop_dangling(mg, names, values=True)
        for key in [k for k, sig in mg.signature_def.items() if not _sig_ok(sig, names)]:
            del mg.signature_def[key]
    return replace(model, graph_def=new_gd, meta_graph=mg, _signatures=None)


def _variable_ops(meta_graph: MetaGraphDef | None, keep: set[str]) -> list[str]:
    """The initializer, snapshot and initial value of each kept variable (importing needs them)."""
    out = []
    for key in (*VARIABLE_COLLECTIONS, "global_step"):
        for vd in variable_defs(meta_graph, key):
            if op_name(vd.variable_name) in keep:
                names = (vd.initializer_name, vd.snapshot_name, vd.initial_value_name)
                out.extend(n for n in names if n)
    return out


def _restore_ops(model: V1Model, nodes: dict[str, NodeDef], kept_vars: set[str]) -> set[str]:
    """The restore op's upstream, without the variables not kept and their assigns (slots)."""
    if not (restore := model.restore_op) or op_name(restore) not in nodes:
        return set()
    dropped = {
        n.name
        for n in nodes.values()
        if (n.op in VARIABLE_OPS and n.name not in kept_vars)
        or (n.op in RESTORE_ASSIGN_OPS and n.input and op_name(n.input[0]) not in kept_vars)
    }
    return graph_index(model.graph_def).upstream([restore], excluded=dropped) & nodes.keys()


def _cut_feeds(
    nodes: dict[str, NodeDef], keep: set[str], feeds: list[str]
) -> dict[str, list[NodeDef]]:
    """Fed tensors of ops that will not run: op name -> placeholders standing in for it."""
    from tensorflow.core.framework import node_def_pb2

    by_op: dict[str, set[int]] = {}
    for f in feeds:
        op, _, idx = f.rpartition(":")
        if op in nodes and op not in keep and nodes[op].op not in PLACEHOLDER_OPS:
            by_op.setdefault(op, set()).add(int(idx))
    out: dict[str, list[Any]] = {}
    for op, used in by_op.items():
        dtypes, shapes = _output_specs(nodes[op])
        count = max(used) + 1
        if len(dtypes) < count:
            continue  # unknown output types: leave it to the importer to complain
        new = []
        for k in range(count):
            ph = node_def_pb2.NodeDef(name=f"{op}/explorer_feed_{k}", op="Placeholder")
            ph.attr["dtype"].type = dtypes[k]
            if k < len(shapes):
                ph.attr["shape"].shape.CopyFrom(shapes[k])
            new.append(ph)
        ident = node_def_pb2.NodeDef(name=op, op="IdentityN")
        ident.input.extend(p.name for p in new)
        ident.attr["T"].list.type.extend(dtypes[:count])
        new.append(ident)
        out[op] = new
    return out


def _output_specs(node: NodeDef) -> tuple[list[int], list[Any]]:
    """(dtype enums, TensorShapeProtos) of a node's outputs, from its attributes."""
    attr = node.attr
    fallback = list(attr["_output_shapes"].list.shape) if "_output_shapes" in attr else []
    keys = (("output_types", "output_shapes"), ("component_types", ""), ("Tout", ""))
    for types_key, shapes_key in keys:  # IteratorGetNext, QueueDequeue*, functions
        if types_key in attr:
            shapes = list(attr[shapes_key].list.shape) if shapes_key in attr else fallback
            return list(attr[types_key].list.type), shapes
    if "T" in attr and attr["T"].HasField("type"):
        return [attr["T"].type], fallback
    return ([attr["dtype"].type], []) if "dtype" in attr else ([], [])


def _sig_ok(sig: SignatureDef, names: set[str]) -> bool:
    for info in (*sig.inputs.values(), *sig.outputs.values()):
        c = info.coo_sparse
        parts = (info.name, c.indices_tensor_name, c.values_tensor_name, c.dense_shape_tensor_name)
        if any(p and op_name(p) not in names for p in parts):
            return False
    return True


def read_variables(model: V1Model) -> dict[str, Any]:
    """Variable name -> ndarray from the checkpoint, in graph order (``{}`` for a frozen graph)."""
    import numpy as np  # lazy: loading a model needs no numpy

    if not (names := [v.name for v in model.variables]):
        return {}
    if (prefix := model.checkpoint_prefix) is None:
        raise MissingVariablesError(
            f"{model.path} has {len(names)} variables but no checkpoint: load the SavedModel "
            "folder or the .meta file beside its checkpoint"
        )
    try:
        reader = tf().train.load_checkpoint(prefix)
        shapes = reader.get_variable_to_shape_map()
    except (tf().errors.OpError, ValueError) as e:
        raise MissingVariablesError(
            f"cannot read checkpoint {prefix} ({first_line(e)}): the files are missing or damaged"
        ) from None
    saved = checkpoint_keys(model)
    keys = {name: saved.get(name, (name, "")) for name in names}
    # a variable the saver writes must be there
    if missing := [n for n, (key, _) in keys.items() if key not in shapes and n in saved]:
        shown = ", ".join(missing[:3]) + (" …" if len(missing) > 3 else "")
        raise MissingVariablesError(
            f"checkpoint {prefix} lacks {len(missing)} variable(s) its graph saves ({shown}): "
            "the checkpoint is of another graph; point at the matching one"
        )
    return {n: np.asarray(saved_value(reader, *ks)) for n, ks in keys.items() if ks[0] in shapes}


def checkpoint_keys(model: V1Model) -> dict[str, tuple[str, str]]:
    """Variable name -> (checkpoint key, slice spec) from the graph's Save ops; the spec is
    ``""``, or ``"10 4 0,5:-"`` (full shape, ``start,length`` per dim) for a partition."""
    index = graph_index(model.graph_def)
    out: dict[str, tuple[str, str]] = {}
    for node in (n for n in index.node_list if n.op in SAVE_OPS):
        inputs = data_inputs(node)
        if len(inputs) < 3:
            continue
        keys = _const_strings(index.const(inputs[1], frozenset()))
        specs = _const_strings(index.const(inputs[2], frozenset())) if node.op != "Save" else None
        data = inputs[3:] if node.op != "Save" else inputs[2:]
        if keys is None or len(keys) != len(data):
            continue
        for i, (key, ref) in enumerate(zip(keys, data)):
            var = index.source(ref)
            if var is not None and var.op in VARIABLE_OPS and var.name not in out:
                spec = specs[i] if specs is not None and i < len(specs) else ""
                out[var.name] = (key, spec.strip())
    for vd in variable_defs(model.meta_graph, "variables"):  # partitioned: save_slice_info_def
        if (info := vd.save_slice_info_def).full_name:  # (no Save ops: TF1 Hub)
            dims = ":".join(f"{o},{n}" for o, n in zip(info.var_offset, info.var_shape))
            full = " ".join(str(d) for d in info.full_shape)
            out.setdefault(op_name(vd.variable_name), (info.full_name, f"{full} {dims}"))
    return out


def variable_defs(meta_graph: MetaGraphDef | None, key: str) -> list[VariableDef]:
    """The ``VariableDef`` protos of a MetaGraph collection (``[]`` when absent)."""
    has = meta_graph is not None and key in meta_graph.collection_def
    raws = meta_graph.collection_def[key].bytes_list.value if has else []
    return [protos.variable_pb2.VariableDef.FromString(raw) for raw in raws]


def saved_value(reader: Any, key: str, spec: str) -> Any:
    """The value ``reader`` holds under ``key``, sliced by a :func:`checkpoint_keys` spec
    (``"10 4 0,5:-"``: ``[0:5, :]``)."""
    value = reader.get_tensor(key)
    if not spec:
        return value
    dims = [d.partition(",") for d in spec.split(" ")[-1].split(":")]
    return value[
        tuple(slice(None) if s == "-" else slice(int(s), int(s) + int(n)) for s, _, n in dims)
    ]


def _const_strings(values: Any) -> list[str] | None:
    if values is None:
        return None
    return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values.reshape(-1)]
