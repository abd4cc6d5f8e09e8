"""``parity``/``migrate --data PATH [--limit N]``: the user's own records, per-example figures in
the JSON, one-line errors for bad data; the chicago-taxi export on a TFRecord written here."""

from __future__ import annotations

import json

import pytest

from explorer.cli import main
from explorer.examples.models import build_example_parser_model
from tests.conftest import shared_model
from tests.feeding.data.files import chicago_examples, parser_example, write_tfrecord
from tests.helpers import assert_migrates


@pytest.fixture(scope="module")
def parser(tmp_path_factory):
    root = tmp_path_factory.mktemp("clidata")
    model = build_example_parser_model(root / "model")
    records = write_tfrecord(root / "ex.tfrecord", [parser_example(i) for i in range(30)])
    return model, records


def test_parity_data_json_has_per_example_figures(parser, capsys, monkeypatch):
    monkeypatch.setattr("explorer.cli._common.shown", lambda: True)  # as on a terminal
    model, records = parser
    argv = ["parity", str(model), "--signature", "predict", "--data", str(records)]
    assert main([*argv, "--limit", "20", "--batch-size", "8", "--json"]) == 0
    cap = capsys.readouterr()
    out = json.loads(cap.out)
    sig = out["signatures"]["predict"]
    assert out["passed"] and sig["data"]["examples"] == 20 and sig["batches"] == 3
    assert sig["examples"]["y"]["examples"] == 20
    assert sig["examples"]["y"]["worst"][0]["where"] == "ex.tfrecord#0"
    assert "parity predict: 20 of 20 examples" in cap.err


def test_parity_data_text_and_a_bad_record(parser, tmp_path, capsys):
    model, records = parser
    assert main(["parity", str(model), "--signature", "regress", "--data", str(records)]) == 0
    text = capsys.readouterr().out
    assert "data: 30 examples from TFRecord" in text and "0 of 30 examples differ" in text
    bad = write_tfrecord(tmp_path / "bad.tfrecord", [parser_example(0), b"\x0a\xff\xff"])
    assert main(["parity", str(model), "--signature", "regress", "--data", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("tf1-explorer parity: ") and "bad.tfrecord: record 1: " in err[-1]


def test_migrate_takes_data(parser, tmp_path):
    model, records = parser
    out = assert_migrates(model, tmp_path / "out", None, "--data", str(records))
    assert set(out["signatures"]) == {"serving_default", "predict", "regress", "classify"}
    assert all(s["data"]["examples"] == 30 for s in out["signatures"].values())


@pytest.mark.slow
def test_chicago_taxi_parity_on_its_own_kind_of_records(tmp_path, capsys):
    """The issue's done-when: the TFX Estimator export against its conversion, on tf.Example
    trips written here (string features from its own vocabularies)."""
    model = shared_model("tfx_chicago_taxi_serving")
    records = write_tfrecord(tmp_path / "examples.tfrecord", chicago_examples(model / "assets", 96))
    assert main(["parity", str(model), "--data", str(records), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] and set(out["signatures"]) == {
        "serving_default",
        "predict",
        "regression",
        "classification",
    }
    pred = out["signatures"]["predict"]
    assert pred["data"]["examples"] == 96
    ex = pred["examples"]["probabilities"]
    assert ex["examples"] == 96 and ex["failed"] == 0 and ex["quantiles"]["max"] is not None
    assert "company: b'" in ex["worst"][0]["inputs"]


def test_parity_on_an_image_folder(tmp_path, capsys):
    from tests.feeding.data.files import build_image_model, image_pixels, write_image

    model = build_image_model(tmp_path / "m")
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(3):
        write_image(folder / f"{i}.png", image_pixels(i, 5, 7))
    argv = ["parity", str(model), "--inputs", "image:0", "--outputs", "mean:0"]
    argv += ["--data", str(folder), "--image-size", "8x8", "--value-range", "0,1", "--json"]
    assert main(argv) == 0
    sig = json.loads(capsys.readouterr().out)["signatures"]["serving_default"]
    assert sig["data"]["examples"] == 3 and "decoded by TensorFlow" in sig["data"]["source"]
    assert sig["examples"]["mean:0"]["worst"][0]["inputs"].startswith("0.png: 7x5x3 -> 8x8x3")
