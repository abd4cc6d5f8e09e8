"""Read a TF1 model's variables straight from its checkpoint, without a session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from explorer._tf import tf
from explorer.errors import MissingVariablesError, first_line
from explorer.graph import protos
from explorer.graph.index import graph_index
from explorer.graph.names import data_inputs, op_name
from explorer.graph.op_families import SAVE_OPS, VARIABLE_OPS

if TYPE_CHECKING:
    from tensorflow.core.framework.variable_pb2 import VariableDef
    from tensorflow.core.protobuf.meta_graph_pb2 import MetaGraphDef

    from explorer.loading.model import V1Model

VARIABLE_COLLECTIONS = (  # MetaGraph collections of VariableDef protos (bytes_list)
    "variables",
    "trainable_variables",
    "local_variables",
    "model_variables",
    "moving_average_variables",
    "metric_variables",
)


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
