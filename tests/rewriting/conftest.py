"""The real tf.compat.v1 fixtures of the rewrite tests, built once in one subprocess."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

BUILDER = Path(__file__).with_name("keras_fixtures.py")
FIXTURES = ("mlp", "cnn_bn_dropout", "lstm", "basic_lstm", "gru", "rnn", "lstm_lengths")


@pytest.fixture(scope="session")
def keras_fixtures(tmp_path_factory) -> Path:
    """Folder with one ``<name>/model.meta`` + checkpoint + ``expected.npz`` per FIXTURES."""
    if importlib.util.find_spec("tf_keras") is None:
        pytest.skip("tf_keras is not installed (pip install -e '.[dev]'): no tf.compat.v1.layers")
    out = tmp_path_factory.mktemp("keras_fixtures")
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, str(BUILDER), str(out), *FIXTURES], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return out
