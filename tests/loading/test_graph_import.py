"""Graph import and the init-op choice the v1 session and the converter share."""

from __future__ import annotations

import numpy as np
import pytest

import explorer


@pytest.fixture(scope="module")
def table_checkpoint(tmp_path_factory):
    """A ``.meta`` + checkpoint (no SavedModel init op) whose graph has a vocabulary table in the
    ``table_initializer`` collection: ``ids = table.lookup(words) + w`` with ``w`` = 10."""
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        words = v1.placeholder(tf.string, [None], name="words")
        table = v1.lookup.StaticHashTable(
            v1.lookup.KeyValueTensorInitializer(["a", "b", "c"], [1, 2, 3], tf.string, tf.int64),
            default_value=-1,
        )
        w = v1.Variable(10, dtype=tf.int64, name="w", use_resource=False)
        tf.add(table.lookup(words), w, name="ids")
        with v1.Session(graph=g) as s:
            s.run([v1.global_variables_initializer(), v1.tables_initializer()])
            prefix = v1.train.Saver().save(s, str(tmp_path_factory.mktemp("table") / "model"))
    return prefix + ".meta"


def test_init_ops_come_from_one_choice_for_session_and_converter(table_checkpoint, mlp_paths):
    from explorer import convert, load
    from explorer.loading.isolation import saver_ops, table_init
    from explorer.running.v1_runner import V1Runner

    model = load(table_checkpoint)
    assert model.init_op is None
    with explorer.ModelSession(model) as s:
        ops, feeds = table_init(s.graph, model.init_op, {"nowhere:0": "x.txt"})
        assert ops == ["key_value_init/LookupTableImportV2"]  # the table_initializer collection
        assert feeds == {}  # an asset tensor not in the graph is not fed
        restore, filename = saver_ops(model, s.graph)  # the Saver both session and builder run
        assert (restore.name, filename.name) == (model.restore_op, model.filename_tensor)
        assert s.tensor("ids").name == "ids:0"  # graph_tensor: ``op`` means ``op:0``
        with pytest.raises(explorer.errors.TensorNotFoundError, match="'nope' is not in .*suggest"):
            s.tensor("nope")
    v2 = convert(model, inputs=["words:0"], outputs=["ids:0"])
    assert table_init(v2.wrapped_function.graph, model.init_op, {})[0] == ops  # same op
    words = np.array([b"c", b"a", b"zzz"], dtype=object)
    with V1Runner(model, inputs=["words:0"], outputs=["ids:0"]) as r:
        assert r.infer({"words:0": words})["ids:0"].tolist() == [13, 11, 9]
    assert v2(words=words)["ids"].numpy().tolist() == [13, 11, 9]
    mlp = load(mlp_paths["saved_model"])
    with explorer.ModelSession(mlp) as s:
        assert table_init(s.graph, mlp.init_op, {}) == ([], {})  # nothing to run
