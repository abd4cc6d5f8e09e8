"""The numerics environment: what on this machine can change the numbers parity reports."""

from __future__ import annotations

import json

from explorer.reporting import html as report


def test_numerics_environment_records_what_changes_numbers(monkeypatch):
    import tensorflow as tf

    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    env = report.numerics_environment()
    assert env["tensorflow"] == tf.__version__
    assert env["TF_ENABLE_ONEDNN_OPTS"] == "0" and env["onednn"] is False
    assert isinstance(env["op_determinism"], bool)
    assert env["intra_op_threads"] >= 0 and env["inter_op_threads"] >= 0
    assert "CPU:0" in env["devices"]
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS")
    assert report.numerics_environment()["TF_ENABLE_ONEDNN_OPTS"] == "unset"
    json.dumps(env)  # JSON-ready
