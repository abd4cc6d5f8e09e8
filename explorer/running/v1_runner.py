"""The v1 side of the one runner interface: ``with V1Runner(model) as r: r.infer(feeds)``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer.errors import FeedError, SessionError, SignatureNotFoundError
from explorer.feeding.feeds import DEFAULT_MAX_BYTES, Feeds, as_sparse, is_sparse_like
from explorer.feeding.sampling import FEED, input_roles, sample, switch_of, tensor_specs
from explorer.feeding.shape_inference import with_placeholder_shapes
from explorer.graph.index import ops_that_run
from explorer.graph.names import tensor_name
from explorer.graph.op_families import PLACEHOLDER_OPS
from explorer.graph.specs import TensorSpec, spec_tensors
from explorer.inspection.gate import admit
from explorer.inspection.suggestions import check_custom_io, default_io, needed_inputs
from explorer.loading.model import V1Model, model_run_scope
from explorer.running.base import Runner
from explorer.running.session import ModelSession

if TYPE_CHECKING:
    import tensorflow as tf_types


class V1Runner(Runner):
    """Runs a ``signature`` (default: ``serving_default``, the only one, or :func:`default_io`)
    or ``inputs``/``outputs`` in a :class:`ModelSession` kept open between calls."""

    name = "v1"

    def __init__(
        self,
        model: V1Model,
        *,
        signature: str | None = None,
        inputs: Sequence[str] | None = None,
        outputs: Sequence[str] | None = None,
        allow_unsafe: bool = False,
        config: tf_types.compat.v1.ConfigProto | None = None,
        max_bytes: int | None = DEFAULT_MAX_BYTES,
        timeout: float | None = None,
    ) -> None:
        super().__init__(max_bytes=max_bytes)
        self.model, self.allow_unsafe = model, allow_unsafe
        self.config, self.timeout = config, timeout
        self.session: ModelSession | None = None
        if inputs is not None or outputs is not None:
            check_custom_io(model, signature is not None, outputs)
        elif signature is None and model.signatures:
            signature = model.signature(None).name
        elif signature is None:
            inputs, outputs = default_io(model)
        self.signature_name = signature
        if signature is not None:
            sig = model.signature(signature)  # an old TensorInfo may lack its placeholder's shape
            self._inputs = with_placeholder_shapes(model, dict(sig.inputs))
            self._outputs = dict(sig.outputs)
        else:
            tensor_specs(model, [*(inputs or []), *outputs])  # an unknown name: said first
            inputs = needed_inputs(model, outputs, inputs, switch_of)  # keep_prob: neutral
            specs = tensor_specs(model, [*inputs, *outputs])
            self._inputs = {tensor_name(n): specs[tensor_name(n)] for n in inputs}
            self._outputs = {tensor_name(n): specs[tensor_name(n)] for n in outputs}
        self._roles = input_roles(model.graph_def, self._inputs)
        _check_outputs_fed(model, self._inputs, self._outputs)

    input_specs = property(lambda self: self._inputs)
    output_specs = property(lambda self: self._outputs)

    @property
    def required_inputs(self) -> list[str]:
        """Inputs the graph cannot compute itself (placeholders without default upstream)."""
        return [k for k, role in self._roles.items() if role == FEED]

    def sample(self, batch: int = 1, seed: int = 0, **kwargs: Any) -> Feeds:
        return sample(self.model, self._inputs, batch=batch, seed=seed, **kwargs)

    def sibling(
        self,
        *,
        signature: str | None = None,
        inputs: Sequence[str] | None = None,
        outputs: Sequence[str] | None = None,
    ) -> V1Runner:
        """A started runner for other outputs on this runner's session (state carries over)."""
        if not self._active:
            raise SessionError(
                "start this runner before making a sibling: siblings share its session"
            )
        if signature is None and outputs is None:
            raise SignatureNotFoundError("sibling() needs signature= or inputs=/outputs=")
        kw = {"allow_unsafe": self.allow_unsafe, "config": self.config, "max_bytes": self.max_bytes}
        r = V1Runner(self.model, signature=signature, inputs=inputs, outputs=outputs, **kw)
        r._parent = self
        return r.start()

    _parent: V1Runner | None = None

    def _start(self) -> None:
        what = f"signature {self.signature_name!r}" if self.signature_name else "the outputs"
        outputs, inputs = spec_tensors(self._outputs), spec_tensors(self._inputs)
        scope = model_run_scope(self.model, outputs, inputs, what)  # with restore and init
        if self._parent is not None:  # its own outputs on the parent's session
            admit(self.model, scope, allow_unsafe=self.allow_unsafe)
            self.session = self._parent.session
        else:
            self.session = ModelSession(
                self.model, config=self.config, allow_unsafe=self.allow_unsafe, scope=scope
            )
        try:
            self._fetch = {k: self.session.tensor(s) for k, s in self._outputs.items()}
            self._feed_tensors = {k: self.session.tensor(s) for k, s in self._inputs.items()}
        except BaseException:
            self._stop()
            raise

    def _stop(self) -> None:
        if self.session is not None and self._parent is None:
            self.session.close()
        self.session = None

    def _run(self, feeds: dict[str, Any]) -> dict[str, Any]:
        if self._parent is not None and not self._parent.is_active:
            raise SessionError("the runner this sibling shares a session with was stopped")
        feed_dict = {self._feed_tensors[k]: v for k, v in feeds.items()}
        raw = self.session.run(self._fetch, feed_dict, timeout=self.timeout)
        return {k: as_sparse(v) if is_sparse_like(v) else np.asarray(v) for k, v in raw.items()}


def _check_outputs_fed(
    model: V1Model, inputs: Mapping[str, TensorSpec], outputs: Mapping[str, TensorSpec]
) -> None:
    """Raise ``FeedError`` when an output needs a placeholder that is not among the inputs."""
    fed = spec_tensors(inputs)
    ran = ops_that_run(model.graph_def, spec_tensors(outputs), fed).ops
    unfed = [n.name for n in model.graph_def.node if n.name in ran and n.op in PLACEHOLDER_OPS]
    for key, spec in outputs.items() if unfed else ():
        needs = ops_that_run(model.graph_def, list(spec.tensors), fed).ops
        if (cur := next((p for p in unfed if p in needs), None)) is not None:
            raise FeedError(
                f"output {key!r} ({spec.name or 'sparse'}) needs placeholder {cur!r}, which is "
                "not among the inputs: add it to inputs (CLI: --inputs)"
            )
