"""TF1 graphs built with tf.compat.v1, one per class of "feed what the graph needs" problem.

Each builder writes a model under ``tmp`` and returns ``(path, inputs, outputs)``: what a user
would pass to ``explorer run --inputs ... --outputs ...``. Used by the shape inference, decoder,
index range and CLI tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _tf():
    import tensorflow as tf

    return tf


def _write(tmp: Path, name: str, g, producer: int | None = None, era_scalar: tuple = ()) -> Path:
    """Write ``g`` as a frozen GraphDef; ``producer`` rewrites the version (a TF 1.0-era graph)
    and ``era_scalar`` placeholders get the ``shape {}`` such graphs wrote for "unknown"."""
    gd = g.as_graph_def()
    if producer is not None:
        gd.versions.producer = producer
    for node in gd.node:
        if node.name in era_scalar:
            s = node.attr["shape"].shape
            s.unknown_rank = False
            del s.dim[:]
    path = tmp / f"{name}.pb"
    path.write_bytes(gd.SerializeToString())
    return path


def reshaped(tmp: Path) -> tuple[Path, list[str], list[str]]:
    """``x = tf.placeholder(tf.float32)`` reshaped to ``[-1, 784]`` then multiplied."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, name="x")
        flat = tf.reshape(x, [-1, 784], name="model/Reshape")
        w = tf.constant(np.full((784, 3), 0.01, np.float32), name="w")
        tf.identity(tf.matmul(flat, w), name="y")
    return _write(tmp, "reshaped", g), ["x:0"], ["y:0"]


def multiplied(tmp: Path) -> tuple[Path, list[str], list[str]]:
    """An unshaped placeholder multiplied by a [5, 2] weight, then a bias added."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, name="x")
        w = tf.constant(np.ones((5, 2), np.float32), name="w")
        b = tf.constant(np.ones(2, np.float32), name="b")
        tf.nn.bias_add(tf.matmul(x, w), b, name="y")
    return _write(tmp, "multiplied", g), ["x:0"], ["y:0"]


def convolved(tmp: Path) -> tuple[Path, list[str], list[str]]:
    """An unshaped image placeholder convolved (VALID) with a 3x3x4x2 filter."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, name="image")
        f = tf.constant(np.ones((3, 3, 4, 2), np.float32), name="filter")
        conv = tf.nn.conv2d(x, f, strides=[1, 1, 1, 1], padding="VALID", name="conv")
        tf.identity(tf.reduce_mean(conv, axis=[1, 2]), name="y")
    return _write(tmp, "convolved", g), ["image:0"], ["y:0"]


def broadcast(tmp: Path) -> tuple[Path, list[str], list[str]]:
    """An unshaped placeholder added to a [6] constant, then concatenated with a [3, 2] one."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        a = v1.placeholder(tf.float32, name="a")
        c = v1.placeholder(tf.float32, name="c")
        tf.identity(a * tf.constant(np.arange(6, dtype=np.float32)), name="ya")
        tf.identity(tf.concat([c, tf.constant(np.ones((3, 2), np.float32))], 1), name="yc")
    return _write(tmp, "broadcast", g), ["a:0", "c:0"], ["ya:0", "yc:0"]


def tiled_batch(tmp: Path) -> tuple[Path, list[str], list[str]]:
    """A [?, 3] input whose batch a Tile fixes at 16 deep in the graph (seq2seq start tokens)."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        h = tf.nn.relu(tf.matmul(x, tf.constant(np.ones((3, 4), np.float32))))
        start = tf.tile(tf.constant([[1.0, 2.0]]), [16, 1], name="decode/Tile")
        tf.identity(tf.concat([h, start], axis=1), name="y")
    return _write(tmp, "tiled", g), ["x:0"], ["y:0"]


def no_tensorinfo_shape(tmp: Path) -> tuple[Path, list[str], list[str]]:
    """A SavedModel whose signature's TensorInfo has no shape while its placeholder is [?, 1]."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    out = tmp / "no_shape_sm"
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 1], name="x")
        y = tf.identity(x * 2.0 + 1.0, name="y")
        with v1.Session(graph=g) as s:
            xi = v1.saved_model.utils.build_tensor_info(x)
            xi.ClearField("tensor_shape")
            yi = v1.saved_model.utils.build_tensor_info(y)
            yi.ClearField("tensor_shape")
            sig = v1.saved_model.signature_def_utils.build_signature_def(
                {"x": xi}, {"y": yi}, "tensorflow/serving/predict"
            )
            b = v1.saved_model.Builder(str(out))
            b.add_meta_graph_and_variables(s, ["serve"], signature_def_map={"serving_default": sig})
            b.save()
    return out, [], []


def decoded_wav(tmp: Path, producer: int = 21) -> tuple[Path, list[str], list[str]]:
    """A speech front end: a TF 1.0-era ``shape {}`` string placeholder into DecodeWav."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        wav = v1.placeholder(tf.string, [], name="wav_data")
        audio, rate = tf.raw_ops.DecodeWav(
            contents=wav, desired_channels=1, desired_samples=4000, name="decoded"
        )
        spec = tf.raw_ops.AudioSpectrogram(
            input=audio, window_size=480, stride=160, magnitude_squared=True
        )
        tf.identity(tf.reduce_mean(tf.raw_ops.Mfcc(spectrogram=spec, sample_rate=rate)), name="y")
    return _write(tmp, "wav", g, producer, ("wav_data",)), ["wav_data:0"], ["y:0"]


def era_matmul(tmp: Path) -> tuple[Path, list[str], list[str]]:
    """A TF 1.0-era ``shape {}`` float placeholder that a MatMul reads: not a scalar."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, name="x")
        tf.identity(tf.matmul(x, tf.constant(np.ones((4, 1), np.float32))), name="y")
    return _write(tmp, "era_matmul", g, 21, ("x",)), ["x:0"], ["y:0"]


def decoded_images(tmp: Path) -> tuple[Path, list[str], list[str]]:
    """Scalar strings into DecodeJpeg, DecodePng and DecodeImage; lines into DecodeCSV; a
    serialized tensor into ParseTensor (reshaped to [2, 3] downstream)."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        jpg = v1.placeholder(tf.string, [], name="jpeg")
        png = v1.placeholder(tf.string, [], name="png")
        img = v1.placeholder(tf.string, None, name="image")
        csv = v1.placeholder(tf.string, [None], name="lines")
        ser = v1.placeholder(tf.string, [], name="tensor")
        a = tf.cast(tf.io.decode_jpeg(jpg, channels=3), tf.float32)
        b = tf.cast(tf.io.decode_png(png, channels=1), tf.float32)
        c = tf.cast(tf.io.decode_image(img, channels=3, expand_animations=False), tf.float32)
        cols = tf.io.decode_csv(csv, [[0.0], [0], [""]], field_delim=";")
        t = tf.reshape(tf.io.parse_tensor(ser, tf.float32), [2, 3])
        tf.identity(tf.reduce_mean(a) + tf.reduce_mean(b) + tf.reduce_mean(c), name="y_img")
        tf.identity(
            tf.reduce_sum(cols[0]) + tf.cast(tf.reduce_sum(cols[1]), tf.float32), name="y_csv"
        )
        tf.identity(tf.reduce_sum(t), name="y_tensor")
    names = ["jpeg:0", "png:0", "image:0", "lines:0", "tensor:0"]
    return _write(tmp, "decoders", g), names, ["y_img:0", "y_csv:0", "y_tensor:0"]


def ctc_and_gather(tmp: Path) -> tuple[Path, list[str], list[str]]:
    """A CTC greedy decoder with sequence lengths (bounded by the time dim), a GatherNd into a
    [1, 2] table and a one-hot of depth 3."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        logits = v1.placeholder(
            tf.float32, [None, None, 4], name="logits"
        )  # [time, batch, classes]
        lengths = v1.placeholder(tf.int32, [None], name="seq_len")
        idx = v1.placeholder(tf.int32, [None, 2], name="idx")
        hot = v1.placeholder(tf.int32, [None], name="hot")
        decoded, _ = tf.nn.ctc_greedy_decoder(logits, lengths)
        tf.identity(tf.sparse.to_dense(decoded[0]), name="y_ctc")
        table = tf.constant([[1.0, 2.0]], name="table")
        tf.identity(tf.gather_nd(table, idx), name="y_gather")
        tf.identity(tf.one_hot(hot, 3), name="y_hot")
    names = ["logits:0", "seq_len:0", "idx:0", "hot:0"]
    return _write(tmp, "ctc", g), names, ["y_ctc:0", "y_gather:0", "y_hot:0"]


def sparse_transform(tmp: Path) -> tuple[Path, list[str], list[str]]:
    """A tf.Transform-style var-len feature: a sparse placeholder densified to [batch, 1]."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    out = tmp / "sparse_sm"
    with g.as_default():
        sp = v1.sparse_placeholder(tf.float32, [None, None], name="x")
        dense = tf.sparse.to_dense(tf.SparseTensor(sp.indices, sp.values, [sp.dense_shape[0], 1]))
        y = tf.squeeze(dense, axis=1, name="y")
        with v1.Session(graph=g) as s:
            sig = v1.saved_model.signature_def_utils.predict_signature_def({"x": sp}, {"y": y})
            b = v1.saved_model.Builder(str(out))
            b.add_meta_graph_and_variables(s, ["serve"], signature_def_map={"serving_default": sig})
            b.save()
    return out, [], []
