"""``tf1-explorer convert``: JSON summary, refusals with exit 2, tensor names and --freeze."""

from __future__ import annotations

import json

import numpy as np

from explorer.cli import main
from explorer.examples.models import mlp_reference


def test_convert_json_and_refuses_existing_output(mlp_paths, tmp_path, capsys):
    out = tmp_path / "v2"
    assert main(["convert", str(mlp_paths["saved_model"]), str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == {
        "output_dir": str(out.resolve()),
        "signatures": ["serving_default"],
        "variables": 4,
        "frozen": False,
    }
    assert main(["convert", str(mlp_paths["saved_model"]), str(out)]) == 2
    assert "exists: pass overwrite=True (CLI: --overwrite)" in capsys.readouterr().err
    assert main(["convert", str(mlp_paths["saved_model"]), str(out), "--overwrite"]) == 0
    text = capsys.readouterr().out
    assert "signature serving_default: x -> " in text and "tf.saved_model.load(" in text


def test_convert_tensor_names_frozen(mlp_paths, tmp_path, capsys):
    from explorer._tf import tf

    out = tmp_path / "f"
    argv = ["convert", str(mlp_paths["checkpoint_v2"]), str(out), "--inputs", "x:0"]
    argv += ["--outputs", "probs:0", "--freeze", "--json"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frozen"] is True and summary["variables"] == 0
    x = np.ones((2, 4), np.float32)
    got = tf().saved_model.load(str(out)).signatures["serving_default"](x=tf().constant(x))
    np.testing.assert_allclose(got["probs"].numpy(), mlp_reference(x), rtol=1e-5, atol=1e-6)


def test_convert_unknown_signature_exits_2(mlp_paths, tmp_path, capsys):
    argv = ["convert", str(mlp_paths["saved_model"]), str(tmp_path / "o"), "--signature", "nope"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("tf1-explorer convert: signature 'nope' is not in")
    assert not (tmp_path / "o").exists()


def test_convert_shape_sets_the_tf2_input_and_is_checked(tmp_path, capsys):
    """--shape gives an input the graph left unshaped its TF2 signature shape."""
    from explorer._tf import tf
    from tests.feeding import shape_models

    src = tmp_path / "src"
    src.mkdir()
    path, ins, outs = shape_models.reshaped(src)
    out = tmp_path / "v2"
    argv = ["convert", str(path), str(out), "--inputs", *ins, "--outputs", *outs]
    assert main([*argv, "--shape", "x:0=-1,784"]) == 0
    fn = tf().saved_model.load(str(out)).signatures["serving_default"]
    assert fn.structured_input_signature[1]["x"].shape.as_list() == [None, 784]
    capsys.readouterr()
    path, ins, outs = shape_models.tiled_batch(src)
    argv = ["convert", str(path), str(tmp_path / "v2b"), "--inputs", *ins, "--outputs", *outs]
    assert main([*argv, "--shape", "x:0=1,4"]) == 2
    assert "contradicts the graph's (None, 3)" in capsys.readouterr().err
