"""The public home of everything that teaches explorer about an op type: one import for extensions.

Each decorator registers into one :class:`~explorer.graph.registry.OpRegistry` (duplicates are
refused)::

    from explorer import extend

    @extend.scan_rule("MyOp", name="my-op")           # fn(ctx, nodes) -> findings
    @extend.rewrite("MyRefOp")                         # ref -> resource variable rewrite
    @extend.sample_rule("MyParser")                    # string samples for a consumer op
    @extend.index_rule("MyGather")                     # integer ranges for an index input
    @extend.shape_rule("MyLayer")                      # the shape an op needs of its input
    @extend.sparse_shape_rule("MyDensify")             # the dense shape of a sparse input
    @extend.dim_origin_rule("MyTile")                  # an op that fixes a size (named in reasons)
    @extend.builtin_replacement("MyContribOp", hint=)  # fn(inputs, attrs) for an op TF lacks
    @extend.output_rule("MyHead", name="my-head")      # fn(ctx, op) -> Verdict: why an output

Fixed tables are plain constants, not registries: op families and the state-changing op-type
prefixes are in :mod:`explorer.graph.op_families`, keep_prob-like names in
``explorer.feeding.switches.SWITCHES`` (append a ``(pattern, neutral value, label)``).
"""

from __future__ import annotations

from explorer.conversion.rewrite import REWRITES, rewrites
from explorer.feeding.index_ranges import INDEX_RULES, index_rule
from explorer.feeding.shape_rules import (
    DIM_ORIGINS,
    SHAPE_RULES,
    SPARSE_SHAPE_RULES,
    dim_origin_rule,
    shape_rule,
    sparse_shape_rule,
)
from explorer.feeding.tf_example import SAMPLE_RULES, sample_rule
from explorer.inspection.findings import RULES as SCAN_RULES
from explorer.inspection.findings import rule as scan_rule
from explorer.inspection.output_rules import OUTPUT_RULES, Verdict, output_rule
from explorer.loading.replacements import (
    BUILTIN_REPLACEMENTS,
    REPLACEMENT_HINTS,
    builtin_replacement,
)
from explorer.rewriting.ir import KERAS_RULES, keras_rule
from explorer.rewriting.rules_ops import KERAS_OPS

rewrite = rewrites
keras_op = KERAS_OPS.register  # @extend.keras_op("MyOp") def fn(ctx, node, x) -> "keras.ops..."

__all__ = [
    "BUILTIN_REPLACEMENTS", "DIM_ORIGINS", "INDEX_RULES", "KERAS_OPS", "KERAS_RULES",
    "OUTPUT_RULES", "REPLACEMENT_HINTS", "REWRITES", "SAMPLE_RULES", "SCAN_RULES", "SHAPE_RULES",
    "SPARSE_SHAPE_RULES", "Verdict", "builtin_replacement", "dim_origin_rule", "index_rule",
    "keras_op", "keras_rule", "output_rule", "rewrite", "rewrites", "sample_rule", "scan_rule",
    "shape_rule", "sparse_shape_rule",
]  # fmt: skip
