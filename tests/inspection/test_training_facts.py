"""Facts a training graph states: losses, labels, trained variables, target nets, decoders."""

from __future__ import annotations

import explorer
from explorer.inspection.suggestions import _EXCLUDED_COLLECTIONS, GraphFacts, _excluded_ops


def _facts(path) -> GraphFacts:
    model = explorer.load(path)
    catalog = explorer.Catalog.from_model(model)
    names = {n.partition(":")[0] for k in _EXCLUDED_COLLECTIONS for n in model.collection(k)}
    return GraphFacts(catalog, _excluded_ops(catalog, names))


def test_gan_losses_are_the_ones_optimizers_minimize_and_tanh_is_generated(training_graphs):
    facts = _facts(training_graphs["gan"])
    assert len(facts.minimized) == 2 and all(n.startswith("Neg") for n in facts.minimized)
    assert set(facts.summarized_losses.values()) == {"D_loss", "G_loss"}
    weight, source = facts.generated["generator/Tanh"]
    assert weight == "discriminator/fc1/w" and source == "real_images"
    assert not facts.labels  # a GAN has no labels


def test_dqn_target_network_and_labels(training_graphs):
    facts = _facts(training_graphs["dqn"])
    assert facts.updates and all(v.startswith("eval_net/") for v in facts.updates)
    assert facts.target_network("target_net/add_1")
    assert not facts.target_network("eval_net/add_1")
    assert set(facts.labels) == {"r", "s_"}  # the StopGradient side of the SquaredDifference
    assert "eval_net/add_1" not in facts.feeds_a_layer and "eval_net/Relu" in facts.feeds_a_layer


def test_seq2seq_teacher_forcing_and_greedy_decoder(training_graphs):
    facts = _facts(training_graphs["seq2seq"])
    assert "targets" in facts.labels  # read by the loss and fed to the training decoder
    assert "targets" in facts.needs["logits"] and "targets" not in facts.needs["sample_ids"]
    assert "sample_ids" in facts.greedy and "logits" not in facts.greedy


def test_pipeline_outputs_are_sources_one_tensor_each(training_graphs):
    facts = _facts(training_graphs["tfdata"])
    assert {"IteratorGetNext:0", "IteratorGetNext:1", "IteratorGetNext:2"} <= facts.sources
    assert facts.labels.keys() == {"IteratorGetNext:1"}
    assert facts.deps["probabilities"] == {"IteratorGetNext:0", "IteratorGetNext:2"}


def test_shapes_only(shared_models):
    facts = _facts(shared_models.parent / "models" / "fije_neural_ibm1_ckpt")
    assert facts.shape_only("strided_slice") and not facts.shape_only("Softmax")
