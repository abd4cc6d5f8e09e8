"""The admission gate: each step judged once per model and scope, refusals kept and one line."""

from __future__ import annotations

from collections import Counter

import pytest

import explorer
from explorer.cli import main
from explorer.inspection import gate
from explorer.loading import isolation
from tests.inspection.test_scanner import build_risky_graph


@pytest.fixture
def counted(monkeypatch):
    """Counts of the gate's safety scans (by scope and allow_unsafe) and preflights (by
    restore/initialize); the real steps still run."""
    calls: dict[str, Counter] = {"safe": Counter(), "preflight": Counter()}
    safe, preflight = gate.require_safe, isolation.preflight

    def count_safe(model, allow_unsafe=False, scope=None):
        calls["safe"][(scope, allow_unsafe)] += 1
        return safe(model, allow_unsafe, scope)

    def count_preflight(model, **kwargs):
        calls["preflight"][(kwargs["restore"], kwargs["initialize"])] += 1
        return preflight(model, **kwargs)

    monkeypatch.setattr(gate, "require_safe", count_safe)
    monkeypatch.setattr(isolation, "preflight", count_preflight)
    return calls


def test_convert_and_parity_admit_each_scope_once(mlp_paths, counted):
    model = explorer.load(mlp_paths["saved_model"])
    v2 = explorer.convert(model)
    assert explorer.parity(model, v2, source=explorer.Sampled(batches=2, seed=0)).passed
    assert explorer.parity(model, v2, source=explorer.Sampled(batches=1, seed=1)).passed  # again
    scopes = [scope for scope, _ in counted["safe"]]
    assert len(scopes) == 2  # the converted signatures, then serving_default's run
    assert set(counted["safe"].values()) == {1}
    assert counted["preflight"] == Counter({(True, True): 1})


def test_migrate_admits_each_scope_once(mlp_paths, counted, tmp_path, capsys):
    assert main(["migrate", str(mlp_paths["saved_model"]), str(tmp_path / "out"), "--json"]) == 0
    capsys.readouterr()
    assert set(counted["safe"].values()) == {1}  # import check, conversion, each signature run
    assert set(counted["preflight"].values()) == {1}


def test_a_refusal_is_kept_and_stays_one_line(tmp_path, counted):
    model = explorer.load(build_risky_graph(tmp_path, unregistered=False))
    errors = []
    for _ in range(2):
        with pytest.raises(explorer.errors.UnsafeModelError) as e:
            explorer.ModelSession(model)
        errors.append(str(e.value))
    assert errors[0] == errors[1] and "\n" not in errors[0] and "allow_unsafe=True" in errors[0]
    assert list(counted["safe"].values()) == [1] and not counted["preflight"]
    with explorer.ModelSession(model, allow_unsafe=True) as s:  # another verdict: trusted
        assert s.tensor("out:0") is not None


def test_unregistered_ops_are_refused_once_in_one_line(tmp_path, counted):
    model = explorer.load(build_risky_graph(tmp_path))
    for _ in range(2):
        with pytest.raises(explorer.errors.UnsupportedOpError) as e:
            explorer.convert(model, allow_unsafe=True)
        assert "\n" not in str(e.value) and "MySquare" in str(e.value)
    assert not counted["safe"] and not counted["preflight"]  # refused before the scan
    assert model.memo[("gate", "registered")] is not None
