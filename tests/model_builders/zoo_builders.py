"""Builders of the zoo models (:mod:`tests.model_builders.zoo`), one per name, run in a child only.

:func:`~tests.model_builders.zoo.build_zoo` runs ``python -m tests.model_builders.zoo``, which sets
the TF1 global state these rely on (control flow v1, reference variables, ``TF_USE_LEGACY_KERAS=1``)
and calls ``BUILDERS[name](out)`` for each model: it writes the model under ``out`` and returns the
path to give ``explorer.load``. What each model stands for is listed in the zoo's docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

Builder = Callable[[Path], Path]

BUILDERS: dict[str, Builder] = {}
"""Zoo model name -> ``builder(out) -> path``, filled with :func:`_builder`."""


def _builder(name: str) -> Callable[[Builder], Builder]:
    def deco(fn: Builder) -> Builder:
        if name in BUILDERS:
            raise ValueError(f"zoo model {name!r} already has a builder")
        BUILDERS[name] = fn
        return fn

    return deco


def _rng(seed: int = 0) -> Any:
    import numpy as np

    return np.random.default_rng(seed)


def _ref_var(v1: Any, value: Any, name: str) -> Any:
    return v1.Variable(value, name=name, use_resource=False)


def _tf1() -> tuple[Any, Any, Any]:
    """``(tensorflow, tf.compat.v1, a new tf.Graph)``: what every builder starts with."""
    import tensorflow as tf

    return tf, tf.compat.v1, tf.Graph()


def _save_model(
    v1: Any,
    g: Any,
    out: Path,
    signatures: dict[str, Any] | None = None,
    *,
    inputs: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
    tables: bool = False,
) -> Path:
    """Initialise the variables of graph ``g`` in a session and write it to ``out`` as a
    SavedModel (tag ``serve``) with ``signatures``, or with one ``serving_default`` predict
    signature of ``inputs`` -> ``outputs`` (name -> tensor); returns ``out``. ``tables``: also
    its asset files and a ``legacy_init_op`` running the table initialisers, as TF 1.x exports
    did."""
    with g.as_default(), v1.Session(graph=g) as sess:
        if signatures is None:
            sig = v1.saved_model.predict_signature_def(inputs, outputs)
            signatures = {"serving_default": sig}
        sess.run(v1.global_variables_initializer())
        kwargs = {}
        if tables:
            kwargs = {
                "assets_collection": g.get_collection(v1.GraphKeys.ASSET_FILEPATHS),
                "legacy_init_op": v1.group(v1.tables_initializer(), name="legacy_init_op"),
            }
        builder = v1.saved_model.Builder(str(out))
        builder.add_meta_graph_and_variables(
            sess, ["serve"], signature_def_map=signatures, **kwargs
        )
        builder.save()
    return out


@_builder("cond_while")
def _cond_while(out: Path) -> Path:
    import numpy as np

    tf, v1, g = _tf1()
    rng = _rng(1)
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        steps = v1.placeholder_with_default(np.int32(3), [], name="steps")
        w = _ref_var(v1, rng.normal(0, 0.4, (4, 4)).astype(np.float32), "w")
        b = _ref_var(v1, rng.normal(0, 0.1, (4,)).astype(np.float32), "b")
        h = tf.matmul(x, w) + b
        h = v1.cond(tf.reduce_mean(h) > 0.0, lambda: tf.nn.relu(h), lambda: tf.tanh(h))

        def body(i: Any, acc: Any) -> tuple[Any, Any]:
            return i + 1, 0.5 * acc + 0.5 * tf.tanh(tf.matmul(acc, w))

        i, acc = v1.while_loop(lambda i, acc: i < steps, body, [tf.constant(0), h])
        y = tf.identity(acc, name="y")
        iterations = tf.identity(i, name="iterations")
    return _save_model(
        v1, g, out, inputs={"x": x, "steps": steps}, outputs={"y": y, "iterations": iterations}
    )


@_builder("cond_update")
def _cond_update(out: Path) -> Path:
    import numpy as np
    from tensorflow.python.training import moving_averages

    tf, v1, g = _tf1()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        is_training = v1.placeholder_with_default(False, [], name="is_training")
        mean_var = _ref_var(v1, np.array([0.1, -0.2, 0.3], np.float32), "bn/moving_mean")
        var_var = _ref_var(v1, np.array([1.0, 0.5, 2.0], np.float32), "bn/moving_variance")
        calls = _ref_var(v1, np.float32(0), "calls")

        def force_updates() -> tuple[Any, Any]:  # tf.contrib.layers.batch_norm, no collections
            mean, var = tf.nn.moments(x, [0])
            um = moving_averages.assign_moving_average(mean_var, mean, 0.9, zero_debias=False)
            uv = moving_averages.assign_moving_average(var_var, var, 0.9, zero_debias=False)
            with tf.control_dependencies([um, uv]):
                return tf.identity(mean), tf.identity(var)

        mean, var = v1.cond(is_training, force_updates, lambda: (mean_var, var_var))
        h = tf.nn.batch_normalization(x, mean, var, None, None, 1e-3)

        def body(i: Any, acc: Any) -> tuple[Any, Any]:
            with tf.control_dependencies([v1.assign_add(calls, 1.0)]):
                return i + 1, 0.5 * acc + tf.sin(acc)

        _, y = v1.while_loop(lambda i, acc: i < 2, body, [tf.constant(0), h])
        y = tf.identity(y, name="y")
        with tf.control_dependencies([y]):
            calls_out = tf.identity(calls.read_value(), name="calls_out")
    return _save_model(
        v1,
        g,
        out,
        inputs={"x": x, "is_training": is_training},
        outputs={"y": y, "calls": calls_out},
    )


@_builder("rnn_lstm")
def _rnn_lstm(out: Path) -> Path:

    tf, v1, g = _tf1()
    with g.as_default():
        v1.set_random_seed(2)
        x = v1.placeholder(tf.float32, [None, 6, 3], name="x")
        lengths = v1.placeholder(tf.int32, [None], name="lengths")
        fw = v1.nn.rnn_cell.LSTMCell(5, name="fw")
        bw = v1.nn.rnn_cell.GRUCell(5, name="bw")
        (out_fw, out_bw), (state_fw, state_bw) = v1.nn.bidirectional_dynamic_rnn(
            fw, bw, x, sequence_length=lengths, dtype=tf.float32
        )
        outputs = tf.concat([out_fw, out_bw], axis=2)
        logits = v1.layers.dense(tf.concat([state_fw.h, state_bw], 1), 2, name="head")
        probs = tf.nn.softmax(logits, name="probs")
        last = tf.identity(outputs[:, -1], name="last_output")
    return _save_model(
        v1,
        g,
        out,
        inputs={"x": x, "lengths": lengths},
        outputs={"probs": probs, "last_output": last},
    )


def _cnn_graph(tf: Any) -> tuple[Any, dict[str, Any]]:
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        v1.set_random_seed(3)
        x = v1.placeholder(tf.float32, [None, 8, 8, 1], name="images")
        labels = v1.placeholder(tf.int64, [None], name="labels")
        is_training = v1.placeholder_with_default(False, [], name="is_training")
        keep_prob = v1.placeholder_with_default(1.0, [], name="keep_prob")
        h = v1.layers.conv2d(x, 4, 3, padding="same", name="conv1")
        h = v1.layers.batch_normalization(h, training=is_training, name="bn1")
        h = v1.layers.max_pooling2d(tf.nn.relu(h), 2, 2, name="pool1")
        h = v1.layers.flatten(h, name="flatten")
        h = v1.nn.dropout(h, keep_prob=keep_prob, name="dropout")
        logits = v1.layers.dense(h, 3, name="logits")
        probs = tf.nn.softmax(logits, name="probs")
        loss = v1.losses.sparse_softmax_cross_entropy(labels, logits)
        step = v1.train.get_or_create_global_step()
        with tf.control_dependencies(v1.get_collection(v1.GraphKeys.UPDATE_OPS)):
            train_op = v1.train.AdamOptimizer(0.01).minimize(loss, global_step=step)
        init = v1.global_variables_initializer()
    t = {"x": x, "labels": labels, "is_training": is_training, "train_op": train_op, "init": init}
    t["probs"] = probs
    return g, t


def _train_cnn(tf: Any, sess: Any, t: dict[str, Any]) -> None:
    rng = _rng(3)
    sess.run(t["init"])
    for _ in range(2):
        feed = {
            t["x"]: rng.normal(0, 1, (4, 8, 8, 1)),
            t["labels"]: rng.integers(0, 3, 4),
            t["is_training"]: True,
        }
        sess.run(t["train_op"], feed)


@_builder("cnn_bn_checkpoint")
def _cnn_bn_checkpoint(out: Path) -> Path:
    import tensorflow as tf

    v1 = tf.compat.v1
    g, t = _cnn_graph(tf)
    out.mkdir(parents=True)
    with v1.Session(graph=g) as sess:
        _train_cnn(tf, sess, t)
        with g.as_default():
            saver = v1.train.Saver()
        prefix = saver.save(sess, str(out / "model.ckpt"), global_step=2)
    return Path(prefix + ".meta")


@_builder("cnn_bn_frozen")
def _cnn_bn_frozen(out: Path) -> Path:
    import tensorflow as tf

    v1 = tf.compat.v1
    g, t = _cnn_graph(tf)
    out.mkdir(parents=True)
    with v1.Session(graph=g) as sess:
        _train_cnn(tf, sess, t)
        frozen = v1.graph_util.convert_variables_to_constants(sess, g.as_graph_def(), ["probs"])
    tf.io.write_graph(frozen, str(out), "frozen.pb", as_text=False)
    return out / "frozen.pb"


@_builder("mnist_tutorial")
def _mnist_tutorial(out: Path) -> Path:
    import numpy as np

    tf, v1, g = _tf1()
    rng = _rng(8)
    with g.as_default():
        v1.set_random_seed(8)
        x = v1.placeholder(tf.float32, [None, 64], name="x")
        y_ = v1.placeholder(tf.float32, [None, 10], name="y_")
        keep_prob = v1.placeholder(tf.float32, name="keep_prob")  # unknown rank, no default
        w_conv = v1.Variable(v1.truncated_normal([3, 3, 1, 4], stddev=0.1), name="W_conv1")
        b_conv = v1.Variable(tf.constant(0.1, shape=[4]), name="b_conv1")
        image = tf.reshape(x, [-1, 8, 8, 1])
        h = tf.nn.relu(tf.nn.conv2d(image, w_conv, [1, 1, 1, 1], "SAME") + b_conv)
        h = tf.nn.max_pool2d(h, 2, 2, "SAME")
        h = tf.reshape(h, [-1, 4 * 4 * 4])
        h = v1.nn.dropout(h, keep_prob)
        w_fc = v1.Variable(v1.truncated_normal([64, 10], stddev=0.1), name="W_fc")
        b_fc = v1.Variable(tf.constant(0.1, shape=[10]), name="b_fc")
        y_conv = tf.add(tf.matmul(h, w_fc), b_fc, name="y_conv")
        loss = tf.reduce_mean(
            tf.nn.softmax_cross_entropy_with_logits(labels=v1.stop_gradient(y_), logits=y_conv)
        )
        train_step = v1.train.AdamOptimizer(1e-3).minimize(loss)
        correct = tf.equal(tf.argmax(y_conv, 1), tf.argmax(y_, 1))
        tf.reduce_mean(tf.cast(correct, tf.float32), name="accuracy")
        saver = v1.train.Saver(max_to_keep=2)
    out.mkdir(parents=True)
    with v1.Session(graph=g) as sess:
        sess.run(v1.global_variables_initializer())
        for step in range(2):
            labels = rng.integers(0, 10, 8)
            feed = {x: rng.random((8, 64)), y_: np.eye(10)[labels], keep_prob: 0.5}
            sess.run(train_step, feed)
            saver.save(sess, str(out / "model.ckpt"), global_step=step)
    return out  # the folder: its `checkpoint` state file names the latest step


@_builder("partitioned")
def _partitioned(out: Path) -> Path:

    tf, v1, g = _tf1()
    with g.as_default():
        v1.set_random_seed(4)
        ids = v1.placeholder(tf.int64, [None], name="ids")
        x = v1.placeholder(tf.float32, [None, 6], name="x")
        with v1.device(v1.train.replica_device_setter(ps_tasks=2)):
            emb = v1.get_variable(
                "emb", [10, 4], partitioner=v1.fixed_size_partitioner(3), use_resource=False
            )
            kernel = v1.get_variable(
                "dense/kernel",
                [6, 4],
                partitioner=v1.fixed_size_partitioner(2),
                use_resource=False,
            )
            bias = v1.get_variable(
                "dense/bias", [4], initializer=v1.constant_initializer(0.1), use_resource=False
            )
            e = v1.nn.embedding_lookup(emb, ids, partition_strategy="div", name="lookup")
            d = tf.matmul(x, tf.concat(list(kernel), axis=0)) + bias
            y = tf.reduce_sum(tf.tanh(e + d), axis=1, name="score")
        saver = v1.train.Saver(sharded=True)
        meta = saver.export_meta_graph()
    # No parameter servers here: run a device-cleared copy of the same graph (its sharded save
    # ops included) to write the checkpoint, and keep the pinned graph as the .meta file.
    out.mkdir(parents=True)
    local = tf.Graph()
    with local.as_default():
        local_saver = v1.train.import_meta_graph(meta, clear_devices=True)
        init = v1.global_variables_initializer()
    with v1.Session(graph=local) as sess:
        sess.run(init)
        prefix = local_saver.save(sess, str(out / "model"), write_meta_graph=False)
    v1.train.write_graph(meta, str(out), "model.meta", as_text=False)
    assert y.name == "score:0"
    return Path(prefix + ".meta")


@_builder("legacy_parse_example")
def _legacy_parse_example(out: Path) -> Path:
    import tempfile

    import numpy as np
    from tensorflow.core.protobuf import saved_model_pb2

    tf, v1, g = _tf1()
    tmp = tempfile.TemporaryDirectory(prefix="tf1-zoo-vocab-")
    vocab = Path(tmp.name) / "colors.txt"
    vocab.write_text("red\ngreen\nblue\n")
    with g.as_default():
        serialized = v1.placeholder(tf.string, [None], name="input_example_tensor")
        keys = [tf.constant(k, name=f"ParseExample/key_{k}") for k in ("x", "k", "color")]
        defaults = [tf.zeros([0], tf.float32), tf.constant([0], tf.int64), tf.constant([""])]
        parsed = tf.raw_ops.ParseExample(
            serialized=serialized,
            names=tf.constant([], tf.string),
            sparse_keys=[],
            dense_keys=keys,
            dense_defaults=defaults,
            sparse_types=[],
            dense_shapes=[[3], [1], [1]],
            name="ParseExample/ParseExample",
        )
        fx, fk, fcolor = parsed.dense_values
        # A TF 1.0 lookup table: the v1 `HashTable` op, whose handle is a string_ref.
        filename = tf.constant(str(vocab), name="colors_vocab")
        v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, filename)
        table = tf.raw_ops.HashTable(key_dtype=tf.string, value_dtype=tf.int64, name="colors")
        init = tf.raw_ops.InitializeTableFromTextFile(
            table_handle=table, filename=filename, key_index=-2, value_index=-1
        )
        v1.add_to_collection(v1.GraphKeys.TABLE_INITIALIZERS, init)
        color_id = tf.raw_ops.LookupTableFind(
            table_handle=table, keys=fcolor, default_value=tf.constant(-1, tf.int64)
        )
        w = _ref_var(v1, np.array([[0.5, -1.0], [0.25, 0.0], [-0.5, 1.0]], np.float32), "w")
        b = _ref_var(v1, np.array([0.1, -0.1], np.float32), "b")
        logits = tf.matmul(fx, w) + b + 0.01 * tf.cast(fk, tf.float32)
        logits += 0.5 * tf.cast(color_id, tf.float32)
        scores = tf.nn.softmax(logits, name="scores")
        classes = tf.tile(tf.constant([["no", "yes"]]), [tf.shape(scores)[0], 1], name="classes")
        value = tf.identity(logits[:, 1:], name="value")
        sdu = v1.saved_model.signature_def_utils
        signatures = {
            "serving_default": sdu.classification_signature_def(serialized, classes, scores),
            "regress": sdu.regression_signature_def(serialized, value),
            "predict": sdu.predict_signature_def(
                {"examples": serialized}, {"scores": scores, "color_id": color_id}
            ),
        }
    _save_model(v1, g, out, signatures, tables=True)
    tmp.cleanup()
    # Make it look as written by TF 1.0: producer 21, `{}` placeholder shapes, no TensorInfo shapes.
    pb = out / "saved_model.pb"
    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString(pb.read_bytes())
    mg = sm.meta_graphs[0]
    mg.meta_info_def.tensorflow_version = "1.0.1"
    mg.meta_info_def.tensorflow_git_version = "v1.0.0-65-g4763edf-dirty"
    mg.graph_def.versions.producer = 21
    mg.graph_def.versions.min_consumer = 0
    for node in mg.graph_def.node:
        node.attr.pop("_output_shapes", None)
        if node.op == "Placeholder":
            node.attr["shape"].shape.Clear()  # `shape {}`: a scalar today, "unknown" in TF 1.0
    for sig in mg.signature_def.values():
        for infos in (sig.inputs, sig.outputs):
            for info in infos.values():
                info.ClearField("tensor_shape")
    pb.write_bytes(sm.SerializeToString())
    return out


@_builder("mixed_dtypes")
def _mixed_dtypes(out: Path) -> Path:
    import tempfile

    import numpy as np
    from tensorflow.python.ops import lookup_ops  # what tf.contrib.lookup exported in TF 1.x

    tf, v1, g = _tf1()
    tmp = tempfile.TemporaryDirectory(prefix="tf1-zoo-vocab-")
    tokens_file = Path(tmp.name) / "tokens.txt"
    tokens_file.write_text("the\ncat\nsat\non\nmat\n")
    labels_file = Path(tmp.name) / "labels.txt"
    labels_file.write_text("negative\nneutral\npositive\n")
    with g.as_default():
        ids = v1.placeholder(tf.int64, [None], name="ids")
        tokens = v1.placeholder(tf.string, [None], name="tokens")
        token_table = lookup_ops.index_table_from_file(
            str(tokens_file), num_oov_buckets=1, name="token_table"
        )
        label_table = lookup_ops.index_to_string_table_from_file(
            str(labels_file), default_value="UNK", name="label_table"
        )
        token_id = tf.identity(token_table.lookup(tokens), name="token_id")
        emb = _ref_var(v1, _rng(6).normal(0, 1, (6, 3)).astype(np.float32), "emb")
        id_emb = _ref_var(v1, _rng(7).normal(0, 1, (5, 3)).astype(np.float32), "id_emb")
        logits = tf.gather(emb, token_id) + v1.nn.embedding_lookup(id_emb, ids)
        class_id = tf.argmax(logits, axis=1, name="class_id")  # int64
        label = tf.identity(label_table.lookup(class_id), name="label")  # string
        score = tf.reduce_max(tf.nn.softmax(logits), axis=1, name="score")
        count = tf.identity(ids + token_id, name="count")  # int64
        sig = v1.saved_model.predict_signature_def(
            {"ids": ids, "tokens": tokens},
            {"label": label, "class_id": class_id, "score": score, "count": count},
        )
    _save_model(v1, g, out, {"serving_default": sig, "predict": sig}, tables=True)
    tmp.cleanup()
    return out


@_builder("feature_columns")
def _feature_columns(out: Path) -> Path:
    import numpy as np

    tf, v1, g = _tf1()
    fc = v1.feature_column
    with g.as_default():
        weekday = fc.categorical_column_with_identity("weekday", num_buckets=7)
        fare = fc.numeric_column("fare")
        columns = [
            fc.indicator_column(weekday),
            fc.bucketized_column(fare, boundaries=[1.0, 5.0, 20.0]),
            fare,
        ]
        serialized = v1.placeholder(tf.string, [None], name="input_example_tensor")
        features = tf.io.parse_example(serialized, fc.make_parse_example_spec(columns))
        net = fc.input_layer(features, columns)
        w = _ref_var(v1, _rng(9).normal(0, 1, (net.shape[1], 1)).astype(np.float32), "linear/w")
        y = tf.identity(tf.matmul(net, w), name="predictions")
        sdu = v1.saved_model.signature_def_utils
        signatures = {
            "serving_default": sdu.predict_signature_def({"examples": serialized}, {"y": y}),
            "regress": sdu.regression_signature_def(serialized, y),
        }
    return _save_model(v1, g, out, signatures)


@_builder("gpu_pinned")
def _gpu_pinned(out: Path) -> Path:
    import numpy as np

    tf, v1, g = _tf1()
    rng = _rng(7)
    with g.as_default(), tf.device("/device:GPU:0"):
        x = v1.placeholder(tf.float32, [None, 5], name="x")
        w = _ref_var(v1, rng.normal(0, 0.5, (5, 3)).astype(np.float32), "dense/kernel")
        b = _ref_var(v1, rng.normal(0, 0.1, (3,)).astype(np.float32), "dense/bias")
        probs = tf.nn.softmax(tf.matmul(x, w) + b, name="probs")
        init = v1.global_variables_initializer()
        saver = v1.train.Saver()
    out.mkdir(parents=True)
    config = v1.ConfigProto(allow_soft_placement=True)
    with v1.Session(graph=g, config=config) as sess:
        sess.run(init)
        prefix = saver.save(sess, str(out / "model"))
    assert probs.name == "probs:0" and all(n.device for n in g.as_graph_def().node)
    return Path(prefix + ".meta")
