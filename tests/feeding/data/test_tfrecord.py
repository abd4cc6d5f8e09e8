"""TFRecord sources on real files: serialized tf.Example fed to a parse op, the parse op's own
outputs, features read by name; GZIP/ZLIB; bad records named by file, record and feature."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.errors import DataError
from explorer.running.v1_runner import V1Runner
from tests.feeding.data.files import parser_example, write_tfrecord


@pytest.mark.parametrize(
    "compression,suffix",
    [(None, ".tfrecord"), ("GZIP", ".tfrecord.gz"), ("ZLIB", ".tfrecord.zlib")],
)
def test_serialized_examples_feed_the_parse_signature(parser_model, tmp_path, compression, suffix):
    path = write_tfrecord(
        tmp_path / f"ex{suffix}", [parser_example(i) for i in range(10)], compression
    )
    src = explorer.data(path, batch_size=4)
    with V1Runner(parser_model, signature="predict") as r:
        batches = list(src.batches(r.input_specs, parser_model, required=r.required_inputs))
        assert [b.rows for b in batches] == [4, 4, 2]
        assert [b.start for b in batches] == [0, 4, 8]
        assert batches[2].where == [f"ex{suffix}#8", f"ex{suffix}#9"]
        out = r.infer(batches[0].feeds)
    # y = x @ [0.5, -0.25] + 0.1 n + color_id + 0.01 sum(ids) + 1 (pink is out of vocabulary: -1)
    i = np.arange(4)
    color = np.array([0, 1, 2, -1])
    ids = np.array([0, 0, 1, 0])  # sum(range(i % 3))
    want = 0.25 * i + 0.0625 * i + 0.1 * i + color + 0.01 * ids + 1
    np.testing.assert_allclose(out["y"].ravel(), want, rtol=1e-6)
    assert "checked with the spec of ParseExampleV2" in " ".join(batches[0].notes)
    assert "color: b'blue'" in batches[0].summary(2)


def test_compression_read_from_the_extension_or_given(parser_model, tmp_path):
    path = write_tfrecord(tmp_path / "plain.bin", [parser_example(1)], "GZIP")
    specs = V1Runner(parser_model, signature="predict").input_specs
    with pytest.raises(DataError, match="plain.bin: cannot tell the kind"):
        explorer.data(path)
    with pytest.raises(
        DataError,
        match=r"plain.bin: record 0 cannot be read .*looks GZIP-compressed: pass "
        "compression='GZIP'",
    ):
        list(explorer.data(path, kind="tfrecord").batches(specs, parser_model))
    got = list(
        explorer.data(path, kind="tfrecord", compression="GZIP").batches(specs, parser_model)
    )
    assert got[0].rows == 1


def test_globs_read_files_in_order_and_limit_stops_early(parser_model, tmp_path):
    for k in range(3):
        write_tfrecord(
            tmp_path / f"part-{k}.tfrecord", [parser_example(10 * k + i) for i in range(3)]
        )
    src = explorer.data(str(tmp_path / "part-*.tfrecord"), batch_size=2, limit=5)
    specs = V1Runner(parser_model, signature="predict").input_specs
    batches = list(src.batches(specs, parser_model))
    assert [w for b in batches for w in b.where] == [
        "part-0.tfrecord#0",
        "part-0.tfrecord#1",
        "part-0.tfrecord#2",
        "part-1.tfrecord#0",
        "part-1.tfrecord#1",
    ]
    with pytest.raises(DataError, match="no files match"):
        explorer.data(str(tmp_path / "nothing-*.tfrecord"))


@pytest.mark.parametrize(
    "bad,match",
    [
        (
            parser_example(3, drop="x"),
            r"bad.tfrecord: record 3: feature 'x' is missing; ParseExampleV2 .* needs it "
            r"\(dense float32\[2\], no default\)",
        ),
        (
            parser_example(3, wrong="x"),
            r"bad.tfrecord: record 3: feature 'x' holds a int64_list, ParseExampleV2 .* reads "
            "float32",
        ),
        (b"\xff\xfe not a proto", r"bad.tfrecord: record 3: does not parse as a tf.Example"),
    ],
    ids=["missing", "wrong-type", "not-a-proto"],  # the same in every process (pytest-xdist)
)
def test_a_bad_record_is_named_by_file_record_and_feature(parser_model, tmp_path, bad, match):
    recs = [parser_example(i) for i in range(3)] + [bad] + [parser_example(4)]
    path = write_tfrecord(tmp_path / "bad.tfrecord", recs)
    specs = V1Runner(parser_model, signature="predict").input_specs
    with pytest.raises(DataError, match=match) as err:
        list(explorer.data(path, batch_size=8).batches(specs, parser_model))
    assert "\n" not in str(err.value)


def test_a_missing_feature_with_a_default_is_fine(parser_model, tmp_path):
    path = write_tfrecord(tmp_path / "nodefault.tfrecord", [parser_example(1, drop="n")])
    specs = V1Runner(parser_model, signature="predict").input_specs
    (batch,) = explorer.data(path).batches(specs, parser_model)
    assert batch.rows == 1


def test_a_truncated_file_names_the_record(parser_model, tmp_path):
    path = write_tfrecord(tmp_path / "cut.tfrecord", [parser_example(i) for i in range(4)])
    path.write_bytes(path.read_bytes()[:-7])
    specs = V1Runner(parser_model, signature="predict").input_specs
    with pytest.raises(
        DataError, match=r"cut.tfrecord: record 3 cannot be read .*truncated or damaged"
    ):
        list(explorer.data(path).batches(specs, parser_model))


def test_parse_op_outputs_are_fed_parsed_with_the_graphs_spec(parser_model, tmp_path):
    """A graph cut after its input pipeline: the inputs are the parse op's outputs."""
    node = next(n for n in parser_model.graph_def.node if n.op == "ParseExampleV2")
    # outputs: sparse ids (indices 0, values 1, shape 2), dense color 3, n 4, x 5 (keys sorted)
    from explorer.feeding.data.sources import parse_spec

    spec = parse_spec(parser_model, node)
    index = {v: k for k, v in spec.outputs_per_feature().items()}
    x = f"{node.name}:{index[('x', 'dense')]}"
    n = f"{node.name}:{index[('n', 'dense')]}"
    path = write_tfrecord(tmp_path / "cut.tfrecord", [parser_example(i) for i in range(5)])
    with V1Runner(parser_model, inputs=[x, n], outputs=["MatMul:0"]) as r:
        (batch,) = explorer.data(path, batch_size=8).batches(
            r.input_specs, parser_model, required=r.required_inputs
        )
        np.testing.assert_allclose(batch.feeds[x][:, 0], 0.5 * np.arange(5))
        assert batch.feeds[n].dtype == np.int64
        out = r.infer(batch.feeds)
    np.testing.assert_allclose(out["MatMul:0"].ravel(), 0.3125 * np.arange(5), rtol=1e-6)
    assert any("parsed from the records with the spec of ParseExampleV2" in n for n in batch.notes)


def test_features_read_by_input_name(mlp_paths, tmp_path):
    """One placeholder per feature (a raw serving input): feature ``x`` parsed as float32[?, 4]."""
    from tensorflow.core.example import example_pb2

    model = explorer.load(mlp_paths["saved_model"])
    recs = []
    for i in range(3):
        ex = example_pb2.Example()
        ex.features.feature["x"].float_list.value.extend([i, i + 1, i + 2, i + 3])
        recs.append(ex.SerializeToString())
    bad = example_pb2.Example()
    bad.features.feature["x"].float_list.value.extend([1.0, 2.0])
    path = write_tfrecord(tmp_path / "x.tfrecord", recs)
    with V1Runner(model) as r:
        (batch,) = explorer.data(path).batches(r.input_specs, model, required=r.required_inputs)
        assert batch.feeds["x"].shape == (3, 4) and batch.feeds["x"].dtype == np.float32
        r.infer(batch.feeds)
    path = write_tfrecord(tmp_path / "xbad.tfrecord", recs + [bad.SerializeToString()])
    with pytest.raises(DataError, match=r"xbad.tfrecord: record 3: feature 'x'"):
        list(explorer.data(path).batches(r.input_specs, model))


def test_records_that_feed_nothing_say_so(mlp_paths, tmp_path):
    model = explorer.load(mlp_paths["saved_model"])
    path = write_tfrecord(tmp_path / "other.tfrecord", [parser_example(1, drop="x")])
    r = V1Runner(model)
    with pytest.raises(
        DataError, match=r"nothing in the records feeds input 'x' .*\(they have color, ids, n\)"
    ):
        list(explorer.data(path).batches(r.input_specs, model, required=["x"]))
