"""The file-door rules (``explorer.inspection.scan_rules``) and the memory-bomb rule, one
behaviour each, on small graphs built with ``tf.compat.v1``."""

from __future__ import annotations

import os

import pytest

from explorer.graph.op_families import FILE_OPS
from explorer.inspection.gate import require_safe, scan
from explorer.inspection.scan_rules import DOORS, ScanContext, openings
from explorer.loading.validation import recursive_functions
from tests.helpers import graph_model


def _doors(model) -> dict[str, list[str]]:
    """Node -> the paths of its refused openings."""
    out: dict[str, list[str]] = {}
    for f in scan(model, rules=["file-system"]):
        out.setdefault(f.nodes[0], []).append(f.message)
    return out


def test_every_file_op_has_a_registered_door_tensorflow_knows():
    from tensorflow.python.framework import op_def_registry

    assert set(DOORS) == FILE_OPS
    for op_type, door in DOORS.items():
        op_def = op_def_registry.get(op_type)
        assert op_def is not None, op_type
        assert door.mode in ("read", "write")
        assert all(i < len(op_def.input_arg) for i in door.inputs), op_type
        assert set(door.attrs) <= {a.name for a in op_def.attr}, op_type


def test_harmless_uses_of_door_ops_pass(tmp_path):
    """A cache in memory, a debug op without URLs, a read inside the folder (PrintV2 to stderr is
    a door since issue 23: tests/contracts/test_doors_23.py)."""
    inside = tmp_path / "data.txt"
    inside.write_text("x")

    def build(tf):
        ds = tf.data.Dataset.range(2)
        tf.raw_ops.CacheDatasetV2(
            input_dataset=ds._variant_tensor,
            filename="",
            cache=tf.raw_ops.DummyMemoryCache(),
            output_types=[tf.int64],
            output_shapes=[[]],
            name="mem_cache",
        )
        tf.raw_ops.DebugIdentity(input=tf.constant(1.0), name="dbg")
        tf.io.read_file(str(inside), name="read_inside")

    assert _doors(graph_model(tmp_path, build)) == {}


def test_paths_are_traced_through_joins_queues_and_relative_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path.parent)  # a relative path is opened from the working directory

    def build(tf):
        v1 = tf.compat.v1
        base = tf.constant("/etc", name="base")
        tf.io.read_file(tf.strings.join([base, "passwd"], separator="/"), name="joined")
        tf.io.read_file(tf.identity(tf.constant("notes.txt")), name="relative")
        q = v1.FIFOQueue(2, [tf.string], shapes=[[]], name="q")
        q.enqueue([tf.constant("/etc/shadow")], name="enq")
        v1.TextLineReader(name="lines").read(q, name="line")
        tf.io.read_file(v1.placeholder(tf.string, [], name="fed"), name="fed_read")

    doors = _doors(graph_model(tmp_path, build))
    assert "/etc/passwd (outside the model folder)" in doors["joined"][0]
    assert f"{tmp_path.parent / 'notes.txt'} (outside" in doors["relative"][0]
    assert "/etc/shadow" in doors["line"][0] and "lines" in doors
    assert "fed through 'fed' at run time" in doors["fed_read"][0]


def test_own_saver_allowed_other_checkpoint_ops_refused(tmp_path):
    """The Saver's ops (prefix from its filename tensor) pass; a restore rewired to a constant
    path, and a second saver scope used on the way to the output, do not."""
    from tests.contracts import hostile_models as H

    site = H.Site(tmp_path)
    import explorer

    own = explorer.load(H.saved_model(tmp_path / "own", lambda tf, x, v: x * v, variables=True))
    ctx = ScanContext(own)
    saver_ops = [r for t in ("SaveV2", "RestoreV2", "MergeV2Checkpoints") for r in ctx.by_type[t]]
    assert saver_ops and all(not o.refused for r in saver_ops for o in openings(ctx, r))
    assert "<the checkpoint prefix>" in openings(ctx, ctx.by_type["RestoreV2"][0])[0].path
    rewired = _doors(explorer.load(H.restore_rewired(site)))
    assert (
        list(rewired) == ["save/RestoreV2"]
        and "other_ckpt (outside" in rewired["save/RestoreV2"][0]
    )
    second = _doors(explorer.load(H.second_saver(site)))
    assert list(second) == ["saver_scope/SaveV2"]


def test_function_bodies_judged_by_their_callers(tmp_path):
    """A save in a function nothing calls never runs; called with a constant path it is a door
    named by the caller's constant."""

    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")

        @tf.function
        def save_to(prefix, a):
            save = tf.raw_ops.SaveV2(
                prefix=prefix, tensor_names=["a"], shape_and_slices=[""], tensors=[a]
            )
            with tf.control_dependencies([save]):
                return tf.identity(a)

        save_to(tf.constant("/tmp/elsewhere/dump"), x)

    doors = _doors(graph_model(tmp_path, build))
    (node,) = doors
    assert "::" in node and "/tmp/elsewhere/dump (a write" in doors[node][0]


def test_recursion_in_the_library_is_found_directly_and_mutually(tmp_path):
    from tensorflow.core.framework import graph_pb2

    gd = graph_pb2.GraphDef()
    for name, calls in (("a", "b"), ("b", "a"), ("c", None)):
        fn = gd.library.function.add()
        fn.signature.name = name
        if calls:
            node = fn.node_def.add(name="call", op="StatefulPartitionedCall")
            node.attr["f"].func.name = calls
    assert recursive_functions(gd) == ["a", "b"]
    gd.library.function[1].node_def[0].attr["f"].func.name = "c"
    assert recursive_functions(gd) == []
    gd.library.function[2].node_def.add(name="self", op="c")  # a direct call by op type
    assert recursive_functions(gd) == ["c"]


def test_huge_constant_shapes_are_refused_before_allocation(tmp_path):
    from explorer.errors import UnsafeModelError

    def build(tf):
        tf.fill(tf.constant([2**20, 2**20], tf.int64), 1.0, name="bomb")
        tf.fill([4, 4], 0.0, name="small")
        tf.random.uniform([2**18, 2**18], name="noise")

    model = graph_model(tmp_path, build)
    found = {f.nodes[0]: f for f in scan(model, rules=["huge-tensor"])}
    assert set(found) == {"bomb", "noise/RandomUniform"}
    assert "allocate 4.0 TiB in Fill 'bomb'" in found["bomb"].message
    with pytest.raises(UnsafeModelError, match=r"allocate 4\.0 TiB in Fill 'bomb'"):
        require_safe(model)


def test_relative_reads_inside_the_folder_pass(tmp_path, monkeypatch):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "data.txt").write_text("x")
    monkeypatch.chdir(folder)

    def build(tf):
        tf.io.read_file("data.txt", name="here")

    from explorer._tf import tf

    g = tf().Graph()
    with g.as_default():
        build(tf())
    (folder / "g.pb").write_bytes(g.as_graph_def().SerializeToString())
    import explorer

    assert _doors(explorer.load(folder / "g.pb")) == {}
    assert os.getcwd() == str(folder)
