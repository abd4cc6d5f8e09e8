"""Findings and the rule registry: JSON shape, registering a rule of one's own."""

from __future__ import annotations

import pytest

import explorer
from explorer.inspection.gate import scan
from explorer.inspection.scan_rules import RULES, Finding, Findings, rule
from tests.helpers import build_risky_graph


def test_findings_json_shape(risky):
    out = risky.to_json()
    assert list(out) == ["findings"]
    for item in out["findings"]:
        assert {"rule", "severity", "nodes", "message"} <= set(item)
    unreg = next(i for i in out["findings"] if i["rule"] == "unregistered-op")
    assert "replacement" not in unreg  # MySquare has no known replacement
    assert "2 errors" in risky.summary() and "2 errors" in repr(risky)


def test_custom_rule_registration(mlp_paths):
    @rule("Softmax", name="softmax-seen")
    def _softmax(ctx, nodes):
        yield Finding("softmax-seen", "info", tuple(n.name for n in nodes), "a softmax")

    try:
        found = scan(explorer.load(mlp_paths["frozen_pb"]), rules=["softmax-seen"])
        assert [f.nodes for f in found] == [("probs",)]
    finally:
        RULES.unregister("softmax-seen")
    with pytest.raises(ValueError, match="unknown scan rule softmax-seen: choose from"):
        scan(explorer.load(mlp_paths["frozen_pb"]), rules=["softmax-seen"])


@pytest.fixture(scope="module")
def risky(tmp_path_factory) -> Findings:
    return scan(build_risky_graph(tmp_path_factory.mktemp("risky")))
