"""The public home of the decorators that teach explorer about an op type (one registry each)."""

from __future__ import annotations

from explorer.conversion.rewrite import REWRITES, rewrites
from explorer.feeding.sampling import SAMPLE_RULES, sample_rule
from explorer.feeding.shape_inference import (
    DIM_ORIGINS,
    INDEX_RULES,
    SHAPE_RULES,
    SPARSE_SHAPE_RULES,
    dim_origin_rule,
    index_rule,
    shape_rule,
    sparse_shape_rule,
)
from explorer.inspection.scan_rules import RULES as SCAN_RULES
from explorer.inspection.scan_rules import rule as scan_rule
from explorer.inspection.suggestions import OUTPUT_RULES, Verdict, output_rule
from explorer.loading.replacements import (
    BUILTIN_REPLACEMENTS,
    REPLACEMENT_HINTS,
    builtin_replacement,
)
from explorer.rewriting.graph import KERAS_RULES, keras_rule
from explorer.rewriting.rules_ops import KERAS_OPS

rewrite = rewrites
keras_op = KERAS_OPS.register  # @extend.keras_op("MyOp") def fn(ctx, node, x) -> "keras.ops..."

__all__ = [
    "BUILTIN_REPLACEMENTS",
    "DIM_ORIGINS",
    "INDEX_RULES",
    "KERAS_OPS",
    "KERAS_RULES",
    "OUTPUT_RULES",
    "REPLACEMENT_HINTS",
    "REWRITES",
    "SAMPLE_RULES",
    "SCAN_RULES",
    "SHAPE_RULES",
    "SPARSE_SHAPE_RULES",
    "Verdict",
    "builtin_replacement",
    "dim_origin_rule",
    "index_rule",
    "keras_op",
    "keras_rule",
    "output_rule",
    "rewrite",
    "rewrites",
    "sample_rule",
    "scan_rule",
    "shape_rule",
    "sparse_shape_rule",
]
