"""Sample rules for text looked up in a vocabulary (TF1 Hub text modules): random strings all
map to the OOV bucket, so ``StringSplit(V2)`` inputs get sentences of 1-4 tokens of the vocabulary
:func:`~explorer.feeding.tf_example.find_vocabulary` finds, ``LookupTableFind(V2)`` keys tokens."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from explorer.feeding.generators import random_strings
from explorer.feeding.tf_example import Context, Rule, bytes_array, find_vocabulary, sample_rule

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

MAX_TOKENS = 4  # tokens per generated sentence: 1 to MAX_TOKENS


@dataclass
class TokenRule(Rule):
    """Vocabulary tokens, one per cell."""

    vocab_file: str
    tokens: list[bytes]

    def bytes_per_item(self) -> int:
        return max(len(t) for t in self.tokens) + 16

    def describe(self) -> str:
        return f"tokens from {Path(self.vocab_file).name}"

    def generate(self, rng, shape, value_range, ranges):  # noqa: ANN001 - see Rule.generate
        return random_strings(rng, shape, self.tokens)


@dataclass
class SentenceRule(TokenRule):
    """Sentences of 1 to :data:`MAX_TOKENS` vocabulary tokens joined by ``separator``."""

    separator: bytes = b" "

    def bytes_per_item(self) -> int:
        return MAX_TOKENS * (super().bytes_per_item() + len(self.separator))

    def describe(self) -> str:
        return f"sentences of 1-{MAX_TOKENS} tokens from {Path(self.vocab_file).name}"

    def generate(self, rng, shape, value_range, ranges):  # noqa: ANN001 - see Rule.generate
        counts = rng.integers(1, MAX_TOKENS + 1, math.prod(shape))
        pick = len(self.tokens)
        items = [
            self.separator.join(self.tokens[i] for i in rng.integers(0, pick, c)) for c in counts
        ]
        return bytes_array(items, shape)


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
    if index != 0:
        return None
    sep = _separator(ctx, node)
    found = find_vocabulary(ctx, f"{node.name}:1")  # the split's values go to the lookup
    if sep is None or found is None:
        return None
    return SentenceRule(found[0], found[1], sep)


@sample_rule("LookupTableFindV2", "LookupTableFind")
def _lookup_keys(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    if index != 1:
        return None
    found = find_vocabulary(ctx, node.input[1])
    return None if found is None else TokenRule(found[0], found[1])
