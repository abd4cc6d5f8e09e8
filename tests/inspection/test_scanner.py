"""scan: every shipped rule on small TF1 graphs, the real models, require_safe and ModelSession."""

from __future__ import annotations

import pytest

import explorer
from explorer.errors import UnsafeModelError
from explorer.inspection.gate import require_safe, scan
from explorer.inspection.scan_rules import Findings
from tests.conftest import shared_model
from tests.helpers import build_risky_graph
from tests.shared_models import params


@pytest.fixture(scope="module")
def risky(tmp_path_factory) -> Findings:
    return scan(build_risky_graph(tmp_path_factory.mktemp("risky")), scope=None)  # whole graph


def test_every_risk_is_found(risky):
    assert {
        "unregistered-op",
        "py-func",
        "file-system",
        "stateful-random",
        "v1-control-flow",
        "queue",
    } <= {f.rule for f in risky}
    (unreg,) = risky.by_rule("unregistered-op")
    assert unreg.severity == "error" and unreg.nodes == ("square",)
    assert "MySquare" in unreg.message and "replacements={'MySquare': fn}" in unreg.message
    (py,) = risky.by_rule("py-func")
    assert py.severity == "error" and py.unsafe and py.nodes == ("py",)
    fs = risky.by_rule("file-system")  # one finding per door, naming its path
    assert {n for f in fs for n in f.nodes} == {"read", "write", "RestoreV2", "log"}
    assert all(f.unsafe and len(f.nodes) == 1 for f in fs)
    (cf,) = risky.by_rule("v1-control-flow")
    assert {"branch", "Merge"} <= set(cf.nodes) and "Switch×1" in cf.message
    (rnd,) = risky.by_rule("stateful-random")
    assert rnd.severity == "warning" and rnd.nodes == ("noise/RandomUniform",)
    assert "1 unseeded" in rnd.message
    (q,) = risky.by_rule("queue")
    assert "dequeue:0" in q.message and set(q.nodes) == {"q", "dequeue"}
    assert [f.severity for f in risky] == sorted(
        (f.severity for f in risky), key=("error", "warning", "info").index
    )
    assert {f.rule for f in risky.unsafe} == {"py-func", "file-system"}


def test_require_safe_and_model_session(tmp_path):
    model = explorer.load(build_risky_graph(tmp_path, unregistered=False))
    with pytest.raises(UnsafeModelError, match=r"risky\.pb holds ops that .*allow_unsafe=True"):
        require_safe(model)
    require_safe(model, allow_unsafe=True)
    with pytest.raises(
        UnsafeModelError,
        match=r"call Python functions.*read /etc/hostname \(outside the model folder\)",
    ):
        explorer.ModelSession(model)


@pytest.mark.slow
def test_real_models_ref_variable_and_gpu_pins():
    (ref,) = scan(shared_model("serving_counter")).by_rule("ref-variable")
    assert ref.nodes == ("counter",) and "float_ref" in ref.message
    from explorer.graph.runtime import device_types

    gpu_here = "GPU" in device_types()
    pins = scan(shared_model("serving_half_plus_two_gpu")).by_rule("device-pin")
    gpu = next(f for f in pins if "/device:GPU:0" in f.message)
    assert gpu.severity == ("info" if gpu_here else "warning") and "a" in gpu.nodes
    assert len(gpu.nodes) == 29
    cpu = scan(shared_model("serving_half_plus_two")).by_rule("device-pin")
    assert [f.severity for f in cpu] == ["info"] and "present here" in cpu[0].message


@pytest.mark.slow
@pytest.mark.parametrize("shared", params(lambda m: m.runs))
def test_real_models_are_safe(shared):
    """No real model holds unsafe ops: their save/restore ops (including TF2 checkpoint functions
    in the tfx exports) belong to the checkpoint."""
    model = explorer.load(shared.path)
    findings = scan(model)
    assert not findings.unsafe and not findings.errors
    require_safe(model)


def test_unsafe_ops_off_the_path_are_info_on_it_they_block(tmp_path, training_graphs):
    """A file read nothing the outputs need does not block, and scan says it is not run; the
    same read on the path still blocks. A tf.data checkpoint's readers are cut by its feeds."""
    from explorer._tf import tf
    from explorer.inspection.gate import require_safe
    from explorer.loading.model import model_run_scope

    v1 = tf().compat.v1
    g = tf().Graph()
    with g.as_default():
        x = v1.placeholder(tf().float32, [None, 2], name="x")
        tf().identity(tf().tanh(x * 2.0), name="probs")
        tf().io.read_file("/etc/hostname", name="elsewhere/read")
    (tmp_path / "m.pb").write_bytes(g.as_graph_def().SerializeToString())
    model = explorer.load(tmp_path / "m.pb")
    findings = scan(model)  # default scope: the top suggestion and the inputs it needs
    assert not findings.unsafe
    (fs,) = findings.by_rule("file-system")
    assert fs.severity == "info" and fs.message.startswith("not run for probs:0")
    require_safe(model, scope=model_run_scope(model, ["probs:0"], ["x:0"]))
    with pytest.raises(explorer.errors.UnsafeModelError, match="on the path of the chosen outputs"):
        require_safe(model, scope=model_run_scope(model, ["elsewhere/read:0"]))
    assert scan(model, scope=None).unsafe  # judged on the whole graph
    pipeline = explorer.load(training_graphs["tfdata"])
    with explorer.V1Runner(pipeline) as r:  # fed IteratorGetNext outputs: no reader runs
        assert r.input_specs.keys() == {"IteratorGetNext:0", "IteratorGetNext:2"}
        assert r.infer(r.sample(batch=2))["probabilities:0"].shape == (2, 3)


def test_ref_variable_message_says_what_fails_on_tf_2_21(mlp_paths):
    (ref,) = scan(explorer.load(mlp_paths["checkpoint_v2"])).by_rule("ref-variable")
    assert "assign them (stateful" in ref.message and "only read" in ref.message
    assert "explorer.convert rewrites them" in ref.message
