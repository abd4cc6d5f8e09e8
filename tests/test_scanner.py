"""scan: every shipped rule on small TF1 graphs, the real models, require_safe and ModelSession."""

from __future__ import annotations

from pathlib import Path

import pytest

import explorer
from explorer.errors import UnsafeModelError
from explorer.scanner import RULES, Finding, Findings, require_safe, rule, scan

from .conftest import SHARED_NAMES, shared_model


def build_risky_graph(out_dir: Path, unregistered: bool = True) -> Path:
    """A frozen GraphDef holding ReadFile, WriteFile, PyFunc, RandomUniform, Switch/Merge (v1
    control flow, built with raw ops in a fresh graph), a non-Saver RestoreV2, PrintV2 to a file,
    a FIFO queue, and (when ``unregistered``) an op renamed to the unknown type ``MySquare``."""
    from explorer._tf import tf

    tf = tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 3], name="x")
        sq = tf.square(x, name="square")
        noisy = tf.add(sq, tf.random.uniform([3], name="noise"), name="noisy")
        branch = tf.raw_ops.Switch(data=noisy, pred=tf.reduce_sum(x) > 0, name="branch")
        merged = tf.raw_ops.Merge(inputs=[branch.output_false * 2.0, branch.output_true])
        py = v1.py_func(lambda a: a, [merged.output], tf.float32, name="py")
        text = tf.io.read_file("/etc/hostname", name="read")
        tf.io.write_file("/tmp/tf1_explorer_never_written.txt", text, name="write")
        tf.raw_ops.RestoreV2(
            prefix="/tmp/elsewhere", tensor_names=["v"], shape_and_slices=[""], dtypes=[tf.float32]
        )
        tf.raw_ops.PrintV2(input="hello", output_stream="file:///tmp/log.txt", name="log")
        queue = tf.queue.FIFOQueue(4, [tf.float32], shapes=[[3]], name="q")
        queue.dequeue(name="dequeue")
        tf.identity(py, name="out")
    gd = g.as_graph_def()
    if unregistered:
        for node in gd.node:
            if node.name == "square":
                node.op = "MySquare"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "risky.pb"
    path.write_bytes(gd.SerializeToString())
    return path


@pytest.fixture(scope="module")
def risky(tmp_path_factory) -> Findings:
    return scan(build_risky_graph(tmp_path_factory.mktemp("risky")))


def test_every_risk_is_found(risky):
    assert {
        "unregistered-op",
        "py-func",
        "file-system",
        "stateful-random",
        "v1-control-flow",
        "queue",
    } <= risky.rules
    (unreg,) = risky.by_rule("unregistered-op")
    assert unreg.severity == "error" and unreg.nodes == ("square",)
    assert "MySquare" in unreg.message and "replacements={'MySquare': fn}" in unreg.message
    (py,) = risky.by_rule("py-func")
    assert py.severity == "error" and py.unsafe and py.nodes == ("py",)
    (fs,) = risky.by_rule("file-system")
    assert set(fs.nodes) == {"read", "write", "RestoreV2", "log"} and fs.unsafe
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


def test_findings_json_shape(risky):
    out = risky.to_json()
    assert list(out) == ["findings"]
    for item in out["findings"]:
        assert {"rule", "severity", "nodes", "message"} <= set(item)
    unreg = next(i for i in out["findings"] if i["rule"] == "unregistered-op")
    assert "replacement" not in unreg  # MySquare has no known replacement
    assert "2 errors" in risky.summary() and "2 errors" in repr(risky)


def test_known_replacement_is_named(mlp_paths, tmp_path):
    model = explorer.load(mlp_paths["frozen_pb"])
    for node in model.graph_def.node:
        if node.name == "dense/Relu":
            node.op = "FusedConv2DBiasActivation"  # a tf.contrib op TF 2 does not register
    (f,) = scan(model, rules=["unregistered-op"])
    assert f.replacement and "tf.nn.conv2d" in f.replacement and "known replacement" in f.message
    assert f.to_json()["replacement"] == f.replacement


def test_replaced_op_is_only_info(tmp_path):
    model = explorer.load(build_risky_graph(tmp_path), replacements={"MySquare": lambda x: x})
    (f,) = scan(model, rules=["unregistered-op"])
    assert f.severity == "info" and "replaced on import" in f.message


def test_saver_ops_and_initialisers_are_not_flagged(mlp_paths):
    """The Saver's save/restore ops are the checkpoint; random initialisers only init."""
    for fmt in ("checkpoint_v1", "checkpoint_v2", "saved_model", "frozen_pb"):
        model = explorer.load(mlp_paths[fmt])
        findings = scan(model)
        assert not findings.unsafe, (fmt, findings.unsafe)
        require_safe(model)  # does not raise
    findings = scan(explorer.load(mlp_paths["checkpoint_v2"]))
    assert findings.by_rule("ref-variable")[0].nodes == (
        "dense/kernel",
        "dense/bias",
        "logits/kernel",
        "logits/bias",
    )
    (edges,) = findings.by_rule("ref-edge")
    assert edges.severity == "info" and "Assign" in edges.message


def test_require_safe_and_model_session(tmp_path):
    model = explorer.load(build_risky_graph(tmp_path, unregistered=False))
    with pytest.raises(UnsafeModelError, match=r"risky\.pb holds ops that .*allow_unsafe=True"):
        require_safe(model)
    require_safe(model, allow_unsafe=True)
    with pytest.raises(UnsafeModelError, match=r"call Python functions.*read or write files"):
        model.session()


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


@pytest.mark.slow
def test_real_models_ref_variable_and_gpu_pins():
    (ref,) = scan(shared_model("serving_counter")).by_rule("ref-variable")
    assert ref.nodes == ("counter",) and "float_ref" in ref.message
    from explorer.session import available_device_types

    gpu_here = "GPU" in available_device_types()
    pins = scan(shared_model("serving_half_plus_two_gpu")).by_rule("device-pin")
    gpu = next(f for f in pins if "/device:GPU:0" in f.message)
    assert gpu.severity == ("info" if gpu_here else "warning") and "a" in gpu.nodes
    assert len(gpu.nodes) == 29
    cpu = scan(shared_model("serving_half_plus_two")).by_rule("device-pin")
    assert [f.severity for f in cpu] == ["info"] and "present here" in cpu[0].message


@pytest.mark.slow
@pytest.mark.parametrize("name", SHARED_NAMES)
def test_real_models_are_safe(name):
    """No real model holds unsafe ops: their save/restore ops (including TF2 checkpoint functions
    in the tfx exports) belong to the checkpoint."""
    model = explorer.load(shared_model(name))
    findings = scan(model)
    assert not findings.unsafe and not findings.errors
    require_safe(model)


def _graph_model(tmp_path: Path, build) -> explorer.V1Model:
    """Build a graph with ``build(tf)`` in a fresh tf.Graph, write it, load it."""
    from explorer._tf import tf

    g = tf().Graph()
    with g.as_default():
        build(tf())
    path = tmp_path / "g.pb"
    path.write_bytes(g.as_graph_def().SerializeToString())
    return explorer.load(path)


def test_file_rule_edges(tmp_path):
    """PrintV2 to stderr is fine; a restore inside a save/ scope reading a path from outside it
    is not the Saver's."""

    def build(tf):
        tf.raw_ops.PrintV2(input="hi", output_stream="stderr", name="say")
        outside = tf.constant("/home/someone/secrets", name="evil_path")
        with tf.name_scope("save"):
            tf.raw_ops.RestoreV2(
                prefix=outside, tensor_names=["v"], shape_and_slices=[""], dtypes=[tf.float32]
            )

    (f,) = scan(_graph_model(tmp_path, build), rules=["file-system"])
    assert f.nodes == ("save/RestoreV2",)


def test_file_ops_in_library_functions(tmp_path):
    """In a function body a save/restore op is a checkpoint op when its prefix is an argument of
    the function, and a file-system risk when the path is a constant."""
    from tensorflow.core.framework import function_pb2

    model = explorer.load(build_risky_graph(tmp_path, unregistered=False))
    fn = function_pb2.FunctionDef()
    fn.signature.name = "checkpoint_fn"
    fn.signature.input_arg.add(name="file_prefix", type=7)
    fn.node_def.add(name="save", op="SaveV2", input=["file_prefix", "names:output:0"])
    fn.node_def.add(name="names", op="Const")
    fn.node_def.add(name="path", op="Const")
    fn.node_def.add(name="restore", op="RestoreV2", input=["path:output:0", "names:output:0"])
    fn.node_def.add(name="orphan", op="RestoreV2", input=["ghost:output:0"])
    model.graph_def.library.function.append(fn)
    (f,) = scan(model, rules=["file-system"])
    assert "checkpoint_fn::restore" in f.nodes and "checkpoint_fn::save" not in f.nodes
    assert "checkpoint_fn::orphan" in f.nodes  # its prefix comes from nowhere known


def test_random_only_initialising_a_variable_is_info(tmp_path):
    def build(tf):
        u = tf.random.uniform([2], name="u", seed=1)
        tf.compat.v1.Variable(u + u * 2.0, name="v", use_resource=False)

    (f,) = scan(_graph_model(tmp_path, build), rules=["stateful-random"])
    assert f.severity == "info" and f.nodes == ("u/RandomUniform",)


def test_seeded_random_on_the_run_path(tmp_path):
    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        tf.identity(x + tf.random.uniform([2], seed=3, name="u"), name="y")

    (f,) = scan(_graph_model(tmp_path, build), rules=["stateful-random"])
    assert f.severity == "warning" and "all seeded" in f.message
