"""Text inputs looked up in a vocabulary asset are sampled from it (sentences and tokens)."""

from __future__ import annotations

import explorer
from explorer.examples.hub_modules import VOCABULARY

VOCAB = {w.encode() for w in VOCABULARY}


def test_sentences_are_vocabulary_words(hub_modules):
    model = explorer.load(hub_modules["text_embedding"])
    feeds = explorer.sample(model, "default", batch=16, seed=0)
    sentences = feeds["default"]
    assert sentences.shape == (16,)
    for s in sentences:
        words = s.split(b" ")
        assert 1 <= len(words) <= 4 and set(words) <= VOCAB
    assert "default: sentences of 1-4 tokens from tokens.txt" in feeds.notes
    again = explorer.sample(model, "default", batch=16, seed=0)["default"]
    assert list(again) == list(sentences)  # seeded


def test_sparse_tokens_are_vocabulary_tokens(hub_modules):
    model = explorer.load(hub_modules["text_embedding"])
    feeds = explorer.sample(model, "tokens", batch=8, seed=1)
    sparse = feeds["tokens"]
    assert len(sparse.values) > 0 and set(sparse.values) <= VOCAB
    assert "tokens: values are tokens from tokens.txt" in feeds.notes
