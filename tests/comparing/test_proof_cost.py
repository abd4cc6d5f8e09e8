"""What streaming parity costs in v1 runs (issue 26: at most three v1 inferences per example
proven), counted by parity itself; its verdicts stay as they were; ``then`` gets live runners."""

from __future__ import annotations

import numpy as np
import pytest

import explorer
from explorer.comparing.latency import latency_table

N, BATCH = 40, 8  # five batches
IO = {"inputs": ["x:0"], "outputs": ["y:0"]}


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    """y = x + 1, y = x + 1.5 (a wrong conversion of it) and y = x + random_uniform."""
    from explorer._tf import tf

    v1, root = tf().compat.v1, tmp_path_factory.mktemp("cost")
    out = {}
    for name, extra in (("plus", 1.0), ("wrong", 1.5), ("noisy", None)):
        g = tf().Graph()
        with g.as_default():
            x = v1.placeholder(tf().float32, [None, 3], name="x")
            noise = v1.random_uniform(tf().shape(x)) if extra is None else extra
            tf().add(x, noise, name="y")
        (root / f"{name}.pb").write_bytes(g.as_graph_def().SerializeToString())
        out[name] = explorer.load(root / f"{name}.pb")
    return out


def _parity(model, v2, **kw):
    source = explorer.data(
        {"x:0": np.arange(N * 3, dtype=np.float32).reshape(N, 3)}, batch_size=BATCH
    )
    return explorer.parity(model, v2, source=source, **IO, **kw)["serving_default"]


def test_v1_runs_per_example_proven(graphs):
    plus, noisy = graphs["plus"], graphs["noisy"]
    batches = N // BATCH
    rep = _parity(plus, explorer.convert(plus, **IO))
    # the self-check on the first batch only: v2 agrees on every batch
    assert rep.passed and rep.data["v1_runs"] == batches + 1
    assert rep.data["v1_runs_per_example"] == (N + BATCH) / N <= 3
    # v2 differs on every batch: v1 checked again on each, failed (not nondeterministic)
    rep = _parity(plus, explorer.convert(graphs["wrong"], **IO))
    assert rep.failed and not rep.nondeterministic and rep.data["v1_runs"] == 2 * batches
    # v1 disagrees with itself on the first batch: nondeterministic, not checked again
    v2 = explorer.convert(noisy, **IO)
    rep = _parity(noisy, v2)
    assert rep.status == "nondeterministic" and "random_uniform" in " ".join(rep.random_ops)
    assert rep.data["v1_runs"] == batches + 1 and rep.data["examples"] == N
    # remedied: the first stream stops at that batch; the seeded copy runs in two sessions
    rep = _parity(noisy, v2, remedy=True)
    assert rep.passed and "seeded" in rep.remedy and rep.data["examples"] == N
    assert rep.data["v1_runs"] == 2 + 2 * batches
    assert rep.data["v1_runs_per_example"] == (2 * BATCH + 2 * N) / N <= 3


def test_then_gets_the_first_targets_runners_still_started(graphs):
    plus = graphs["plus"]
    seen = {}

    def then(r1, r2):
        assert r1.is_active and r2.is_active
        feeds = {1: r1.sample(1, 0)}
        seen["table"] = latency_table({"v1": r1, "v2": r2}, feeds, rounds=(2, 3), seconds=0.01)
        seen["active"] = r1.is_active and r2.is_active  # timed as they were: not stopped
        seen["runners"] = (r1, r2)

    summary = explorer.parity(plus, explorer.convert(plus, **IO), **IO, then=then)
    assert summary.passed and seen["active"]
    assert set(seen["table"]["artifacts"]) == {"v1", "v2"} and seen["table"]["serve"]
    assert not any(r.is_active for r in seen["runners"])  # parity stopped them after
