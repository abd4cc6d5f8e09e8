"""An ``examples`` signature (1-D serialized ``tf.Example`` strings) beside the features
signature of a model fed by a parsing input pipeline: :func:`example_signature` parses them with
the pipeline's own keys, dtypes and shapes, casts, and calls the features signature. Dense
(``FixedLenFeature``) features only; otherwise there is none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from explorer._tf import tf
from explorer.conversion.v2_model import ConvertedSignature
from explorer.graph.index import graph_index
from explorer.graph.names import op_name
from explorer.graph.specs import TensorSpec
from explorer.inspection.suggestions import keys_in, pipeline_inputs
from explorer.loading.model import V1Model

EXAMPLES_SIGNATURE = "examples"
EXAMPLES_KEY = "examples"


def parse_spec(
    model: V1Model, inputs: dict[str, TensorSpec]
) -> dict[str, tuple[str, int, list[int]]]:
    """TF2 input key -> (feature key, dtype enum, dense shape) when every input is a pipeline
    output carrying a dense tf.Example feature; ``{}`` otherwise."""
    found = {p.tensor: p for p in pipeline_inputs(model.graph_def)}
    index = graph_index(model.graph_def)
    out = {}
    for key, spec in inputs.items():
        p = found.get(spec.name)
        if p is None or not p.feature or not p.parse_op:
            return {}
        fn, _, node_name = p.parse_op.rpartition("::")
        nodes = index.function_nodes(fn) if fn else index.nodes
        node = nodes[op_name(node_name)]
        _, dense, _ = keys_in(nodes, node)
        if p.feature not in dense:
            return {}
        j = dense.index(p.feature)
        dtype = node.attr["Tdense"].list.type[j]
        shape = [int(d.size) for d in node.attr["dense_shapes"].list.shape[j].dim]
        out[key] = (p.feature, dtype, shape)
    return out


def example_signature(
    model: V1Model, converted: ConvertedSignature, concrete: Callable[..., Any]
) -> tuple[ConvertedSignature, Callable[..., Any]] | None:
    """``(ConvertedSignature, concrete function)`` of the ``examples`` signature for the
    features signature ``converted`` (called as ``concrete``), or ``None`` when its inputs are
    not all dense features of a parsing pipeline."""
    spec = parse_spec(model, converted.inputs)
    if not spec:
        return None
    tf_ = tf()
    features = {
        feature: tf_.io.FixedLenFeature(shape, tf_.dtypes.as_dtype(dtype))
        for feature, dtype, shape in spec.values()
    }
    order = list(converted.inputs)

    def parse(examples: Any) -> Any:
        parsed = tf_.io.parse_example(examples, features)
        args = []
        for key in order:
            want = converted.inputs[key]
            value = tf_.cast(parsed[spec[key][0]], want.dtype)
            if want.shape is not None and all(d is not None for d in want.shape):
                value = tf_.reshape(value, want.shape)  # a batch fixed by the pipeline
            elif want.shape is not None and all(d is not None for d in want.shape[1:]):
                value = tf_.reshape(value, [-1, *want.shape[1:]])
            args.append(value)
        return concrete(*args)

    first = converted.inputs[order[0]].shape
    batch = first[0] if first else None
    fn = tf_.function(
        parse,
        input_signature=[tf_.TensorSpec([batch], tf_.string, name=EXAMPLES_KEY)],
        autograph=False,
    ).get_concrete_function()
    sig = ConvertedSignature(
        name=EXAMPLES_SIGNATURE,
        method="",
        inputs={EXAMPLES_KEY: TensorSpec("", "string", (batch,))},
        outputs=dict(converted.outputs),
        input_parts={EXAMPLES_KEY: (EXAMPLES_KEY,)},
        output_parts=dict(converted.output_parts),
        source_outputs=dict(converted.source_outputs),
    )
    return sig, fn
