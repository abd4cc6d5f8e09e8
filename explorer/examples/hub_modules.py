"""Small TF1 Hub modules (``text_embedding``, ``image_feature_vector``) for the notebooks."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

import numpy as np

from explorer._tf import tf
from explorer.examples.models import vocabulary_init

VOCABULARY = ("<unk>", "the", "cat", "dog", "sat", "on", "mat", "a", "fish", "swam")
EMBEDDING_DIM = 4
IMAGE_SHAPE = (8, 8, 3)
FEATURES = 6


def import_hub() -> Any:
    """``tensorflow_hub`` 0.15 on this TensorFlow (its ``estimator`` stubbed: gone in TF 2.16)."""
    if "tensorflow_hub" in sys.modules:
        return sys.modules["tensorflow_hub"]
    if "tensorflow_hub.estimator" not in sys.modules:
        stub = types.ModuleType("tensorflow_hub.estimator")

        def _gone(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("tensorflow_hub.estimator needs tf.estimator, gone in TF >= 2.16")

        stub.LatestModuleExporter = _gone  # type: ignore[attr-defined]
        stub.register_module_for_export = _gone  # type: ignore[attr-defined]
        sys.modules["tensorflow_hub.estimator"] = stub
    try:
        import pkg_resources  # noqa: F401 - tensorflow_hub checks TF's version with it
    except ImportError:  # setuptools without pkg_resources (>= 81): the one function it uses
        from packaging.version import parse

        shim = types.ModuleType("pkg_resources")
        shim.parse_version = parse  # type: ignore[attr-defined]
        sys.modules["pkg_resources"] = shim
    try:
        import tensorflow_hub as hub
    except ImportError as e:
        sys.modules.pop("tensorflow_hub.estimator", None)
        raise ImportError(
            f"building TF1 Hub modules needs tensorflow_hub 0.15 ({e}): "
            "pip install tensorflow-hub==0.15.0 (the dev extra)"
        ) from None
    return hub


def export_module(module_fn: Any, out: Path, tags_and_args: Any = None) -> Path:
    """Export the module ``module_fn`` builds to ``out``; ``out``."""
    hub = import_hub()
    v1 = tf().compat.v1
    spec = hub.create_module_spec(module_fn, tags_and_args=tags_and_args)
    if out.exists():
        shutil.rmtree(out)
    with tf().Graph().as_default():
        module = hub.Module(spec, trainable=False)
        with v1.Session() as s:
            s.run([v1.global_variables_initializer(), v1.tables_initializer()])
            module.export(str(out), s)
    return out


def const_init(value: np.ndarray) -> Any:
    """An initializer giving ``value`` (the slice of it for a partition of a variable)."""

    def init(shape: Any, dtype: Any = None, partition_info: Any = None) -> Any:
        if partition_info is None:
            return value
        offsets = partition_info.var_offset
        return value[tuple(slice(o, o + int(n)) for o, n in zip(offsets, shape))]

    return init


def text_embedding_weights(seed: int = 0) -> np.ndarray:
    """The text module's embeddings, [len(VOCABULARY) + 1 OOV bucket, EMBEDDING_DIM]."""
    rng = np.random.default_rng(seed)
    return rng.normal(0, 0.5, (len(VOCABULARY) + 1, EMBEDDING_DIM)).astype(np.float32)


def build_text_embedding(out_dir: str | os.PathLike[str], seed: int = 0) -> Path:
    t = tf()
    v1 = t.compat.v1
    out = Path(out_dir)
    vocab_dir = Path(tempfile.mkdtemp(prefix="hub-vocab-"))
    vocab_file = vocab_dir / "tokens.txt"
    vocab_file.write_text("\n".join(VOCABULARY) + "\n")
    emb_value = text_embedding_weights(seed)

    def module_fn() -> None:
        table = v1.lookup.StaticVocabularyTable(vocabulary_init(vocab_file), num_oov_buckets=1)
        embeddings = v1.get_variable(
            "embeddings",
            emb_value.shape,
            initializer=const_init(emb_value),
            partitioner=v1.fixed_size_partitioner(2),
            use_resource=False,
        )
        v1.add_to_collection(
            v1.GraphKeys.REGULARIZATION_LOSSES,
            t.multiply(1e-3, t.add_n([t.nn.l2_loss(p) for p in embeddings]), name="l2"),
        )

        def embed(tokens: Any, combiner: str) -> Any:
            ids = v1.SparseTensor(tokens.indices, table.lookup(tokens.values), tokens.dense_shape)
            return v1.nn.embedding_lookup_sparse(
                embeddings, ids, None, partition_strategy="div", combiner=combiner
            )

        sentences = v1.placeholder(t.string, [None], name="sentences")
        # tensorflow/hub's examples/text_embeddings/export.py: punctuation out, split on spaces
        normalized = v1.regex_replace(sentences, r"\pP", "", name="normalize")
        words = v1.string_split(normalized, " ")
        hub = import_hub()
        hub.add_signature("default", sentences, embed(words, "sqrtn"))
        tokens = v1.sparse_placeholder(t.string, [None, None], name="tokens")
        hub.add_signature("tokens", {"tokens": tokens}, {"default": embed(tokens, "sqrtn")})

    try:
        return export_module(module_fn, out)
    finally:
        shutil.rmtree(vocab_dir, ignore_errors=True)


def image_weights(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    c = IMAGE_SHAPE[2]
    return {
        "conv/kernel": rng.normal(0, 0.4, (3, 3, c, FEATURES)).astype(np.float32),
        "bn/gamma": rng.uniform(0.5, 1.5, FEATURES).astype(np.float32),
        "bn/beta": rng.normal(0, 0.1, FEATURES).astype(np.float32),
        "bn/moving_mean": rng.normal(0, 0.2, FEATURES).astype(np.float32),
        "bn/moving_variance": rng.uniform(0.5, 1.5, FEATURES).astype(np.float32),
    }


def build_image_feature_vector(out_dir: str | os.PathLike[str], seed: int = 0) -> Path:
    t = tf()
    v1 = t.compat.v1
    w = image_weights(seed)

    def module_fn(is_training: bool) -> None:
        images = v1.placeholder(t.float32, [None, *IMAGE_SHAPE], name="images")

        def var(name: str, trainable: bool = True) -> Any:
            return v1.get_variable(
                name,
                w[name].shape,
                initializer=const_init(w[name]),
                trainable=trainable,
                use_resource=False,
            )

        kernel = var("conv/kernel")
        v1.add_to_collection(
            v1.GraphKeys.REGULARIZATION_LOSSES, t.multiply(1e-2, t.nn.l2_loss(kernel), name="l2")
        )
        x = t.nn.conv2d(images, kernel, strides=1, padding="SAME", name="conv/Conv2D")
        gamma, beta = var("bn/gamma"), var("bn/beta")
        mean_var = var("bn/moving_mean", trainable=False)
        var_var = var("bn/moving_variance", trainable=False)
        if is_training:
            mean, variance = t.nn.moments(x, [0, 1, 2], name="bn/moments")
            decay = 0.9
            with t.name_scope("bn/AssignMovingAvg"):
                upd_mean = v1.assign_sub(mean_var, (mean_var - mean) * (1 - decay))
                upd_var = v1.assign_sub(var_var, (var_var - variance) * (1 - decay))
            v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, upd_mean)
            v1.add_to_collection(v1.GraphKeys.UPDATE_OPS, upd_var)
        else:
            mean, variance = mean_var, var_var
        x = t.nn.batch_normalization(x, mean, variance, beta, gamma, 1e-3, name="bn/batchnorm")
        x = t.nn.relu(x, name="relu")
        features = t.reduce_mean(x, [1, 2], name="pool")
        import_hub().add_signature("default", {"images": images}, {"default": features})
        import_hub().add_signature(
            "image_feature_vector", {"images": images}, {"default": features, "feature_map": x}
        )

    return export_module(
        module_fn,
        Path(out_dir),
        tags_and_args=[(set(), {"is_training": False}), ({"train"}, {"is_training": True})],
    )
