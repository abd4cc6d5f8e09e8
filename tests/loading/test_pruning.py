"""Prune before rewrite and import: only what the outputs, restore and init need."""

from __future__ import annotations

import explorer
from explorer.loading.model import prune_for


def _ops(model):
    return {n.name: n.op for n in model.graph_def.node}


def test_training_ops_target_network_and_optimizer_slots_are_dropped(training_graphs):
    model = explorer.load(training_graphs["dqn"])
    pruned = prune_for(model, [(["eval_net/add_1:0"], ["s:0"])])
    ops = _ops(pruned)
    assert "eval_net/add_1" in ops and "s" in ops
    assert not [n for n in ops if n.startswith(("train/", "target_net/", "soft_replacement/"))]
    assert not [t for t in ops.values() if t.startswith("ApplyRMSProp")]
    # Restore restores only the kept variables (no RMSProp slots, no target network).
    restored = {n.input[0] for n in pruned.graph_def.node if n.name.startswith("save/Assign")}
    assert restored and all(v.startswith("eval_net/") and "RMSProp" not in v for v in restored)
    assert len(pruned.graph_def.node) < len(model.graph_def.node) / 2
    assert len(model.graph_def.node) == len(_ops(model))  # the model itself is unchanged


def test_a_fed_pipeline_output_becomes_a_placeholder_under_its_name(training_graphs):
    model = explorer.load(training_graphs["tfdata"])
    feeds = ["IteratorGetNext:0", "IteratorGetNext:2"]
    ops = _ops(prune_for(model, [(["probabilities:0"], feeds)]))
    assert ops["IteratorGetNext"] == "IdentityN"
    assert ops["IteratorGetNext/explorer_feed_2"] == "Placeholder"
    assert not [t for t in ops.values() if "Dataset" in t or t == "OneShotIterator"]


def test_stateful_signatures_keep_their_updates(shared_models):
    model = explorer.load(shared_models / "serving_counter")
    sig = model.signature("incr_counter")
    outs = [s.name for s in sig.outputs.values()]
    assert any(t.startswith("Assign") for t in _ops(prune_for(model, [(outs, [])])).values())
