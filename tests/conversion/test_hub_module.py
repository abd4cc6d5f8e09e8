"""Converting TF1 Hub modules: signatures and keys kept, fresh-process tf.saved_model.load, the
train graph's update ops run, regularization losses kept, train + inference sharing variables."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import explorer
from explorer.conversion.build import convert_hub_for_keras

IMAGES = np.random.default_rng(0).uniform(0, 1, (4, 8, 8, 3)).astype(np.float32)


def _v1(model, signature, feeds):
    with explorer.V1Runner(model, signature=signature) as r:
        return r.infer(feeds)


@pytest.mark.slow
def test_saved_conversions_load_in_a_fresh_process(hub_modules, tmp_path):
    text = explorer.load(hub_modules["text_embedding"])
    image = explorer.load(hub_modules["image_feature_vector"])
    multi = explorer.load(hub_modules["multi_signature"])
    for name, m in (("text", text), ("image", image), ("multi", multi)):
        explorer.convert(m).save(tmp_path / name)
    script = textwrap.dedent(
        f"""
        import json, numpy as np, tensorflow as tf
        out = {{}}
        t = tf.saved_model.load({str(tmp_path / "text")!r})
        out["text_sigs"] = sorted(t.signatures)
        out["text"] = t.signatures["default"](default=tf.constant(["the cat sat", "zebra"]))[
            "default"].numpy().tolist()
        i = tf.saved_model.load({str(tmp_path / "image")!r})
        out["image_sigs"] = sorted(i.signatures)
        x = np.load({str(tmp_path / "x.npy")!r})
        out["image"] = i.signatures["default"](images=x)["default"].numpy().tolist()
        out["losses"] = [float(v) for v in i.regularization_losses()]
        m = tf.saved_model.load({str(tmp_path / "multi")!r})
        out["multi_sigs"] = sorted(m.signatures)
        out["pair"] = sorted(m.signatures["pair"].structured_outputs)
        out["vocab"] = m.signatures["tokenization_info"]()["vocab_file"].numpy().decode()
        print(json.dumps(out))
        """
    )
    np.save(tmp_path / "x.npy", IMAGES)
    res = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["text_sigs"] == ["default", "tokens"]
    assert out["image_sigs"] == ["default", "image_feature_vector"]
    assert out["multi_sigs"] == ["default", "lookup", "pair", "scaled", "tokenization_info"]
    assert out["vocab"].endswith("multi_signature/assets/vocab.txt")  # as v1 gives it
    assert out["pair"] == ["default", "dot", "sum"]
    want = _v1(text, "default", {"default": np.array(["the cat sat", "zebra"], dtype=object)})
    np.testing.assert_allclose(out["text"], want["default"], rtol=1e-6)
    np.testing.assert_allclose(out["image"], _v1(image, "default", {"images": IMAGES})["default"])
    with explorer.ModelSession(image) as s:
        assert out["losses"] == pytest.approx([float(s.run("l2:0"))], rel=1e-6)


def test_train_tag_set_runs_its_update_ops(hub_modules):
    train = explorer.load(hub_modules["image_feature_vector"], tags="train")
    v2 = explorer.convert(train)
    meta = v2.extra_meta["tf1_hub_module"]
    assert meta["tags"] == ["train"] and meta["update_ops"] == {
        "default": 2,
        "image_feature_vector": 2,
    }
    assert meta["trainable_variables"] == ["conv/kernel", "bn/gamma", "bn/beta"]
    mean = next(v for v in v2.variables if v.name.startswith("bn/moving_mean"))
    before = mean.numpy().copy()
    out = v2("default", images=IMAGES)["default"].numpy()
    np.testing.assert_allclose(out, _v1(train, "default", {"images": IMAGES})["default"], atol=1e-6)
    with explorer.ModelSession(
        explorer.load(hub_modules["image_feature_vector"], tags="train")
    ) as s:
        batch_mean = s.run("bn/moments/Squeeze:0", {"images:0": IMAGES})
    np.testing.assert_allclose(mean.numpy(), before - (before - batch_mean) * 0.1, rtol=1e-5)
    inference = explorer.convert(explorer.load(hub_modules["image_feature_vector"]))
    assert inference.extra_meta["tf1_hub_module"]["update_ops"] == {}


def test_train_and_inference_share_variables(hub_modules):
    v2 = convert_hub_for_keras(explorer.load(hub_modules["image_feature_vector"]))
    assert set(v2.signatures) == {
        "default",
        "image_feature_vector",
        "default__train",
        "image_feature_vector__train",
    }
    assert len(v2.variables) == 5  # one set for both graphs
    meta = v2.extra_meta["tf1_hub_module"]
    assert meta["train_signatures"] == {
        "default": "default__train",
        "image_feature_vector": "image_feature_vector__train",
    }
    mean = next(v for v in v2.variables if v.name.startswith("bn/moving_mean"))
    before = mean.numpy().copy()
    v2("default", images=IMAGES)
    np.testing.assert_array_equal(mean.numpy(), before)  # inference reads the moving averages
    v2("default__train", images=IMAGES)
    assert not np.allclose(mean.numpy(), before)  # training updates them
    kernel = next(v for v in v2.variables if v.name.startswith("conv/kernel"))
    kernel.assign(kernel * 0.0)  # both graphs read the same kernel
    for sig in ("default", "default__train"):
        feats = v2(sig, images=IMAGES)["default"].numpy()
        assert np.ptp(feats, axis=0).max() < 1e-6  # constant input to BN: no image dependence


def test_train_graph_with_variables_of_its_own_is_refused(tmp_path):
    from explorer._tf import tf
    from explorer.errors import ConversionError
    from explorer.examples.hub_modules import export_module, import_hub

    v1 = tf().compat.v1

    def module_fn(is_training: bool) -> None:
        x = v1.placeholder(tf().float32, [None, 2], name="x")
        w = v1.get_variable("w", [2, 2], use_resource=False)
        if is_training:
            w = w * v1.get_variable("train_only", [], use_resource=False)
        import_hub().add_signature("default", x, tf().matmul(x, w))

    path = export_module(
        module_fn,
        tmp_path / "m",
        tags_and_args=[(set(), {"is_training": False}), ({"train"}, {"is_training": True})],
    )
    with pytest.raises(ConversionError, match="train graph has variables the inference graph "):
        convert_hub_for_keras(explorer.load(path))
