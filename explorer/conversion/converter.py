"""Step 5 of the flow: ``convert(model)`` -> :class:`V2Model` (built by ``conversion/build.py``).
A sparse key ``k`` becomes ``k_indices``, ``k_values``, ``k_dense_shape``; a signature listing one
tensor under several input keys takes only its placeholder inputs and computes the rest."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from explorer.conversion.build import Builder, Shape, build_hub, plan_signatures
from explorer.conversion.onnx import OnnxModel, check_target, export
from explorer.conversion.v2_model import V2Model
from explorer.graph.index import union
from explorer.inspection.gate import admit
from explorer.inspection.scanner import spec_tensors
from explorer.loading.model import V1Model, as_model, model_run_scope, prune_for


def convert(
    model: V1Model | str | os.PathLike[str],
    signatures: Sequence[str] | str | None = None,
    *,
    inputs: Sequence[str] | Mapping[str, str] | None = None,
    outputs: Sequence[str] | Mapping[str, str] | None = None,
    freeze: bool = False,
    allow_unsafe: bool = False,
    shapes: Mapping[str, Shape] | None = None,
    to: str = "saved_model",
) -> V2Model | OnnxModel:
    """Convert a TF1 model (or a path for ``explorer.load``) to TF2 functions.

    ``signatures``: names to convert (default all); or ``inputs``/``outputs``: tensor names
    (``x:0``) or key -> name, one ``serving_default`` keyed by op name (``x``); neither and no
    signatures: the suggested inputs and outputs. ``freeze``: variables as constants (stateless
    signatures only). ``allow_unsafe``: convert a model holding file-system or PyFunc ops (its
    restore and init run now; the functions keep them). ``shapes``: input key or tensor name ->
    the TF2 input's shape (``None``/``-1`` unknown), agreeing with the graph's static shape.
    ``to``: ``"saved_model"`` (a V2Model) or ``"onnx"`` (an OnnxModel; the extra ``[onnx]``).

    Raises:
        SignatureNotFoundError, TensorNotFoundError: unknown signature or tensor.
        MissingVariablesError: variables without a checkpoint.
        ConversionError: the graph cannot be converted (the message names the op and the fix).
        UnsafeModelError: the model holds file-system/PyFunc ops and ``allow_unsafe`` is false.
        UnsupportedOpError: op types this TensorFlow does not register.
    """
    check_target(to)
    model = as_model(model)
    if isinstance(signatures, str):
        signatures = [signatures]
    if model.module_info is not None:  # a TF1 Hub module: update ops, regularization losses
        v2 = build_hub(model, signatures, inputs, outputs, freeze, allow_unsafe=allow_unsafe)
        return export(v2, to)
    plans = plan_signatures(model, signatures, inputs, outputs)
    groups = [(spec_tensors(p.outputs), spec_tensors(p.inputs)) for p in plans]
    what = "the converted signatures"  # admit what runs (restore and init too), prune to it
    scope = union((model_run_scope(model, f, i, what) for f, i in groups), what)
    admit(model, scope, allow_unsafe=allow_unsafe)
    return export(Builder(model, plans, freeze, prune_for(model, groups), shapes).build(), to)
