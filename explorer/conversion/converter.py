"""Step 5 of the flow: convert a :class:`~explorer.V1Model` to TF2.

``convert(model)`` gives a :class:`V2Model`: per signature a ``tf.function`` over the graph pruned
to the signature's inputs and outputs, variables lifted as TF2 resource variables restored from
the checkpoint, tables initialised from the model's assets. ``V2Model.save(out_dir)`` writes a TF2
SavedModel that plain ``tf.saved_model.load`` opens, with the source's signature names and keys.

How (``TF1_PITFALLS.md``): reference variables become resource variables
(:mod:`explorer.conversion.rewrite`); the graph is imported inside ``tf.compat.v1.wrap_function``;
the restore and init ops are pruned out and run once; each signature is ``WrappedFunction.prune``
in a ``tf.function`` with a named input signature (a bare pruned function costs ~12x
``session.run``). ``freeze=True`` makes variables constants. The building is in
:mod:`explorer.conversion.build`.

Keys: dense tensors keep their signature keys; a sparse tensor ``k`` becomes ``k_indices``,
``k_values``, ``k_dense_shape`` (TF's convention: SavedModel signatures take plain tensors). A
signature listing one tensor under several input keys (TFMA's ``labels``) takes only its
placeholder inputs and computes the rest, which ``tf.saved_model.load`` would otherwise refuse.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from explorer.conversion.build import Shape, build
from explorer.conversion.hub_module import build_hub
from explorer.conversion.v2_model import V2Model
from explorer.loading.model import V1Model, as_model


def convert(
    model: V1Model | str | os.PathLike[str],
    signatures: Sequence[str] | str | None = None,
    *,
    inputs: Sequence[str] | Mapping[str, str] | None = None,
    outputs: Sequence[str] | Mapping[str, str] | None = None,
    freeze: bool = False,
    allow_unsafe: bool = False,
    shapes: Mapping[str, Shape] | None = None,
) -> V2Model:
    """Convert a TF1 model to TF2 functions.

    Args:
        model: a :class:`V1Model` or a path for ``explorer.load``.
        signatures: signature names to convert (default: all). Not with ``inputs``/``outputs``.
        inputs: tensor names (``x:0``) or key -> name; with ``outputs`` they make one
            ``serving_default`` signature whose keys default to the op names (``x``).
        outputs: tensor names or key -> name.
        freeze: fold variables into constants (stateless signatures only).
        allow_unsafe: convert a model holding file-system or PyFunc ops (its restore and init
            run during conversion, and the TF2 functions keep those ops).
        shapes: input key or tensor name -> the shape of that TF2 input (``None``/``-1`` dims
            stay unknown), e.g. ``{"x:0": (None, 784)}`` for an input the graph left unshaped;
            it must agree with the graph's static shape.

    A model without signatures and without ``inputs``/``outputs`` gets a ``serving_default``
    over its placeholders and the tensors computed from them that nothing consumes.

    Raises:
        SignatureNotFoundError, TensorNotFoundError: unknown signature or tensor.
        MissingVariablesError: variables without a checkpoint.
        ConversionError: the graph cannot be converted (the message names the op and the fix).
        UnsafeModelError: the model holds file-system/PyFunc ops and ``allow_unsafe`` is false.
        UnsupportedOpError: op types this TensorFlow does not register.
    """
    model = as_model(model)
    if isinstance(signatures, str):
        signatures = [signatures]
    if model.module_info is not None:  # a TF1 Hub module: update ops, regularization losses
        return build_hub(model, signatures, inputs, outputs, freeze, allow_unsafe=allow_unsafe)
    return build(model, signatures, inputs, outputs, freeze, shapes, allow_unsafe)
