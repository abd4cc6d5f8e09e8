"""Training graphs rank their inference head first, each candidate with its reason.

Fixtures are tf.compat.v1 training checkpoints of one pattern each (``explorer.examples.
training_graphs``); the shared real checkpoints are checked against their MANIFEST I/O.
"""

from __future__ import annotations

import pytest

import explorer
from explorer.inspection.suggestions import OUTPUT_RULES, Verdict, output_rule
from tests.shared_models import params


def _suggest(path):
    return explorer.suggest(explorer.load(path), limit=50)


def _out(choice, name):
    return next(c for c in choice.outputs if c.name == name)


def _in(choice, name):
    return next(c for c in choice.inputs if c.name == name)


def test_gan_generator_image_over_discriminator_and_losses(training_graphs):
    choice = _suggest(training_graphs["gan"])
    top = choice.outputs[0]
    assert top.name == "generator/Tanh:0" and not top.concerns
    assert "generator output" in top.reason and "real_images:0" in top.reason
    assert choice.inputs[0].name == "noise:0" and "must be fed" in choice.inputs[0].reason
    # The losses are graph sinks, but the optimizer minimizes them: never above the head.
    losses = [c for c in choice.outputs if "optimizer minimizes" in c.reason]
    assert len(losses) == 2 and all(c.score < top.score - 5 and c.concerns for c in losses)


def test_dqn_evaluation_network_over_target_network_and_action_gather(training_graphs):
    choice = _suggest(training_graphs["dqn"])
    assert choice.outputs[0].name == "eval_net/add_1:0"
    assert "last layer" in choice.outputs[0].reason
    target = _out(choice, "target_net/add_1:0")
    assert target.concerns and "reads as labels" in target.reason
    gather = _out(choice, "q_eval/GatherNd:0")
    assert "needs a beyond eval_net/add_1" in gather.reason and gather.concerns
    assert choice.inputs[0].name == "s:0"
    for label in ("s_:0", "r:0", "a:0"):  # training inputs: not "must be fed"
        assert "must be fed" not in _in(choice, label).reason


def test_seq2seq_greedy_decoder_over_teacher_forced_training_decoder(training_graphs):
    choice = _suggest(training_graphs["seq2seq"])
    top = choice.outputs[0]
    assert top.name == "sample_ids:0" and "greedy decoder" in top.reason
    logits = _out(choice, "logits:0")
    assert "needs targets" in logits.reason and logits.concerns
    assert choice.inputs[0].name == "source_ids:0"
    assert "read as labels" in _in(choice, "targets:0").reason
    lr = _in(choice, "learning_rate:0")
    assert "only training ops read it" in lr.reason and "must be fed" not in lr.reason


def test_add_logits_classifier(training_graphs):
    choice = _suggest(training_graphs["add_logits"])
    assert choice.outputs[0].name == "add:0"
    assert "logits" in choice.outputs[0].reason and "loss reads" in choice.outputs[0].reason
    assert _out(choice, "ArgMax:0").score < choice.outputs[0].score
    labels = _in(choice, "Placeholder_1:0")
    assert "feeds no suggested output" in labels.reason and "must be fed" not in labels.reason


@pytest.mark.parametrize("name", ["tfdata", "queue"])
def test_pipeline_outputs_are_the_inputs_with_feature_names(training_graphs, name):
    choice = _suggest(training_graphs[name])
    assert choice.outputs[0].name == "probabilities:0" and not choice.outputs[0].concerns
    features = {c.default: c for c in choice.inputs if c.kind == "pipeline"}
    assert set(features) == {"pixels", "age", "label"}
    assert all("must be fed" in features[f].reason for f in ("pixels", "age"))
    assert "read as labels" in features["label"].reason
    assert features["label"].score < min(features["pixels"].score, features["age"].score)


def test_output_rules_are_registered_and_extensible():
    names = {e.name for e in OUTPUT_RULES.entries()}
    assert {"generator", "greedy-decoder", "logits-head", "needs-labels", "loss"} <= names

    @output_rule("Tanh", name="test-tanh-bonus")
    def _bonus(ctx, op):
        return Verdict(0.25, "a test bonus")

    try:
        assert OUTPUT_RULES.entry("test-tanh-bonus").op_types == frozenset({"Tanh"})
        with pytest.raises(ValueError, match="already registered"):
            output_rule(name="test-tanh-bonus")(_bonus)
    finally:
        OUTPUT_RULES.unregister("test-tanh-bonus")


# -- the shared real checkpoints: the MANIFEST's I/O first -------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("shared", params(lambda m: m.ranks_first and not m.signatures))
def test_shared_checkpoints_rank_the_manifest_io_first(shared):
    ins, outs = shared.ranks_first
    choice = _suggest(shared.path)
    assert {c.name for c in choice.outputs[: len(outs)]} == set(outs), choice.outputs[:4]
    assert {c.name for c in choice.inputs[: len(ins)]} == set(ins), choice.inputs[:6]
    top = choice.outputs[0]
    assert not top.concerns and "loss" not in top.reason
