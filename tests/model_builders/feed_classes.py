"""TF1 graphs (tf.compat.v1, v1 control flow) whose inputs need feeds that exercise them (issue 24):
each ``fn(tmp) -> (path, inputs, outputs)`` writes a frozen GraphDef."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def _tf() -> Any:
    import tensorflow as tf

    tf.compat.v1.disable_control_flow_v2()
    return tf


def _write(tmp: Path, name: str, graph: Any, era_scalars: tuple[str, ...] = ()) -> Path:
    """A frozen GraphDef; ``era_scalars`` get the ``shape {}`` a TF 1.0-era graph (producer 0,
    like MTCNN's) wrote for "unknown"."""
    gd = graph.as_graph_def()
    if era_scalars:
        gd.versions.producer = 0
    for node in gd.node:
        if node.name in era_scalars:
            node.attr["shape"].shape.unknown_rank = False
    path = tmp / f"{name}.pb"
    path.write_bytes(gd.SerializeToString())
    return path


def pyramid(tmp: Path) -> tuple[Path, list[str], list[str]]:
    """MTCNN's image pyramid: a rank-3 image [H, W, 3] (no batch) resized while
    ``min(H, W) * 12 / min_size * factor**i > 12``, each scale convolved (3x3 VALID, stride 2);
    ``min_size`` and ``factor`` are TF 1.0-era ``[]`` placeholders, ``thresholds`` a [2]."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        image = v1.placeholder(tf.float32, [None, None, 3], name="input")
        min_size = v1.placeholder(tf.float32, [], name="min_size")
        factor = v1.placeholder(tf.float32, [], name="factor")
        thresholds = v1.placeholder(tf.float32, [2], name="thresholds")
        hw = tf.cast(tf.shape(image)[:2], tf.float32)
        minl = tf.reduce_min(hw)
        kernel = tf.constant(np.ones((3, 3, 3, 2), np.float32) / 27)

        def body(scale, total):
            size = tf.cast(tf.math.ceil(hw * scale), tf.int32)
            im = v1.image.resize_bilinear(tf.expand_dims(image, 0), size)
            conv = tf.nn.conv2d(im, kernel, [1, 2, 2, 1], "VALID")
            hits = tf.reduce_sum(tf.cast(conv > thresholds[0], tf.float32))
            return scale * factor, total + hits

        _, total = tf.while_loop(
            lambda scale, _: minl * scale > 12.0, body, [12.0 / min_size, tf.constant(0.0)]
        )
        tf.identity(total * thresholds[1], name="count")
    path = _write(tmp, "pyramid", g, era_scalars=("min_size", "factor"))
    return path, ["input:0", "min_size:0", "factor:0", "thresholds:0"], ["count:0"]


def mirror_squeezed(tmp: Path) -> tuple[Path, list[str], list[str]]:
    """A style-transfer-like chain on a placeholder with no shape: MirrorPad by 2 (REFLECT),
    two 3x3 VALID convs of stride 2, a 5x5 VALID conv to a 1x1 map and a Squeeze of it: only
    19-22 pixels fit (224 gives a 53x53 map, 2x2 fails at the pad)."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, name="image")
        y = tf.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]], mode="REFLECT")
        for i, (k, stride, cin) in enumerate(((3, 2, 3), (3, 2, 4), (5, 1, 4))):
            w = tf.constant(np.full((k, k, cin, 4), 0.01, np.float32), name=f"w{i}")
            y = tf.nn.relu(tf.nn.conv2d(y, w, [1, stride, stride, 1], "VALID"))
        tf.identity(tf.squeeze(y, [1, 2]), name="features")
    return _write(tmp, "mirror_squeezed", g), ["image:0"], ["features:0"]


def strided_unshaped(tmp: Path) -> tuple[Path, list[str], list[str]]:
    """A placeholder with no shape read by a 3x3 stride-2 Conv2D (3 channels), a 2x2 max pool
    and a mean over the map: any size of at least 4 runs; a realistic one is what proves it."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, name="pixels")
        w = tf.constant(np.full((3, 3, 3, 8), 0.1, np.float32), name="w")
        y = tf.nn.max_pool2d(tf.nn.conv2d(x, w, [1, 2, 2, 1], "VALID"), 2, 2, "VALID")
        tf.identity(tf.reduce_mean(y, axis=[1, 2]), name="logits")
    return _write(tmp, "strided_unshaped", g), ["pixels:0"], ["logits:0"]


def byte_image(tmp: Path) -> tuple[Path, list[str], list[str]]:
    """A uint8 image input cast to float and scaled (the Object Detection API's `image_tensor`)."""
    tf = _tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.uint8, [None, None, None, 3], name="image_tensor")
        y = tf.cast(x, tf.float32) / 255.0
        tf.identity(tf.reduce_max(y, axis=[1, 2, 3]), name="brightest")
    return _write(tmp, "byte_image", g), ["image_tensor:0"], ["brightest:0"]
