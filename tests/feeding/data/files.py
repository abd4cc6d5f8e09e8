"""Real data files for the data-source tests: TFRecord (plain, GZIP, ZLIB), CSV, PNG/JPEG, and
the small TF1 models that read them (built with tf.compat.v1 in a fresh graph)."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

import numpy as np

COLORS = (b"red", b"green", b"blue", b"pink")  # pink is out of the parser model's vocabulary


def parser_example(i: int, drop: str | None = None, wrong: str | None = None) -> bytes:
    """One tf.Example for ``build_example_parser_model`` (features x, n, color, ids); ``drop``
    leaves a feature out, ``wrong`` stores it as the wrong kind of list."""
    from tensorflow.core.example import example_pb2

    ex = example_pb2.Example()
    f = ex.features.feature
    values = {
        "x": ("float_list", [0.5 * i, -0.25 * i]),
        "n": ("int64_list", [i]),
        "color": ("bytes_list", [COLORS[i % 4]]),
        "ids": ("int64_list", list(range(i % 3))),
    }
    for key, (kind, vals) in values.items():
        if key == drop:
            continue
        if key == wrong:
            kind, vals = (
                ("int64_list", [int(v) for v in vals])
                if kind == "float_list"
                else (
                    "float_list",
                    [1.0],
                )
            )
        getattr(f[key], kind).value.extend(vals)
    return ex.SerializeToString()


def write_tfrecord(path: Path, records: Iterable[bytes], compression: str | None = None) -> Path:
    import tensorflow as tf

    with tf.io.TFRecordWriter(str(path), options=compression) as w:
        for r in records:
            w.write(r)
    return path


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable[object]]) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def image_pixels(i: int, h: int = 12, w: int = 10) -> np.ndarray:
    """A uint8 RGB image [h, w, 3] that differs per ``i``."""
    y, x = np.mgrid[0:h, 0:w]
    return np.stack(
        [(x * 20 + i * 7) % 256, (y * 15 + i * 3) % 256, np.full_like(x, 40 * i % 256)], -1
    ).astype(np.uint8)


def write_image(path: Path, pixels: np.ndarray) -> Path:
    import tensorflow as tf

    enc = tf.io.encode_png if path.suffix == ".png" else tf.io.encode_jpeg
    path.write_bytes(enc(pixels).numpy())
    return path


def build_image_model(out: Path, size: tuple[int, int] = (8, 8)) -> Path:
    """A frozen GraphDef: ``image`` float32 [None, H, W, 3] -> ``mean`` [None, 3] (channel
    means) and ``flat`` [None, H*W*3] (the pixels, to check decoding)."""
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, *size, 3], name="image")
        tf.reduce_mean(x, axis=[1, 2], name="mean")
        tf.reshape(x, [-1, size[0] * size[1] * 3], name="flat")
    out.mkdir(parents=True, exist_ok=True)
    tf.io.write_graph(g.as_graph_def(), str(out), "image.pb", as_text=False)
    return out / "image.pb"


def chicago_examples(vocab_dir: Path, n: int, seed: int = 0) -> list[bytes]:
    """Chicago-taxi trips as tf.Example (the 17 raw features the TFX serving export parses),
    string features drawn from the model's own vocabulary files."""
    from tensorflow.core.example import example_pb2

    rng = np.random.default_rng(seed)
    vocab = {}
    for name, key in (
        ("vocab_compute_and_apply_vocabulary_1_vocabulary", "company"),
        ("vocab_compute_and_apply_vocabulary_vocabulary", "payment_type"),
    ):
        lines = (vocab_dir / name).read_bytes().splitlines()
        vocab[key] = [v for v in lines if v][:50]
    out = []
    for _ in range(n):
        ex = example_pb2.Example()
        f = ex.features.feature
        for key in ("company", "payment_type"):
            f[key].bytes_list.value.append(vocab[key][int(rng.integers(len(vocab[key])))])
        for key in ("pickup_latitude", "dropoff_latitude"):
            f[key].float_list.value.append(float(41.8 + rng.uniform(0, 0.2)))
        for key in ("pickup_longitude", "dropoff_longitude"):
            f[key].float_list.value.append(float(-87.7 + rng.uniform(0, 0.2)))
        f["fare"].float_list.value.append(float(rng.uniform(3, 60)))
        f["trip_miles"].float_list.value.append(float(rng.uniform(0.1, 20)))
        for key, lo, hi in (
            ("pickup_census_tract", 17031010100, 17031980100),
            ("dropoff_census_tract", 17031010100, 17031980100),
            ("pickup_community_area", 1, 78),
            ("dropoff_community_area", 1, 78),
            ("trip_seconds", 60, 3600),
            ("trip_start_day", 1, 8),
            ("trip_start_hour", 0, 24),
            ("trip_start_month", 1, 13),
            ("trip_start_timestamp", 1_400_000_000, 1_500_000_000),
        ):
            f[key].int64_list.value.append(int(rng.integers(lo, hi)))
        out.append(ex.SerializeToString())
    return out


def build_sequence_model(out: Path) -> Path:
    """A frozen GraphDef reading serialized tf.SequenceExample: context ``length`` (int64, no
    default) and sequence ``tokens`` (float32 per step) -> ``score`` = length + sum(tokens)."""
    import tensorflow as tf

    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        s = v1.placeholder(tf.string, [None], name="serialized")
        ctx, seq, _ = tf.io.parse_sequence_example(
            s,
            context_features={"length": tf.io.FixedLenFeature([], tf.int64)},
            sequence_features={"tokens": tf.io.FixedLenSequenceFeature([], tf.float32)},
        )
        total = tf.reduce_sum(seq["tokens"], axis=1)
        tf.add(tf.cast(ctx["length"], tf.float32), total, name="score")
    out.mkdir(parents=True, exist_ok=True)
    tf.io.write_graph(g.as_graph_def(), str(out), "sequence.pb", as_text=False)
    return out / "sequence.pb"


def sequence_example(i: int, drop_length: bool = False) -> bytes:
    from tensorflow.core.example import example_pb2

    ex = example_pb2.SequenceExample()
    if not drop_length:
        ex.context.feature["length"].int64_list.value.append(i % 5 + 1)
    steps = ex.feature_lists.feature_list["tokens"]
    for t in range(i % 5 + 1):
        steps.feature.add().float_list.value.append(0.5 * t + i)
    return ex.SerializeToString()
