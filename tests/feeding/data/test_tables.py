"""CSV sources on real files: header -> input keys or tensor names, dtypes from the specs, bad
cells named by file, line and column."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.errors import DataError
from explorer.running.v1_runner import V1Runner
from tests.feeding.data.files import write_csv


def _specs(model, **kw):
    return V1Runner(model, **kw).input_specs


def test_indexed_columns_make_one_input_and_extra_columns_are_noted(mlp, tmp_path):
    rows = [[i, i + 0.5, -i, 2 * i, f"label{i}"] for i in range(5)]
    path = write_csv(tmp_path / "d.csv", ["x[0]", "x[1]", "x[2]", "x[3]", "label"], rows)
    batches = list(explorer.data(path, batch_size=2).batches(_specs(mlp), mlp, required=["x"]))
    assert [b.rows for b in batches] == [2, 2, 1]
    x = np.concatenate([b.feeds["x"] for b in batches])
    assert x.dtype == np.float32 and x.shape == (5, 4)
    np.testing.assert_allclose(x[3], [3, 3.5, -3, 6])
    assert batches[0].where == ["d.csv:2", "d.csv:3"]
    assert "CSV columns not fed: label" in batches[0].notes
    assert batches[1].summary(0) == "x: [2, 2.5, -2, 4]"


def test_tensor_names_and_underscore_columns(mlp, tmp_path):
    path = write_csv(tmp_path / "t.csv", ["x:0_0", "x:0_1", "x:0_2", "x:0_3"], [[1, 2, 3, 4]])
    specs = _specs(mlp, inputs=["x:0"], outputs=["probs:0"])
    (batch,) = explorer.data(path).batches(specs, mlp)
    np.testing.assert_allclose(batch.feeds["x:0"], [[1, 2, 3, 4]])


def test_columns_map_other_names(mlp, tmp_path):
    path = write_csv(tmp_path / "m.csv", ["a", "b", "c", "d"], [[1, 2, 3, 4]])
    src = explorer.data(path, columns={"a": "x[0]", "b": "x[1]", "c": "x[2]", "d": "x[3]"})
    (batch,) = src.batches(_specs(mlp), mlp)
    assert batch.feeds["x"].tolist() == [[1, 2, 3, 4]]


@pytest.mark.parametrize(
    "rows,match",
    [
        (
            [[1, 2, 3, 4], [1, "abc", 3, 4]],
            r"bad.csv: line 3: column for input 'x': 'abc' is not a float32",
        ),
        (
            [[1, 2, 3, 4], [1, "", 3, 4]],
            r"bad.csv: line 3: column for input 'x': an empty cell is not a float32",
        ),
        ([[1, 2, 3]], r"bad.csv: line 2: 3 cells, the header has 4"),
    ],
)
def test_bad_cells_are_named(mlp, tmp_path, rows, match):
    path = write_csv(tmp_path / "bad.csv", ["x[0]", "x[1]", "x[2]", "x[3]"], rows)
    with pytest.raises(DataError, match=match):
        list(explorer.data(path).batches(_specs(mlp), mlp))


def test_a_missing_column_names_the_input(mlp, tmp_path):
    path = write_csv(tmp_path / "few.csv", ["x[0]", "x[1]"], [[1, 2]])
    with pytest.raises(
        DataError, match=r"few.csv: input 'x' is float32\[\?,4\] \(4 values per row\)"
    ):
        list(explorer.data(path).batches(_specs(mlp), mlp))
    path = write_csv(tmp_path / "none.csv", ["y"], [[1]])
    with pytest.raises(
        DataError, match=r"none.csv: no column for input 'x' \(x:0 float32\[\?,4\]\)"
    ):
        list(explorer.data(path).batches(_specs(mlp), mlp, required=["x"]))


def test_string_and_int_columns(tmp_path):
    from explorer.graph.specs import TensorSpec

    specs = {
        "word": TensorSpec("word:0", "string", (None,)),
        "n": TensorSpec("n:0", "int64", (None, 1)),
        "flag": TensorSpec("flag:0", "bool", (None,)),
    }
    path = write_csv(
        tmp_path / "s.csv", ["word", "n", "flag"], [["héllo", 3, "true"], ["", -1, "0"]]
    )
    (batch,) = explorer.data(path).batches(specs)
    assert batch.feeds["word"].tolist() == ["héllo".encode(), b""]
    assert batch.feeds["n"].tolist() == [[3], [-1]]
    assert batch.feeds["flag"].tolist() == [True, False]


def test_rows_become_tf_examples_for_a_parse_signature(tmp_path):
    """An Estimator export reads serialized tf.Example: each row is built into one, with the
    parse op's dtypes (an empty var-len cell: no value; an empty cell with a default: the
    default)."""
    from explorer.examples.models import build_example_parser_model

    model = explorer.load(build_example_parser_model(tmp_path / "m"))
    rows = [[0.5, -1, 1, "green", 1, "yes"], [1.0, 2, "", "pink", "", "no"]]
    path = write_csv(tmp_path / "e.csv", ["x[0]", "x[1]", "n", "color", "ids", "label"], rows)
    with V1Runner(model, signature="predict") as r:
        (batch,) = explorer.data(path).batches(r.input_specs, model, required=r.required_inputs)
        y = r.infer(batch.feeds)["y"].ravel()
    # y = x @ [0.5, -0.25] + 0.1 n + color_id + 0.01 sum(ids) + 1; pink is not in the vocabulary
    np.testing.assert_allclose(y, [0.25 + 0.25 + 0.1 + 1 + 0.01 + 1, 0.5 - 0.5 + 0 - 1 + 0 + 1])
    assert any("a tf.Example per row for ParseExampleV2" in n for n in batch.notes)
    assert "CSV columns not fed: label" in batch.notes
    assert batch.summary(1) == "ids: ; color: pink; n: ; x: 1.0, 2"
    no_x = write_csv(tmp_path / "nox.csv", ["n", "color"], [[1, "red"]])
    with pytest.raises(DataError, match=r"nox.csv: no column for feature 'x' \(dense float32\[2\]"):
        list(explorer.data(no_x).batches(r.input_specs, model, required=r.required_inputs))
    bad = write_csv(tmp_path / "bad.csv", ["x[0]", "x[1]", "n"], [[1, 2, 3], [1, 2, "three"]])
    with pytest.raises(
        DataError, match=r"bad.csv: line 3: column for feature 'n': 'three' is not a int64: fix"
    ):
        list(explorer.data(bad).batches(r.input_specs, model))


def test_a_sparse_input_is_refused(tmp_path):
    from explorer.graph.specs import TensorSpec

    specs = {"s": TensorSpec("", "int64", (None, 5), "sparse", ("a:0", "b:0", "c:0"))}
    path = write_csv(tmp_path / "s.csv", ["s"], [[1]])
    with pytest.raises(DataError, match=r"s.csv: input 's' is sparse .*: a CSV cannot hold it"):
        list(explorer.data(path).batches(specs))
