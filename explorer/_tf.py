"""Lazy access to TensorFlow: the first call imports it, quietly."""

from __future__ import annotations

import os
from types import ModuleType


def tf() -> ModuleType:
    """Return the ``tensorflow`` module, importing it on first use with C++ logs quieted."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow

    return tensorflow


def tf1() -> ModuleType:
    """Return ``tf.compat.v1``."""
    return tf().compat.v1
