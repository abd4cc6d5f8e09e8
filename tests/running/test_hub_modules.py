"""TF1 Hub modules in a v1 session: restored without a Saver, tables from assets/, every
signature run; outputs checked against numpy."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.examples.hub_modules import VOCABULARY, image_weights, text_embedding_weights


def _sqrtn(emb: np.ndarray, sentence: str) -> np.ndarray:
    sentence = sentence.replace(",", "").replace("!", "")  # the module drops punctuation
    ids = [VOCABULARY.index(w) if w in VOCABULARY else len(VOCABULARY) for w in sentence.split()]
    return emb[ids].sum(axis=0) / np.sqrt(len(ids))


def test_text_module_sentences_and_tokens(hub_modules):
    emb = text_embedding_weights()
    sentences = ["the cat sat", "zebra", "a fish swam on the mat", "the dog, sat!"]
    with explorer.V1Runner(
        explorer.load(hub_modules["text_embedding"])
    ) as r:  # "default" without asking
        assert r.signature_name == "default"
        out = r.infer({"default": np.array(sentences, dtype=object)})["default"]
        tokens = r.sibling(signature="tokens")
        sparse = explorer.sample(r.model, "tokens", batch=4, seed=3)["tokens"]
        out_tokens = tokens.infer({"tokens": sparse})["default"]
    want = np.stack([_sqrtn(emb, s) for s in sentences])
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)  # partitions restored, OOV row
    for row in range(4):
        words = [v.decode() for (i, _), v in zip(sparse.indices, sparse.values) if i == row]
        expected = _sqrtn(emb, " ".join(words)) if words else np.zeros(4)
        np.testing.assert_allclose(out_tokens[row], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("tags", ["", "train"])
def test_image_module_both_graphs(hub_modules, tags):
    w = image_weights()
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (5, 8, 8, 3)).astype(np.float32)
    model = explorer.load(hub_modules["image_feature_vector"], tags=tags)
    with explorer.V1Runner(model, signature="image_feature_vector") as r:
        out = r.infer({"images": x})
    fmap = out["feature_map"]
    assert fmap.shape == (5, 8, 8, 6) and out["default"].shape == (5, 6)
    np.testing.assert_allclose(out["default"], fmap.mean(axis=(1, 2)), rtol=1e-5, atol=1e-6)
    with explorer.ModelSession(
        model
    ) as s:  # moving statistics restored from the checkpoint, by name
        np.testing.assert_array_equal(s.run("bn/moving_mean:0"), w["bn/moving_mean"])
        pre = s.run("conv/Conv2D:0", {"images:0": x})
    if tags == "train":  # batch statistics: each channel normalised to ~beta before the ReLU
        mean = pre.mean(axis=(0, 1, 2))
        var = pre.var(axis=(0, 1, 2))
    else:
        mean, var = w["bn/moving_mean"], w["bn/moving_variance"]
    bn = (pre - mean) / np.sqrt(var + 1e-3) * w["bn/gamma"] + w["bn/beta"]
    np.testing.assert_allclose(fmap, np.maximum(bn, 0), rtol=1e-4, atol=1e-4)


def test_multi_signature_module_every_signature(hub_modules):
    model = explorer.load(hub_modules["multi_signature"])
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 3)).astype(np.float32), rng.normal(size=(2, 3)).astype(np.float32)
    with explorer.V1Runner(model, signature="pair") as r:
        out = r.infer({"a": a, "b": b})
        w = r.session.run("w:0")
        scaled = r.sibling(signature="scaled").infer({"x": a, "scale": np.float32(2.0)})["default"]
        rows = r.sibling(signature="lookup").infer({"ids": np.array([4, 0], np.int64)})["default"]
        table = r.session.run("table:0")
        info = r.sibling(signature="tokenization_info").infer({})
    np.testing.assert_allclose(out["sum"], a + b, rtol=1e-6)
    np.testing.assert_allclose(out["dot"], (a * b).sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(out["default"], (a + b) @ w, rtol=1e-5)
    np.testing.assert_allclose(scaled, (2 * a) @ w, rtol=1e-5)
    np.testing.assert_array_equal(rows, table[[4, 0]])
    # BERT-style: the asset's path on this machine (hub.Module's), not export's SAVEDMODEL-ASSET
    vocab = hub_modules["multi_signature"].resolve() / "assets" / "vocab.txt"
    assert info["vocab_file"].item().decode() == str(vocab) and vocab.is_file()
    assert info["do_lower_case"].item() is True
