"""A ready v1 session for a :class:`~explorer.V1Model` in a fresh ``tf.Graph``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from explorer._tf import tf, tf1
from explorer.errors import MissingVariablesError, SessionError, TensorNotFoundError, first_line
from explorer.graph.index import RunScope
from explorer.graph.names import array_dtype, shape_text
from explorer.graph.specs import TensorSpec
from explorer.inspection.gate import admit, no_checkpoint
from explorer.loading.isolation import (
    debug,
    graph_element,
    graph_tensor,
    import_into,
    saver_ops,
    table_init,
)
from explorer.loading.model import V1Model
from explorer.running.deadline import bounded, default_timeout

if TYPE_CHECKING:
    import tensorflow as tf_types
    from tensorflow.core.framework.graph_pb2 import GraphDef

# GraphDefs larger than this run without Grappler: its constant folding copies every big Const
# several times (a 150 MB graph took ~1 GB more in its first run, issue 23).
BIG_GRAPH_BYTES = 64 * 2**20


class ModelSession(AbstractContextManager):
    """A restored, initialised v1 ``session`` over the model's own ``graph``, for ``scope``."""

    def __init__(
        self,
        model: V1Model,
        *,
        config: tf_types.compat.v1.ConfigProto | None = None,
        restore: bool = True,
        initialize: bool = True,
        allow_unsafe: bool = False,
        scope: RunScope | None = None,
    ) -> None:
        self.model, self.allow_unsafe = model, allow_unsafe
        admit(model, scope, allow_unsafe=allow_unsafe, restore=restore, initialize=initialize)
        self.graph = tf().Graph()
        import_into(model, self.graph)
        self.config = config if config is not None else session_config(model.graph_def)
        self.session = tf1().Session(graph=self.graph, config=self.config)
        debug(f"v1 session opened on {model.path}")
        try:
            if restore:
                self._restore()
            if initialize:
                self._initialize()
        except BaseException:
            self.session.close()
            raise

    def _restore(self) -> None:
        model = self.model
        if not model.variables:
            return
        if model.checkpoint_prefix is None:
            raise MissingVariablesError(no_checkpoint(model))
        ops = saver_ops(model, self.graph)  # the graph's Saver: restore op, filename tensor

        def restore() -> None:  # in the graph (per thread: bounded() runs it in a worker)
            if ops is not None:
                self.session.run(ops[0], {ops[1]: model.checkpoint_prefix})
                return
            with self.graph.as_default():
                variables = self.graph.get_collection("variables") or None
                saver = tf1().train.Saver(var_list=variables, allow_empty=True)
                saver.restore(self.session, model.checkpoint_prefix)

        try:
            bounded(restore, None, "restoring the variables", model.path)
        except (tf().errors.OpError, ValueError) as e:
            raise MissingVariablesError(
                f"cannot restore variables of {model.path} from {model.checkpoint_prefix} "
                f"({first_line(e)}): the checkpoint is missing, damaged or of another graph"
            ) from None

    def _initialize(self) -> None:
        ops, feeds = table_init(self.graph, self.model.init_op, self.model.assets)
        if not ops:
            return
        what = "initialising tables/assets"
        try:
            bounded(lambda: self.session.run(ops, feeds), None, what, self.model.path)
        except tf().errors.OpError as e:
            raise SessionError(
                f"{self.model.path}: {what} failed ({first_line(e)}): check that the assets/ "
                "folder is complete"
            ) from None

    def tensor(self, ref: str | TensorSpec | Any) -> tf_types.Tensor | tf_types.SparseTensor:
        """The graph tensor for a name (``op`` means ``op:0``), a spec or a ``TensorInfo``."""
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
        return graph_tensor(self.graph, ref, self.model)

    def operation(self, name: str) -> tf_types.Operation:
        try:
            return self.graph.get_operation_by_name(name.split(":")[0])
        except (KeyError, ValueError):
            raise TensorNotFoundError(f"op {name!r} is not in {self.model.path}") from None

    def run(
        self, fetches: Any, feeds: Mapping[Any, Any] | None = None, timeout: float | None = None
    ) -> Any:
        """``session.run`` of ``fetches`` with ``feeds``, bounded; errors as ``SessionError``."""
        resolved = tf().nest.map_structure(self._fetchable, fetches)
        feed_dict = {self._fetchable(k): v for k, v in (feeds or {}).items()}
        limit = default_timeout() if timeout is None else timeout
        on = limit is not None and limit > 0
        options = tf1().RunOptions(timeout_in_ms=max(1, int(limit * 1000))) if on else None
        try:
            return bounded(
                lambda: self.session.run(resolved, feed_dict, options=options),
                limit + 5.0 if on else 0,  # TF's own cancel first, if it can
                "session.run",
                self.model.path,
            )
        except (ValueError, TypeError) as e:  # refused before running: a feed's shape or dtype
            raise SessionError(
                f"{self.model.path}: session.run refused the feeds ({first_line(e)}); fed "
                f"{fed_text(feed_dict)}: {_feed_fix(str(e))}"
            ) from None
        except tf().errors.DeadlineExceededError:
            raise SessionError(
                f"{self.model.path}: session.run did not finish within {limit:g} s and was "
                "cancelled: fetch fewer tensors, feed a smaller batch or raise the timeout"
            ) from None
        except tf().errors.OpError as e:
            op = getattr(e, "op", None)
            where = f" at op {op.name!r} ({op.type})" if op is not None else ""
            fed = f"; fed {fed_text(feed_dict)}" if feed_dict else ""
            fix = RUN_FIX if op is not None else GRAPH_FIX  # no op: the graph, not a value
            raise SessionError(
                f"{self.model.path}: session.run failed{where}: {first_line(e)}{fed}", fix
            ) from None

    def _fetchable(self, ref: Any) -> Any:
        """A name or spec as a graph tensor (an op without outputs as the op)."""
        op = graph_element(self.graph, ref) if isinstance(ref, str) and ":" not in ref else None
        if op is not None and not op.outputs:
            return op
        return self.tensor(ref) if isinstance(ref, (str, TensorSpec)) else ref

    def close(self) -> None:
        self.session.close()

    def __exit__(self, *exc: Any) -> None:
        self.close()


def session_config(graph_def: GraphDef) -> tf_types.compat.v1.ConfigProto:
    """The session config for ``graph_def``: soft placement; no Grappler past BIG_GRAPH_BYTES."""
    config = tf1().ConfigProto(allow_soft_placement=True)
    if graph_def.ByteSize() > BIG_GRAPH_BYTES:
        config.graph_options.rewrite_options.disable_meta_optimizer = True
    return config


RUN_FIX = (  # the fix a failed run's message names
    "if an input needs another shape or range, pass --shape NAME=D0,D1 / --range NAME=LOW,HIGH "
    "(API shapes=, ranges=), or real values with --feed in.npz"
)
GRAPH_FIX = "the graph itself is at fault, not the feeds: explorer.scan(model) says what to fix"


def fed_text(feed_dict: Mapping[Any, Any], limit: int = 4) -> str:
    """``x:0 float32[1, 784], k:0 int32[1]``: what was fed, for error messages."""
    import numpy as np  # lazy: a session needs no numpy until a run fails

    parts = []
    for t, v in list(feed_dict.items())[:limit]:
        name = getattr(t, "name", None) or str(t)
        if hasattr(v, "dense_shape") and hasattr(v, "values"):
            parts.append(f"{name} sparse{shape_text(int(d) for d in v.dense_shape)}")
        else:
            parts.append(f"{name} {array_dtype(np.asarray(v))}{shape_text(np.shape(v))}")
    more = len(feed_dict) - limit
    return ", ".join(parts) + (f" and {more} more" if more > 0 else "") if parts else "nothing"


def _feed_fix(message: str) -> str:
    """The fix for a feed TensorFlow refused: for a shape, the ``--shape`` flag it needs."""
    if m := re.search(r"for Tensor '?([^\s',]+)'?, which has shape '?\(?([^)']*)\)?", message):
        dims = [d.strip() for d in m.group(2).replace("[", "").replace("]", "").split(",")]
        dims = ["-1" if d in ("None", "?", "") else d for d in dims if d or len(dims) == 1]
        flag = f"--shape {m.group(1)}={','.join(dims)}" if dims and dims != ["-1"] else ""
        return f"feed {m.group(1)} with shape ({m.group(2)})" + (
            f" (CLI: {flag}; API: shapes=)" if flag else ""
        )
    return "feed values of the dtype and shape the input takes (see explorer.suggest)"
