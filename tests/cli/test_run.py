"""``tf1-explorer run``: JSON shape, feeds in and out, one-line errors with exit 2."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.cli import main
from explorer.examples.models import build_example_parser_model
from explorer.feeding.feeds import Feeds
from tests.conftest import shared_model
from tests.helpers import cli_json


@pytest.fixture(scope="module")
def parser_path(tmp_path_factory):
    return build_example_parser_model(tmp_path_factory.mktemp("cli_px") / "model")


def test_run_json_default_signature(parser_path, capsys):
    assert main(["run", str(parser_path), "--batch", "3", "--json"]) == 0
    out = cli_json(capsys)
    assert set(out) == {"signature", "inputs", "outputs", "seconds"}
    assert out["signature"] == "serving_default" and out["seconds"] > 0
    assert out["inputs"] == {"examples": {"dtype": "string", "shape": [3]}}
    y = out["outputs"]["y"]
    assert y["dtype"] == "float32" and y["shape"] == [3, 1]
    assert y["min"] <= y["mean"] <= y["max"]
    assert out["outputs"]["color_id"]["min"] >= 0  # colors come from the vocabulary asset


def test_run_save_and_feed_round_trip(parser_path, tmp_path, capsys):
    feeds, outs = tmp_path / "feeds.npz", tmp_path / "outs.npz"
    args = ["run", str(parser_path), "--signature", "classify", "--batch", "2", "--seed", "4"]
    assert main([*args, "--save", str(outs), "--save-feeds", str(feeds)]) == 0
    text = capsys.readouterr().out
    assert "signature classify" in text and "-> scores: float32[2, 2]" in text
    again = tmp_path / "again.npz"
    assert main([*args[:4], "--feed", str(feeds), "--save", str(again), "--json"]) == 0
    capsys.readouterr()
    first, second = Feeds.load(outs), Feeds.load(again)
    np.testing.assert_array_equal(first["scores"], second["scores"])
    assert list(first["classes"].reshape(-1)) == [b"pos", b"neg"] * 2


def test_run_inputs_outputs_and_no_signature_model(mlp_paths, capsys):
    frozen = str(mlp_paths["frozen_pb"])
    assert main(["run", frozen, "--inputs", "x", "--outputs", "dense/Relu,probs", "--json"]) == 0
    out = cli_json(capsys)
    assert out["signature"] is None and list(out["outputs"]) == ["dense/Relu:0", "probs:0"]
    assert out["outputs"]["dense/Relu:0"]["min"] >= 0
    assert main(["run", frozen, "--json", "--batch", "2"]) == 0  # suggested inputs/outputs
    out = cli_json(capsys)
    assert out["inputs"] == {"x:0": {"dtype": "float32", "shape": [2, 4]}}


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (
            {"x": np.zeros((2, 5), np.float32)},
            r"expects shape float32\[\?,4\], given float32\[2,5\]",
        ),
        ({"x": np.array([["a"] * 4])}, r"expects dtype float32, given string\[1,4\]"),
        ({"z": np.zeros((2, 4), np.float32)}, r"feed 'z' is not an input"),
    ],
)
def test_bad_feed_exits_2_with_one_line(mlp_paths, tmp_path, capsys, arrays, message):
    import re

    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    assert main(["run", str(mlp_paths["saved_model"]), "--feed", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tf1-explorer run: ") and "Traceback" not in err[0]
    assert re.search(message, err[0])


def test_argument_errors_exit_2(mlp_paths, capsys):
    model = str(mlp_paths["saved_model"])
    assert main(["run", model, "--inputs", "x"]) == 2
    assert "--inputs needs --outputs" in capsys.readouterr().err
    assert main(["run", model, "--signature", "nope"]) == 2
    assert "choose one of serving_default" in capsys.readouterr().err
    assert main(["run", model, "--batch", "100000000", "--max-mb", "1"]) == 2
    assert "over the limit of 1.0 MiB" in capsys.readouterr().err


@pytest.mark.slow
def test_run_tfx_chicago_taxi_regression_json(capsys):
    path = str(shared_model("tfx_chicago_taxi_serving"))
    assert main(["run", path, "--signature", "regression", "--batch", "4", "--json"]) == 0
    out = cli_json(capsys)["outputs"]["outputs"]
    assert out["dtype"] == "float32" and out["shape"] == [4, 1] and 0 <= out["min"] <= 1


def test_timeout_exits_2_with_one_line(tmp_path, capsys):
    import tensorflow as tf

    g = tf.Graph()
    with g.as_default():
        n = tf.compat.v1.placeholder_with_default(tf.constant(10**12, tf.int64), [], name="n")
        _, y = tf.while_loop(
            lambda i, a: i < n, lambda i, a: (i + 1, a + 1.0), [tf.constant(0, tf.int64), 0.0]
        )
        tf.identity(y, name="y")
    tf.io.write_graph(g.as_graph_def(), str(tmp_path), "spin.pb", as_text=False)
    argv = ["run", str(tmp_path / "spin.pb"), "--outputs", "y:0", "--timeout", "0.3"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "did not finish within 0.3 s" in err[0]


def test_run_shape_and_range_flags_and_inferred_json(tmp_path, capsys):
    from tests.feeding import shape_models

    path, ins, outs = shape_models.reshaped(tmp_path)
    base = ["run", str(path), "--inputs", ",".join(ins), "--outputs", ",".join(outs), "--json"]
    assert main(base) == 0
    x = cli_json(capsys)["inputs"]["x:0"]
    assert x["shape"] == [1, 784] and x["inferred"]["shape"] == [None, 784]
    assert (
        "dim 1 = 784: Reshape 'model/Reshape' reshapes it to [-1, 784]" in x["inferred"]["reasons"]
    )
    assert main([*base, "--shape", "x:0=2,28,28", "--range", "x:0=0,0.5"]) == 0
    x = cli_json(capsys)["inputs"]["x:0"]
    assert x["shape"] == [2, 28, 28]
    assert main([*base, "--shape", "x:0=two"]) == 2
    assert "--shape x:0=two: dims must be integers" in capsys.readouterr().err


def test_run_wrong_feed_names_tensor_and_fix(tmp_path, capsys):
    """An old export whose TensorInfo has no shape, fed the wrong shape: no "unexpected" error,
    a line naming the tensor, what was fed and the --shape to use."""
    from tests.feeding import shape_models

    path, _, _ = shape_models.no_tensorinfo_shape(tmp_path)
    Feeds({"x": np.ones(3, np.float32)}).save(tmp_path / "bad.npz")
    assert main(["run", str(path), "--feed", str(tmp_path / "bad.npz")]) == 2
    err = capsys.readouterr().err
    assert "unexpected" not in err and "x:0" in err and "float32[3]" in err
    assert "expects shape float32[?,1]" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_run_speech_and_seq2seq_with_no_flags(capsys):
    """agent007: a generated WAV into DecodeWav; leanderlxz: batch 128 read from the graph."""
    assert main(["run", str(shared_model("agent007_speech_frozen")), "--json"]) == 0
    out = cli_json(capsys)
    assert out["inputs"]["wav_data:0"]["shape"] == []
    assert out["outputs"]["labels_softmax:0"]["shape"] == [1, 12]
    args = ["run", str(shared_model("leanderlxz_seq2seq_ckpt")), "--json"]
    io = ["--inputs", "input:0,source_sequence_length:0,target_sequence_length:0"]
    assert main([*args, *io, "--outputs", "predictions:0"]) == 0
    out = cli_json(capsys)
    assert out["inputs"]["input:0"]["shape"][0] == 128
    assert out["outputs"]["predictions:0"]["shape"][0] == 128
    reasons = " ".join(out["inputs"]["target_sequence_length:0"]["inferred"]["reasons"])
    assert "dim 0 = 128" in reasons and "fixed by Fill 'Fill'" in reasons
