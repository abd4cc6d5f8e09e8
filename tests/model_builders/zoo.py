"""A zoo of small but realistic TF1 models, for tests and demos of classes of TF1 problems.

Each model stands for a kind of artifact met in the wild, not for one file:

* ``cond_while``: ``tf.compat.v1.cond`` and ``while_loop`` built with v1 control flow
  (``Switch``/``Merge``/``Enter``/``Exit``/``NextIteration``), reference variables,
  a ``PlaceholderWithDefault`` loop count; SavedModelBuilder.
* ``cond_update``: reference variables updated inside v1 control flow (``RefSwitch``,
  ``RefEnter``): ``tf.contrib.layers.batch_norm``-style moving averages assigned in the training
  branch of a ``cond`` (``updates_collections=None``), and a call counter ``assign_add``-ed in a
  ``while_loop`` body, read back as an output (a stateful signature); SavedModelBuilder.
* ``rnn_lstm``: ``tf.compat.v1.nn.bidirectional_dynamic_rnn`` (``LSTMCell`` forward, ``GRUCell``
  backward) with a sequence-length input (v1 while loops, ``TensorArray``, ``ReverseSequence``),
  a ``tf.compat.v1.layers.dense`` head; SavedModelBuilder.
* ``cnn_bn_checkpoint``: ``tf.compat.v1.layers`` conv + batch norm behind an ``is_training``
  switch + dropout behind a ``keep_prob`` switch, trained two Adam steps (optimizer slots and
  ``UPDATE_OPS`` in the graph), saved as ``.meta`` + checkpoint by the training script's Saver.
* ``cnn_bn_frozen``: the same network frozen into a ``.pb`` (``convert_variables_to_constants``).
* ``mnist_tutorial``: the TF1 "Deep MNIST for experts" pattern: ``keep_prob`` a plain
  ``tf.placeholder(tf.float32)`` of unknown shape (no default), one-hot labels ``y_``, conv
  layers from ``tf.nn`` with ``tf.Variable``, an Adam ``train_step``; ``.meta`` + checkpoint
  (``Saver`` with ``max_to_keep``, two global steps saved).
* ``partitioned``: variables split with ``fixed_size_partitioner`` and placed on two parameter
  servers by ``replica_device_setter`` (``/job:ps/task:N`` pins), an embedding lookup over the
  parts, a sharded Saver: checkpoint keys (``emb``) differ from variable ops (``emb/part_0``).
* ``legacy_parse_example``: a TF 1.0-era export: GraphDef producer 21, a ``{}``-shaped string
  placeholder feeding the v1 ``ParseExample`` op (keys as ``Const`` inputs, shapes as attrs),
  signature TensorInfos without ``tensor_shape``, a v1 ``HashTable`` (``string_ref`` handle) over
  an asset vocabulary set up by a ``legacy_init_op``; classify/regress/predict signatures.
* ``mixed_dtypes``: int64 and string inputs, string/int64/float outputs; ids index a 5-row
  embedding (``embedding_lookup``), tokens are looked up in an asset vocabulary with an OOV
  bucket, class ids mapped back to labels with ``index_to_string_table_from_file``; tables set up
  by a ``legacy_init_op``.
* ``feature_columns``: an Estimator-style export built with ``tf.compat.v1.feature_column``: a
  serialized ``tf.Example`` input parsed with the columns' spec (``ParseExampleV2``), an
  identity-categorical column (7 buckets, var-len int64, one-hot), a bucketized and a numeric
  column, ``input_layer`` into a linear head; SavedModelBuilder with a ``regress`` signature too.
* ``gpu_pinned``: every node (Saver included) pinned to ``/device:GPU:0``, ``.meta`` + checkpoint.

Building them needs TF1 global state (control flow v1, reference variables, ``tf_keras`` for
``tf.compat.v1.layers``), so :func:`build_zoo` builds in a separate Python process with
``TF_USE_LEGACY_KERAS=1``; the calling process keeps Keras 3 and TF2 behaviour. The builders live
in ``tests/model_builders/zoo_builders.py`` and run in that child only. Importing this module has no
side effects.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.model_builders.child import build_in_child
from tests.model_builders.zoo_builders import BUILDERS

ZOO_MODELS = tuple(BUILDERS)  # the zoo model names, in the order they are built


def build_zoo(
    root: str | os.PathLike[str],
    names: Sequence[str] | None = None,
    timeout: float = 600.0,
) -> dict[str, Path]:
    """Build zoo models under ``root`` (one sub-folder each) in one child Python process.

    Args:
        root: an existing or new folder; each model goes to ``root/<name>``, which must not exist.
        names: which models (default: all of :data:`ZOO_MODELS`).
        timeout: seconds the child process may take.

    Returns:
        name -> the path to give ``explorer.load`` (SavedModel folder, ``.meta`` or ``.pb`` file).

    Raises:
        ValueError: an unknown model name.
        ExplorerError: the child process failed (its last stderr line is in the message).
    """
    names = list(names or ZOO_MODELS)
    unknown = [n for n in names if n not in ZOO_MODELS]
    if unknown:
        raise ValueError(f"unknown zoo models {unknown}: choose from {', '.join(ZOO_MODELS)}")
    root = Path(root).resolve()
    root.mkdir(parents=True, exist_ok=True)
    return build_in_child(
        "tests.model_builders.zoo", root, names, "zoo models", timeout, {"TF_USE_LEGACY_KERAS": "1"}
    )


def _main(argv: list[str]) -> int:
    """Child-process entry: ``python -m tests.model_builders.zoo ROOT NAME...``.

    Prints a JSON object, name -> path."""
    import tensorflow as tf

    tf.compat.v1.disable_control_flow_v2()
    tf.compat.v1.disable_resource_variables()
    root = Path(argv[0])
    paths = {}
    for name in argv[1:]:
        paths[name] = str(BUILDERS[name](root / name))
    print(json.dumps(paths))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
