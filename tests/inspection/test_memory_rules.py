"""The huge-tensor rule: constant shapes over the limit are refused before anything allocates."""

from __future__ import annotations

from explorer.inspection.gate import scan
from explorer.inspection.scan_rules import max_tensor_bytes
from tests.helpers import graph_model


def test_limit_follows_the_environment(monkeypatch):
    assert max_tensor_bytes() == 4 * 2**30
    monkeypatch.setenv("TF1_EXPLORER_MAX_TENSOR_MB", "1")
    assert max_tensor_bytes() == 2**20


def test_splat_const_and_broadcast_over_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("TF1_EXPLORER_MAX_TENSOR_MB", "1")

    def build(tf):
        tf.constant(0.0, shape=[1024, 1024], name="splat")  # one value, 4 MiB once filled
        tf.broadcast_to(1.0, [512, 512], name="wide")  # 1 MiB: at the limit, allowed
        tf.constant([1.0, 2.0], name="small")

    found = {f.nodes[0]: f.message for f in scan(graph_model(tmp_path, build), ["huge-tensor"])}
    assert list(found) == ["splat"] and "allocate 4.0 MiB in Const 'splat'" in found["splat"]
