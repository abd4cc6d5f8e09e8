"""Sample rules for text looked up in a vocabulary (TF1 Hub text modules): random strings all
map to the OOV bucket, so ``StringSplit(V2)`` inputs get sentences of 1-4 tokens of the vocabulary
:func:`~explorer.feeding.tf_example.find_vocabulary` finds, ``LookupTableFind(V2)`` keys tokens."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from explorer.feeding.generators import random_strings
from explorer.feeding.tf_example import Context, Rule, bytes_array, find_vocabulary, sample_rule

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

MAX_TOKENS = 4  # tokens per generated sentence: 1 to MAX_TOKENS


def _separator(ctx: Context, node: NodeDef) -> bytes | None:
    """The delimiter a StringSplit(V2) splits on (``b" "`` for whitespace), ``None`` when it
    splits into characters or is not a constant."""
    if len(node.input) < 2:
        return b" "
    value = ctx.const(node.input[1])
    if value is None:
        return None
    sep = value.item() if hasattr(value, "item") else value
    sep = sep if isinstance(sep, bytes) else str(sep).encode()
    if sep:
        return sep[:1] if node.op == "StringSplit" else sep
    return b" " if node.op == "StringSplitV2" else None  # V1 with "" splits characters


@sample_rule("StringSplit", "StringSplitV2")
def _string_split(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    """Sentences of 1 to :data:`MAX_TOKENS` vocabulary tokens joined by the separator."""
    if index != 0:
        return None
    sep = _separator(ctx, node)
    found = find_vocabulary(ctx, f"{node.name}:1")  # the split's values go to the lookup
    if sep is None or found is None:
        return None
    tokens = found[1]

    def generate(rng, shape, value_range, ranges):  # noqa: ANN001, ANN202 - see Generate
        counts = rng.integers(1, MAX_TOKENS + 1, math.prod(shape))
        picks = [rng.integers(0, len(tokens), c) for c in counts]
        return bytes_array([sep.join(tokens[i] for i in p) for p in picks], shape)

    text = f"sentences of 1-{MAX_TOKENS} tokens from {Path(found[0]).name}"
    return Rule(text, MAX_TOKENS * (max(map(len, tokens)) + 16 + len(sep)), generate)


@sample_rule("LookupTableFindV2", "LookupTableFind")
def _lookup_keys(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    """Vocabulary tokens, one per cell."""
    found = find_vocabulary(ctx, node.input[1]) if index == 1 else None
    if found is None:
        return None
    tokens = found[1]
    size = max(map(len, tokens)) + 16
    text = f"tokens from {Path(found[0]).name}"
    return Rule(text, size, lambda rng, shape, *_: random_strings(rng, shape, tokens))
