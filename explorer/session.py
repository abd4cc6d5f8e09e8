"""A ready-to-run v1 session for a :class:`~explorer.load.V1Model`, in the model's own graph.

What it takes care of (see ``TF1_PITFALLS.md``):

* a fresh ``tf.Graph`` per session; the default graph is never touched;
* device pins to device types this machine lacks (``/device:GPU:0`` on a CPU box) are cleared, and
  soft placement is on;
* TF 1.0-era graphs (producer ≤ 21): rank-0 placeholder shapes meant "unknown" and are relaxed;
* variables restored through the graph's own Saver restore op (V1 and V2 checkpoints), feeding the
  checkpoint prefix into its filename tensor;
* the init op (``__saved_model_init_op``/main_op/legacy_init_op), or the ``table_initializer``
  collection when there is none, run with asset tensors fed the model's own asset files;
* op types the running TensorFlow lacks are reported with the fix (``replacements=``).
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ._tf import tf, tf1
from .errors import (
    MissingVariablesError,
    ModelFormatError,
    SessionError,
    TensorNotFoundError,
    UnsupportedOpError,
)
from .loader import REF_VARIABLE_OPS, RESOURCE_VARIABLE_OPS, V1Model
from .op_families import PLACEHOLDER_OPS
from .specs import TensorSpec


@functools.cache
def available_device_types() -> frozenset[str]:
    """Device types present on this machine, upper case (``CPU``, ``GPU``, …)."""
    return frozenset(d.device_type.upper() for d in tf().config.list_physical_devices())


def device_type_of(device: str) -> str | None:
    """``GPU`` for ``/device:GPU:0`` or ``/gpu:0``; ``None`` when the string names no type."""
    m = re.search(r"(?:device:|/)([A-Za-z_]+):\d+", device)
    return m.group(1).upper() if m else None


def absent_device_pins(graph_def: Any) -> list[str]:
    """Names of nodes pinned to a device type this machine does not have."""
    present = available_device_types()
    out = []
    for node in _all_nodes(graph_def):
        t = device_type_of(node.device) if node.device else None
        if t is not None and t not in present:
            out.append(node.name)
    return out


def _all_nodes(graph_def: Any) -> Iterable[Any]:
    yield from graph_def.node
    for fn in graph_def.library.function:
        yield from fn.node_def


def unregistered_op_types(graph_def: Any) -> list[str]:
    """Op types used by the graph that neither TF's registry nor its function library defines."""
    from tensorflow.python.framework import op_def_registry

    fn_names = {f.signature.name for f in graph_def.library.function}
    missing = set()
    for node in _all_nodes(graph_def):
        if node.op not in fn_names and op_def_registry.get(node.op) is None:
            missing.add(node.op)
    return sorted(missing)


def prepare_graph_def(model: V1Model, graph_def: Any | None = None) -> Any:
    """A copy of the model's GraphDef ready to import on this machine.

    Clears pins to absent devices and relaxes TF 1.0-era scalar placeholder shapes; the model's
    own GraphDef is never changed.
    """
    gd = copy.deepcopy(graph_def if graph_def is not None else model.graph_def)
    present = available_device_types()
    for node in _all_nodes(gd):
        if node.device:
            t = device_type_of(node.device)
            if t is not None and t not in present:
                node.device = ""
    if model.producer <= 21:
        for node in gd.node:
            if node.op in PLACEHOLDER_OPS and "shape" in node.attr:
                s = node.attr["shape"].shape
                if not s.unknown_rank and len(s.dim) == 0:
                    s.unknown_rank = True
    return gd


def import_into(model: V1Model, graph: Any) -> None:
    """Import the model's graph (prepared by :func:`prepare_graph_def`) into ``graph``.

    A MetaGraph is imported with ``import_meta_graph`` (collections, variables and the Saver come
    along); a GraphDef with ``import_graph_def`` under no name scope. The v1 session and the TF2
    converter both build their graphs through here.
    """
    gd = prepare_graph_def(model)
    try:
        with graph.as_default():
            if model.replacements:  # nodes of replaced op types: imported here, in waves
                from .replace import apply_replacements

                gd = apply_replacements(model, gd, graph)
            if model.meta_graph is not None:
                mg = type(model.meta_graph)()
                mg.CopyFrom(model.meta_graph)
                mg.graph_def.CopyFrom(gd)
                tf1().train.import_meta_graph(mg, clear_devices=False)
            else:
                tf1().import_graph_def(gd, name="")
    except (ValueError, TypeError, tf().errors.OpError) as e:
        raise SessionError(
            f"{model.path}: the graph does not import into TensorFlow {tf().__version__} "
            f"({_first_line(e)}): run explorer.scan for what to fix"
        ) from None
    except KeyError as e:  # a collection or input naming an op the graph lacks
        raise ModelFormatError(
            f"{model.path}: the graph does not import (KeyError: {_first_line(e)}): the file is "
            "corrupt; re-export it"
        ) from None


def init_op_names(model: V1Model, graph: Any) -> list[str]:
    """The ops that initialise ``model``'s tables and assets in ``graph`` (where it was imported).

    The model's init op (``__saved_model_init_op``/main_op/legacy_init_op) when the graph has it;
    else the graph's ``table_initializer`` collection; else ``init_all_tables`` when present.
    Sorted op names, ``[]`` when there is nothing to run. The v1 session and the TF2 converter
    both initialise through it (run with the asset tensors fed the model's asset files).
    """

    def has(name: str) -> bool:
        try:
            graph.get_operation_by_name(name.split(":")[0])
            return True
        except (KeyError, ValueError):
            return False

    init = model.init_op
    if init and has(init):
        return [init]
    ops = {
        item.name if hasattr(item, "name") else str(item).split(":")[0]
        for item in graph.get_collection("table_initializer")
    }
    if not ops and has("init_all_tables"):
        ops.add("init_all_tables")
    return sorted(ops)


class ModelSession:
    """A v1 ``tf.compat.v1.Session`` over a model's own graph, restored and initialised.

    Use as a context manager (``with model.session() as s``) or call :meth:`close`.

    Attributes:
        model: the :class:`V1Model`.
        graph: the model's own ``tf.Graph``.
        session: the underlying ``tf.compat.v1.Session``.
    """

    def __init__(
        self,
        model: V1Model,
        *,
        config: Any = None,
        restore: bool = True,
        initialize: bool = True,
        allow_unsafe: bool = False,
    ) -> None:
        self.model = model
        missing = unregistered_op_types(model.graph_def)
        missing = [m for m in missing if m not in model.replacements]
        if missing:
            raise UnsupportedOpError(
                f"{model.path} uses op types this TensorFlow ({tf().__version__}) does not "
                f"register: {', '.join(missing)}; pass explorer.load(..., replacements="
                f"{{{missing[0]!r}: fn}}) with a TF function for each"
            )
        self.allow_unsafe = allow_unsafe
        from .scanner import require_safe  # file-system/PyFunc ops need allow_unsafe=True

        require_safe(model, allow_unsafe)
        from .isolation import preflight  # import in a child process first: a crash is an error

        preflight(model, restore=restore)
        self.graph = tf().Graph()
        self._import()
        if config is None:
            config = tf1().ConfigProto(allow_soft_placement=True)
        self.session = tf1().Session(graph=self.graph, config=config)
        try:
            if restore:
                self._restore()
            if initialize:
                self._initialize()
        except BaseException:
            self.session.close()
            raise

    # -- building ----------------------------------------------------------------------------------

    def _import(self) -> None:
        import_into(self.model, self.graph)

    def _restore(self) -> None:
        model = self.model
        variable_ops = [
            n
            for n in model.graph_def.node
            if n.op in REF_VARIABLE_OPS or n.op in RESOURCE_VARIABLE_OPS
        ]
        if not variable_ops:
            return
        if model.checkpoint_prefix is None:
            raise MissingVariablesError(
                f"{model.path} has {len(variable_ops)} variables but no checkpoint: for a "
                "SavedModel restore its variables/ folder; for a GraphDef, freeze it with its "
                "checkpoint or load the .meta file"
            )
        restore_op, filename = model.restore_op, model.filename_tensor
        try:
            if restore_op and self._has_op(restore_op) and filename:
                self.session.run(restore_op, {filename: model.checkpoint_prefix})
            else:
                with self.graph.as_default():
                    saver = tf1().train.Saver(
                        var_list=self.graph.get_collection("variables") or None,
                        allow_empty=True,
                    )
                saver.restore(self.session, model.checkpoint_prefix)
        except (tf().errors.OpError, ValueError) as e:
            raise MissingVariablesError(
                f"cannot restore variables of {model.path} from {model.checkpoint_prefix} "
                f"({_first_line(e)}): the checkpoint is missing, damaged or of another graph"
            ) from None

    def _initialize(self) -> None:
        model = self.model
        feeds = self.asset_feeds()
        ops = init_op_names(model, self.graph)
        if not ops:
            return
        try:
            self.session.run(ops, feeds)
        except tf().errors.OpError as e:
            raise SessionError(
                f"{model.path}: initialising tables/assets failed ({_first_line(e)}): check that "
                "the assets/ folder is complete"
            ) from None

    def asset_feeds(self) -> dict[str, str]:
        """Asset tensor name -> file path on this machine, for the tensors that exist."""
        out = {}
        for name, path in self.model.assets.items():
            if self._has_tensor(name):
                out[name] = path
        return out

    # -- lookup ------------------------------------------------------------------------------------

    def _has_op(self, name: str) -> bool:
        try:
            self.graph.get_operation_by_name(name.split(":")[0])
            return True
        except (KeyError, ValueError):
            return False

    def _has_tensor(self, name: str) -> bool:
        try:
            self.graph.get_tensor_by_name(name)
            return True
        except (KeyError, ValueError):
            return False

    def tensor(self, ref: str | TensorSpec | Any) -> Any:
        """The graph tensor for a name (``op:idx``; ``op`` means ``op:0``), a ``TensorSpec``
        (sparse specs give a ``tf.SparseTensor``) or a ``TensorInfo``."""
        if isinstance(ref, TensorSpec):
            if ref.kind == "sparse":
                idx, val, shape = (self.tensor(c) for c in ref.components)
                return tf1().SparseTensor(idx, val, shape)
            if ref.kind == "composite":
                raise TensorNotFoundError(
                    f"{ref.name!r} is a composite (ragged) tensor: fetch its components "
                    f"{', '.join(ref.components)} instead"
                )
            return self.tensor(ref.name)
        if not isinstance(ref, str):  # a TensorInfo
            return tf1().saved_model.utils.get_tensor_from_tensor_info(ref, self.graph)
        name = ref if ":" in ref else f"{ref}:0"
        try:
            return self.graph.get_tensor_by_name(name)
        except (KeyError, ValueError):
            raise TensorNotFoundError(
                f"tensor {ref!r} is not in {self.model.path}: browse model.catalog() or "
                "explorer.suggest(model) for names"
            ) from None

    def operation(self, name: str) -> Any:
        """The graph operation named ``name``."""
        try:
            return self.graph.get_operation_by_name(name.split(":")[0])
        except (KeyError, ValueError):
            raise TensorNotFoundError(f"op {name!r} is not in {self.model.path}") from None

    # -- running -----------------------------------------------------------------------------------

    def run(
        self,
        fetches: Any,
        feeds: Mapping[Any, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """``session.run`` with names resolved and TF errors turned into one-line ``SessionError``.

        ``fetches`` may be a name, a list of names, or a dict key -> name/TensorSpec;
        ``feeds`` maps names/TensorSpecs/tensors to values; ``timeout`` (seconds) bounds the run:
        TensorFlow cancels it and a ``SessionError`` says so.
        """
        resolved_fetches = _map_structure(fetches, self._fetchable)
        feed_dict = {}
        for k, v in (feeds or {}).items():
            feed_dict[self._fetchable(k)] = v
        options = None
        if timeout is not None:
            options = tf1().RunOptions(timeout_in_ms=max(1, int(timeout * 1000)))
        try:
            return self.session.run(resolved_fetches, feed_dict, options=options)
        except tf().errors.DeadlineExceededError:
            raise SessionError(
                f"{self.model.path}: session.run did not finish within {timeout:g} s and was "
                "cancelled: fetch fewer tensors, feed a smaller batch or raise the timeout"
            ) from None
        except tf().errors.OpError as e:
            op = getattr(e, "op", None)
            where = f" at op {op.name!r}" if op is not None else ""
            raise SessionError(
                f"{self.model.path}: session.run failed{where}: {_first_line(e)}"
            ) from None

    def _fetchable(self, ref: Any) -> Any:
        if isinstance(ref, (str, TensorSpec)):
            if (
                isinstance(ref, str)
                and ":" not in ref
                and self._has_op(ref)
                and not self.operation(ref).outputs
            ):
                return self.operation(ref)
            return self.tensor(ref)
        return ref

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ModelSession:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _map_structure(x: Any, fn: Any) -> Any:
    if isinstance(x, dict):
        return {k: _map_structure(v, fn) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_map_structure(v, fn) for v in x)
    return fn(x)


def _first_line(e: BaseException) -> str:
    msg = getattr(e, "message", None) or str(e) or type(e).__name__
    lines = [ln.strip() for ln in msg.strip().splitlines() if ln.strip()]
    # TF 2.x run errors open with "Graph execution error:" and where the node was defined.
    noise = ("Graph execution error", "Detected at node", "Node:", "[[", "File ")
    useful = [ln for ln in lines if not ln.startswith(noise) and "most recent call" not in ln]
    line = (useful or lines or [type(e).__name__])[0]
    return line[:300]
