"""parity(model, v2, data=...): both runners streamed over real files, per-example figures, the
worst examples, bad records, progress, remedies."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.errors import DataError
from explorer.examples.models import build_example_parser_model
from tests.feeding.data.files import (
    build_image_model,
    image_pixels,
    parser_example,
    write_csv,
    write_image,
    write_tfrecord,
)


@pytest.fixture(scope="module")
def parser(tmp_path_factory):
    root = tmp_path_factory.mktemp("dp")
    model = explorer.load(build_example_parser_model(root / "model"))
    # the same graph with another vocabulary: green and blue swap ids
    other = explorer.load(
        build_example_parser_model(root / "other", vocab=("red", "blue", "green"))
    )
    records = write_tfrecord(
        root / "ex.tfrecord.gz", [parser_example(i) for i in range(40)], "GZIP"
    )
    return (
        model,
        explorer.convert(model, ["predict"]),
        explorer.convert(other, ["predict"]),
        records,
    )


def test_parity_on_tfrecord_passes_with_per_example_figures(parser):
    model, v2, _, records = parser
    calls = []
    summary = explorer.parity(
        model, v2, "predict", data=records, batch_size=16, progress=lambda *a: calls.append(a)
    )
    assert summary.passed
    rep = summary["predict"]
    assert rep.batches == 3 and rep.data["examples"] == 40 and rep.data["examples_per_second"] > 0
    assert rep.examples["y"].examples == 40 and rep.examples["y"].failed == 0
    assert rep.examples["y"].quantiles["max"] == 0.0
    assert [c[1:] for c in calls] == [(16, None), (32, None), (40, None), (40, 40)]
    assert calls[0][0] == "predict"
    assert any("records fed as serialized tf.Example" in n for n in rep.notes)
    js = summary.to_json()["signatures"]["predict"]
    assert js["examples"]["y"]["worst"][0]["where"] == "ex.tfrecord.gz#0"
    assert js["data"]["source"].endswith("GZIP")


def test_a_wrong_conversion_shows_its_worst_examples(parser):
    model, _, v2_other, records = parser
    rep = explorer.parity(model, v2_other, "predict", data=records, limit=20, batch_size=8)[
        "predict"
    ]
    assert rep.failed and rep.data["examples"] == 20
    ex = rep.examples["color_id"]
    # green (i % 4 == 1) and blue (i % 4 == 2) swap ids: 10 of 20 examples differ by 1
    assert (ex.examples, ex.failed) == (20, 10)
    assert [w.index for w in ex.worst] == [1, 2, 5, 6, 9]
    w = ex.worst[0]
    assert (w.a, w.b, w.max_abs) == ([1], [2], 1.0)
    assert "color: b'green'" in w.inputs and w.where == "ex.tfrecord.gz#1"
    from explorer.reporting.html import to_html

    html = to_html(rep, plots=False)
    assert "worst examples" in html and "ex.tfrecord.gz#1" in html


def test_a_bad_record_stops_parity_with_one_line(parser, tmp_path):
    model, v2, _, _ = parser
    recs = [parser_example(i) for i in range(20)]
    recs[17] = parser_example(17, drop="x")
    path = write_tfrecord(tmp_path / "bad.tfrecord", recs)
    with pytest.raises(DataError, match=r"bad.tfrecord: record 17: feature 'x' is missing"):
        explorer.parity(model, v2, "predict", data=path, batch_size=8)
    with pytest.raises(explorer.errors.ParityError, match="feeds= or data="):
        explorer.parity(
            model, v2, "predict", data=path, feeds={"examples": np.array([b""], dtype=object)}
        )


def test_csv_parity_on_the_mlp(mlp_paths, tmp_path):
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(30, 4)).round(4).tolist()
    path = write_csv(tmp_path / "x.csv", ["x[0]", "x[1]", "x[2]", "x[3]"], rows)
    model = explorer.load(mlp_paths["saved_model"])
    rep = explorer.parity(model, explorer.convert(model), data=path, batch_size=8)[
        "serving_default"
    ]
    assert rep.passed and rep.examples["probs"].examples == 30
    assert rep.examples["probs"].worst[0].where == "x.csv:2"
    assert (
        any("keep_prob" in n for n in rep.notes) or "keep_prob" not in model.signature(None).inputs
    )


def test_image_folder_parity_on_custom_tensors(tmp_path):
    model = explorer.load(build_image_model(tmp_path / "m"))
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(5):
        write_image(folder / f"{i}.png" if i % 2 else folder / f"{i}.jpg", image_pixels(i, 9, 11))
    io = {"inputs": ["image:0"], "outputs": ["mean:0"]}
    v2 = explorer.convert(model, **io)
    rep = explorer.parity(model, v2, data=folder, **io)["serving_default"]
    assert rep.passed and rep.examples["mean:0"].examples == 5
    assert rep.examples["mean:0"].worst[0].inputs.startswith("0.jpg: 11x9x3 -> 8x8x3")


def test_random_ops_are_nondeterministic_and_remedied_on_data(tmp_path):
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        tf.add(x, v1.random_uniform(tf.shape(x)), name="noisy")
    tf.io.write_graph(g.as_graph_def(), str(tmp_path), "noisy.pb", as_text=False)
    model = explorer.load(tmp_path / "noisy.pb")
    io = {"inputs": ["x:0"], "outputs": ["noisy:0"]}
    data = {"x:0": np.arange(30, dtype=np.float32).reshape(10, 3)}
    v2 = explorer.convert(model, **io)
    rep = explorer.parity(model, v2, data=data, batch_size=4, **io)["serving_default"]
    assert rep.status == "nondeterministic" and "random_uniform" in " ".join(rep.random_ops)
    fixed = explorer.parity(model, v2, data=data, batch_size=4, remedy=True, **io)[
        "serving_default"
    ]
    assert fixed.passed and "seeded" in fixed.remedy and fixed.examples["noisy:0"].examples == 10


def test_sequence_examples_and_a_record_the_graph_refuses(tmp_path):
    """SequenceExamples are fed as they are; a record the parse op refuses (a required context
    feature missing) is found by running the batch's records one by one."""
    from tests.feeding.data.files import build_sequence_model, sequence_example

    model = explorer.load(build_sequence_model(tmp_path / "m"))
    io = {"inputs": ["serialized:0"], "outputs": ["score:0"]}
    v2 = explorer.convert(model, **io)
    path = write_tfrecord(tmp_path / "s.tfrecord", [sequence_example(i) for i in range(7)])
    rep = explorer.parity(model, v2, data=path, batch_size=4, **io)["serving_default"]
    assert rep.passed and rep.examples["score:0"].examples == 7
    assert rep.examples["score:0"].worst[0].inputs == "length: 1; lists: tokens[1]"
    recs = [sequence_example(i, drop_length=i == 5) for i in range(7)]
    bad = write_tfrecord(tmp_path / "bad.tfrecord", recs)
    with pytest.raises(
        DataError,
        match=r"bad.tfrecord#5 \(example 5\): the model refuses .*"
        r"Feature: length \(data type: int64\) is required",
    ):
        explorer.parity(model, v2, data=bad, batch_size=4, **io)
    garbage = write_tfrecord(tmp_path / "g.tfrecord", [sequence_example(0), b"\x0a\xff"])
    with pytest.raises(
        DataError, match=r"g.tfrecord: record 1: does not parse as a tf.SequenceExample"
    ):
        explorer.parity(model, v2, data=garbage, **io)


def test_a_switch_the_data_lacks_is_generated_neutral_and_noted(tmp_path):
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        keep = v1.placeholder(tf.float32, [], name="keep_prob")
        tf.multiply(x, keep, name="y")
    tf.io.write_graph(g.as_graph_def(), str(tmp_path), "k.pb", as_text=False)
    model = explorer.load(tmp_path / "k.pb")
    io = {"inputs": ["x:0", "keep_prob:0"], "outputs": ["y:0"]}
    data = {"x:0": np.arange(8, dtype=np.float32).reshape(4, 2)}
    rep = explorer.parity(model, explorer.convert(model, **io), data=data, **io)["serving_default"]
    assert rep.passed and "not in the data, generated: keep_prob:0" in rep.notes
    assert rep.examples["y:0"].worst[3].a == [6.0, 7.0]  # keep_prob fed its neutral 1.0
