"""``first_divergence`` on the same run as parity (issue 25): never agreement where parity did not
pass, and graphs whose ops were rewritten under their old names (batch norms folded into ``Add``
ops that keep ``FusedBatchNorm`` names and stale 5-entry ``_output_shapes``)."""

from __future__ import annotations

import pytest

from explorer.errors import ParityError
from tests.model_builders.verdicts import build_verdicts

FOLDED = "block1/BatchNorm/FusedBatchNorm"
RANDOM_OP = "dropout/random_uniform/RandomUniform"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """name -> (V1Model, its V2Model, one sampled batch of feeds)."""
    from explorer import convert, load
    from explorer.running.v1_runner import V1Runner

    out = {}
    for name, path in build_verdicts(tmp_path_factory.mktemp("verdicts")).items():
        model = load(path)
        out[name] = (model, convert(model), V1Runner(model).sample(batch=1, seed=0))
    return out


def _edited(model, tmp_path, edit):
    """A copy of a frozen ``model`` with ``edit(node)`` applied to every node, loaded."""
    from explorer import load

    gd = type(model.graph_def)()
    gd.CopyFrom(model.graph_def)
    for node in gd.node:
        edit(node)
    path = tmp_path / "edited.pb"
    path.write_bytes(gd.SerializeToString())
    return load(path)


def test_the_folded_graph_keeps_stale_attributes(models):
    model, _, _ = models["folded_bn"]
    node = next(n for n in model.graph_def.node if n.name == FOLDED)
    assert node.op == "Add" and len(node.attr["_output_shapes"].list.shape) == 5


def test_a_folded_batch_norm_graph_is_searched_with_registered_output_counts(models):
    from explorer import first_divergence, parity

    model, v2, feeds = models["folded_bn"]
    summary = parity(model, v2)
    assert summary.passed
    div = first_divergence(model, v2, feeds, judged=summary["serving_default"])
    assert not div and div.status == "passed" and div.verdict == "no divergence found"
    by_tensor = {s.tensor: s for s in div.steps}
    assert by_tensor[f"{FOLDED}:0"].op_type == "Add" and by_tensor[f"{FOLDED}:0"].passed
    assert f"{FOLDED}:1" not in by_tensor  # one output, as Add is registered, not five
    assert by_tensor["logits:0"].passed and div.skipped == {}


def test_a_changed_folded_op_is_named_the_first_divergence(models):
    from explorer import first_divergence
    from explorer.comparing.divergence import v2_graph_def

    model, v2, feeds = models["folded_bn"]
    gd = v2_graph_def(v2)
    for node in gd.node:
        if node.name == FOLDED:
            node.op = "Sub"
    div = first_divergence(model, gd, feeds)
    assert div and div.op == FOLDED and div.step.op_type == "Add"
    assert all(s.passed for s in div.steps[: div.index])
    assert set(div.inputs) == {"block1/Conv2D:0", f"{FOLDED}/folded_offset:0"}
    assert div.inputs["block1/Conv2D:0"] == 0.0


def test_dropout_is_never_called_agreement(models):
    """Parity judged the output nondeterministic: first divergence skips it with parity's reason
    (the random op named), alone too (its own v1 self-check), and says so in its verdict."""
    from explorer import first_divergence, parity

    model, v2, feeds = models["dropout_ckpt"]
    report = parity(model, v2)["serving_default"]
    assert report.status == "nondeterministic"
    assert report.random_ops == ["dropout/random_uniform/RandomUniform"]
    div = first_divergence(model, v2, feeds, judged=report)
    assert not div and div.status == "nondeterministic" and div.outputs_skipped == ["probs:0"]
    assert div.skipped["probs:0"].startswith("parity: v1 disagrees with itself")
    assert "dropout/random_uniform/RandomUniform" in div.skipped["probs:0"]
    said = "no divergence among the compared tensors; not judged: 1 output (see below)"
    assert div.verdict == said
    alone = first_divergence(model, v2, feeds)
    assert alone.status == "nondeterministic" and alone.runs["v1"] == 2
    why = f"v1 differs from itself here or upstream (random ops: {RANDOM_OP})"
    assert alone.skipped["dropout/SelectV2:0"] == alone.skipped["probs:0"] == why
    assert "fc1/Relu:0" in {s.tensor for s in alone.steps}  # upstream of dropout: judged
    remedied = parity(model, v2, remedy=True)
    assert (
        remedied.passed
        and "seeded dropout/random_uniform/RandomUniform" in remedied["serving_default"].remedy
    )


def test_an_output_parity_failed_is_never_called_agreement(models, tmp_path):
    """A failed parity report of the same outputs (here: against a conversion with the folded
    ``Add`` made a ``Sub``) and a batch on which the given v2 agrees: not agreement."""
    from explorer import convert, first_divergence, parity

    model, v2, feeds = models["folded_bn"]
    bad = _edited(model, tmp_path, lambda n: setattr(n, "op", "Sub") if n.name == FOLDED else 0)
    failed = parity(model, convert(bad))["serving_default"]
    assert failed.status == "failed" and "elements differ" in failed.outputs["logits:0"].reason
    div = first_divergence(model, v2, feeds, judged=failed)
    assert not div and div.status == "failed" and div.outputs_skipped == ["logits:0"]
    assert div.outputs_failed == ["logits:0"] and div.to_json()["status"] == "failed"
    assert div.skipped["logits:0"].startswith("parity failed it (")
    assert div.verdict.endswith("; not judged: 1 output (see below)") and "\n" not in div.verdict


def test_run_errors_give_advice_that_fits_them(models, tmp_path):
    """A graph error (an op pinned to a device that is not here: no op ran) and a broken v2 graph
    name their cause, with no advice about feed shapes or ranges."""
    import numpy as np
    from tensorflow.python.framework import tensor_util

    from explorer import first_divergence
    from explorer.comparing.divergence import v2_graph_def
    from explorer.errors import SessionError

    model, v2, feeds = models["folded_bn"]
    gd = v2_graph_def(v2)
    for node in gd.node:
        if node.name == "logits/reduction_indices":  # axes the image has not
            proto = tensor_util.make_tensor_proto(np.array([7, 9], np.int32))
            node.attr["value"].tensor.CopyFrom(proto)
    with pytest.raises(ParityError, match="the v2 [Gg]raph.* first_divergence") as e:
        first_divergence(model, gd, feeds)
    assert "--shape" not in str(e.value) and "shapes=" not in str(e.value)

    def pin(node):
        node.device = "/job:nowhere/task:3/device:CPU:0" if node.name == FOLDED else node.device

    pinned = _edited(model, tmp_path, pin)
    with pytest.raises(SessionError, match="Cannot assign a device") as e:
        first_divergence(pinned, v2, feeds)
    assert "the graph itself is at fault, not the feeds" in str(e.value)
    assert "--shape" not in str(e.value) and "--range" not in str(e.value)
