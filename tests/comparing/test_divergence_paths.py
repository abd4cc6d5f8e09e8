"""First divergence fetches only tensors on the path to the outputs (issue 25): a frozen batch
norm's unread statistics are never fetched (the runtime may rewrite the op under its name), and
a Const waiting on a while loop's Merge counts as inside the loop's frame."""

from __future__ import annotations

import pytest

from tests.contracts.hostile_models import v1_control_flow


def _frozen(tmp_path, name, body):
    """A frozen GraphDef ``out = body(x)``, ``x`` float [1, 4, 4, 2], written and loaded."""
    import numpy as np

    from explorer import load
    from explorer._tf import tf

    v1 = tf().compat.v1
    g = tf().Graph()
    with g.as_default():
        x = v1.placeholder(tf().float32, [1, 4, 4, 2], name="x")
        tf().identity(body(v1, x, np.random.default_rng(0)), name="out")
    path = tmp_path / f"{name}.pb"
    path.write_bytes(g.as_graph_def().SerializeToString())
    return load(path)


def _conv_bn(v1, x, rng):
    w = v1.constant(rng.standard_normal((3, 3, 2, 3)).astype("float32"))
    h = v1.nn.conv2d(x, w, [1, 1, 1, 1], "SAME")
    stats = [v1.constant(rng.uniform(0.5, 1.5, 3).astype("float32")) for _ in range(4)]
    y, _, _ = v1.nn.fused_batch_norm(h, *stats, is_training=False, name="bn")
    return y


def _while(v1, x, rng):
    return v1.while_loop(lambda i, h: i < 3, lambda i, h: (i + 1, h * 2.0), [0, x])[1]


def _divergence(model):
    from explorer import convert, first_divergence, parity
    from explorer.running.v1_runner import V1Runner

    v2 = convert(model, inputs=["x:0"], outputs=["out:0"])
    summary = parity(model, v2, inputs=["x:0"], outputs=["out:0"])
    assert summary.passed, summary.verdict
    feeds = V1Runner(model, inputs=["x:0"], outputs=["out:0"]).sample(batch=1, seed=0)
    return first_divergence(model, v2, feeds, inputs=["x:0"], outputs=["out:0"])


def test_a_batch_norms_unread_statistics_are_not_fetched(tmp_path):
    model = _frozen(tmp_path, "conv_bn", _conv_bn)
    bn = next(n.name for n in model.graph_def.node if n.op == "FusedBatchNormV3")
    # six outputs registered, one read: the statistics are not on the path
    div = _divergence(model)
    compared = {s.tensor for s in div.steps}
    assert f"{bn}:0" in compared and "out:0" in compared and div.status == "passed"
    assert not any(t.startswith(f"{bn}:") and t != f"{bn}:0" for t in compared), compared


@pytest.fixture(scope="module")
def while_model(tmp_path_factory):
    with v1_control_flow():
        return _frozen(tmp_path_factory.mktemp("while"), "while", _while)


def test_a_const_waiting_on_a_loop_merge_is_inside_the_frame(while_model):
    from explorer.graph.index import control_flow_region

    gd = while_model.graph_def
    waiting = [
        n.name
        for n in gd.node
        if n.op == "Const"
        and list(n.input)
        and all(i.startswith("^") for i in n.input)
        and any("Merge" in i for i in n.input)
    ]
    assert waiting, "the loop's cond holds a Const with a control edge from Merge"
    region = control_flow_region(gd)
    assert set(waiting) <= region
    assert "out" not in region and "x" not in region  # outside the loop: after Exit, before Enter


def test_first_divergence_runs_past_a_while_loop(while_model):
    from explorer.graph.index import control_flow_region
    from explorer.graph.names import op_name

    div = _divergence(while_model)
    compared = {op_name(s.tensor) for s in div.steps}
    assert "out" in compared and div.status == "passed", div.verdict
    assert not compared & control_flow_region(while_model.graph_def)  # the frame is not fetched


def test_a_failed_fetch_after_parity_passed_is_first_divergences_own(tmp_path):
    """A v1 run that fails where parity ran the outputs (an op of the path pinned to a device
    that is not here, judged by parity on the unpinned graph): first divergence's failure, one
    line naming the op, no advice that the graph is at fault."""
    from explorer import convert, first_divergence, load, parity
    from explorer.errors import ParityError
    from explorer.running.v1_runner import V1Runner

    model = _frozen(tmp_path, "conv_bn", _conv_bn)
    io = {"inputs": ["x:0"], "outputs": ["out:0"]}
    v2, feeds = convert(model, **io), V1Runner(model, **io).sample(batch=1, seed=0)
    judged = parity(model, v2, **io)["serving_default"]
    gd = type(model.graph_def)()
    gd.CopyFrom(model.graph_def)
    bn = next(n for n in gd.node if n.op == "FusedBatchNormV3")
    bn.device = "/job:nowhere/task:3/device:CPU:0"
    (tmp_path / "pinned.pb").write_bytes(gd.SerializeToString())
    with pytest.raises(ParityError, match="^first divergence could not fetch its") as e:
        first_divergence(load(tmp_path / "pinned.pb"), v2, feeds, judged=judged, **io)
    text = str(e.value)
    assert "\n" not in text and bn.name in text and "at fault" not in text, text
