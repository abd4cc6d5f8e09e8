"""Step 5 of the flow: ``convert(model)`` -> :class:`V2Model` (built by ``conversion/build.py``)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from explorer.conversion.build import Builder, Shape, build_hub, plan_signatures
from explorer.conversion.onnx import OnnxModel, check_target, to_onnx
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
    signatures: the suggested inputs and outputs. A sparse key ``k`` becomes ``k_indices``,
    ``k_values``, ``k_dense_shape``. ``freeze``: variables as constants (stateless signatures
    only). ``allow_unsafe``: convert a model holding file-system or PyFunc ops (its restore and
    init run now). ``shapes``: input key or tensor name -> the TF2 input's shape (``None``/``-1``
    unknown). ``to``: ``"saved_model"`` (a V2Model) or ``"onnx"`` (an OnnxModel).
    Raises SignatureNotFoundError, TensorNotFoundError, MissingVariablesError, ConversionError,
    UnsafeModelError (without ``allow_unsafe``), UnsupportedOpError; each says the fix."""
    check_target(to)
    model = as_model(model)
    if isinstance(signatures, str):
        signatures = [signatures]
    if model.module_info is not None:  # a TF1 Hub module: update ops, regularization losses
        v2 = build_hub(model, signatures, inputs, outputs, freeze, allow_unsafe=allow_unsafe)
    else:
        plans = plan_signatures(model, signatures, inputs, outputs)
        groups = [(spec_tensors(p.outputs), spec_tensors(p.inputs)) for p in plans]
        what = "the converted signatures"  # admit what runs (restore and init too), prune to it
        scope = union((model_run_scope(model, f, i, what) for f, i in groups), what)
        admit(model, scope, allow_unsafe=allow_unsafe)
        v2 = Builder(model, plans, freeze, prune_for(model, groups), shapes).build()
    return v2 if to == "saved_model" else to_onnx(v2)
