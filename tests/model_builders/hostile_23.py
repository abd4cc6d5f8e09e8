"""Issue 23's hostile models: doors in new disguises, writes reached indirectly, the model's own
files as a target, doors the list lacked, and resource bombs. Each builder takes a
:class:`~tests.contracts.hostile_models.Site` and returns the model path a user would give; every
model computes ``y`` from ``x`` (float [None]) through its door, built with ``tf.compat.v1``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from tests.contracts.hostile_models import Site, _edit_saved_model, saved_model
from tests.helpers import tf_v1


def _reads(tf, x, path):
    """``x`` plus the length of the file at ``path`` (a string tensor): the read is on y's path."""
    return x + tf.cast(tf.strings.length(tf.io.read_file(path)), tf.float32)


def _after(tf, x, op):
    with tf.control_dependencies([op]):
        return tf.identity(x * 2.0)


# -- reads in disguise ---------------------------------------------------------------------------


def file_url_host(site: Site) -> Path:
    """``file://host/<secret>``: TensorFlow drops the host and reads the secret."""
    url = f"file://somehost{site.marker}"
    return saved_model(site.root / "file_url_host", lambda tf, x: _reads(tf, x, url))


def symlink_inside(site: Site) -> Path:
    """A path inside the model folder that is a symbolic link to the secret."""
    folder = site.root / "symlink_inside"
    saved_model(folder, lambda tf, x: _reads(tf, x, str(folder / "data.txt")))
    os.symlink(site.marker, folder / "data.txt")
    return folder


def select_chain(site: Site, length: int = 17) -> Path:
    """A path chosen through ``length`` ``SelectV2`` s: 17 harmless paths, the secret last."""
    folder = site.root / "select_chain"

    def body(tf, x):
        path = tf.constant(str(site.marker))
        for i in range(length):
            path = tf.where(x[0] > i, tf.constant(str(folder / f"f{i}.txt")), path)
        return _reads(tf, x, path)

    return saved_model(folder, body)


def asset_joined(site: Site) -> Path:
    """An asset path joined at run time with ``/../../../secret/marker.txt`` (cleaned lexically,
    as TensorFlow does, that is the secret)."""
    climb = "/../../../secret/marker.txt"
    return saved_model(
        site.root / "asset_joined",
        lambda tf, x, assets: _reads(tf, x, tf.strings.join([assets[0], climb])),
        assets={"vocab.txt": "alpha\n"},
    )


def asset_const_value(site: Site, asset: str = "vocab.txt", name: str = "") -> Path:
    """An asset tensor (a Const) whose value is the secret's path while the asset record names
    ``asset``: read outside the init op, the value is the secret."""
    folder = saved_model(
        site.root / (name or "asset_const_value"),
        lambda tf, x, assets: _reads(tf, x, assets[0]),
        assets={asset: "alpha\n"},
    )

    def edit(mg):
        from tensorflow.python.framework import tensor_util

        node = next(n for n in mg.graph_def.node if n.name == f"asset_{asset.replace('.', '_')}")
        node.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(str(site.marker)))

    _edit_saved_model(folder, edit)
    return folder


def asset_const_same_name(site: Site) -> Path:
    """As :func:`asset_const_value`, the asset record having the secret's own file name
    (``marker.txt``): the Const's value is judged whole, not by its name."""
    return asset_const_value(site, "marker.txt", "asset_const_same_name")


# -- writes reached indirectly -------------------------------------------------------------------


def _write_fn(tf, target: Path):
    """A library function that writes ``target`` and returns its input (added to the graph)."""

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)], autograph=False)
    def evil(a):
        with tf.control_dependencies([tf.io.write_file(str(target), "stolen")]):
            return tf.identity(a)

    concrete = evil.get_concrete_function()
    concrete.add_to_graph(tf.compat.v1.get_default_graph())
    return concrete.name.decode() if isinstance(concrete.name, bytes) else concrete.name


def _with_function(site: Site, name: str, link: Callable[[object, str], None]) -> Path:
    """A model calling harmless ``f`` on y's path, with a writing function in the library that
    ``link(meta_graph, writer_name)`` then ties to it."""
    names: dict[str, str] = {}

    def body(tf, x):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)], autograph=False)
        def f(a):
            return a * 2.0

        names["writer"] = _write_fn(tf, site.watch / f"{name}_stolen")
        return f(x)

    folder = saved_model(site.root / name, body)
    _edit_saved_model(folder, lambda mg: link(mg, names["writer"]))
    return folder


def gradient_map(site: Site) -> Path:
    """The called function's gradient (the library's gradient map) writes into watch/."""

    def link(mg, writer):
        called = next(
            f.signature.name for f in mg.graph_def.library.function if "_f_" in f.signature.name
        )
        mg.graph_def.library.gradient.add(function_name=called, gradient_func=writer)

    return _with_function(site, "gradient_map", link)


def gradient_attr(site: Site) -> Path:
    """y's op names the writing function in its ``_gradient_op_type`` attribute."""

    def link(mg, writer):
        node = next(n for n in mg.graph_def.node if n.name == "y")
        node.attr["_gradient_op_type"].s = writer.encode()

    return _with_function(site, "gradient_attr", link)


def nested_func_attr(site: Site) -> Path:
    """The call's ``f`` attribute carries a ``func`` attribute of its own naming the writer."""

    def link(mg, writer):
        call = next(n for n in mg.graph_def.node if n.op.endswith("PartitionedCall"))
        call.attr["f"].func.attr["_hook"].func.name = writer

    return _with_function(site, "nested_func_attr", link)


def fallback_init_op(site: Site) -> Path:
    """The MetaGraph's main_op names a node that is missing; its ``legacy_init_op`` collection,
    the loader's fallback, names a WriteFile into watch/."""

    def body(tf, x):
        tf.io.write_file(str(site.watch / "init_stolen"), "stolen", name="evil_init")
        return x * 2.0

    folder = saved_model(site.root / "fallback_init_op", body)

    def edit(mg):
        mg.collection_def["saved_model_main_op"].node_list.value.append("missing_init")
        mg.collection_def["legacy_init_op"].node_list.value.append("evil_init")

    _edit_saved_model(folder, edit)
    return folder


# -- the model's own files -----------------------------------------------------------------------


def saver_over_own_checkpoint(site: Site) -> Path:
    """The model's own Saver, its filename the model's own ``variables/variables``, saves on y's
    path: each run would rewrite the checkpoint the model was loaded from."""
    tf, v1 = tf_v1()
    folder = site.root / "saver_over_own_checkpoint"
    g = tf.Graph()
    with g.as_default(), v1.Session(graph=g) as s:
        x = v1.placeholder(tf.float32, [None], name="x")
        v = v1.Variable(3.0, name="v", use_resource=False)
        saver = v1.train.Saver([v], filename=str(folder / "variables" / "variables"))
        bump = v1.assign_add(v, 1.0)  # each save writes new values
        g.get_operation_by_name("save/SaveV2")._add_control_input(bump.op)
        save = g.get_tensor_by_name(saver.saver_def.save_tensor_name)
        with tf.control_dependencies([save]):
            y = tf.identity(x * v, name="y")
        s.run(v1.global_variables_initializer())
        b = v1.saved_model.Builder(str(folder))
        sig = v1.saved_model.predict_signature_def(inputs={"x": x}, outputs={"y": y})
        b.add_meta_graph_and_variables(
            s, ["serve"], signature_def_map={"serving_default": sig}, saver=saver
        )
        b.save()
    return folder


def saver_through_symlink(site: Site) -> Path:
    """A SaveV2 into ``<model>/link/stolen`` where ``link`` points at watch/."""
    folder = site.root / "saver_through_symlink"

    def body(tf, x, v):
        prefix = tf.constant(str(folder / "link" / "stolen"))
        save = tf.raw_ops.SaveV2(
            prefix=prefix, tensor_names=["v"], shape_and_slices=[""], tensors=[v]
        )
        return _after(tf, x * v, save)

    saved_model(folder, body, variables=True)
    os.symlink(site.watch, folder / "link")
    return folder


# -- doors the list lacked -----------------------------------------------------------------------


def _op(op_type: str, **kw):
    """An op of any registered type (``tf.raw_ops`` lacks some), its first output or the op."""
    from tensorflow.python.framework import op_def_library

    _, _, op, outputs = op_def_library._apply_op_helper(op_type, **kw)
    return outputs[0] if outputs else op


def dump_tensor(site: Site) -> Path:
    def body(tf, x):
        dump = _op(
            "DumpTensor",
            tensor_data=x,
            log_dir_path=str(site.watch),
            file_name="dumped",
            enabled=True,
            func_name="",
            node_name="",
        )
        return _after(tf, x, dump)

    return saved_model(site.root / "dump_tensor", body)


def unigram_sampler(site: Site) -> Path:
    """``FixedUnigramCandidateSampler(vocab_file=<secret>)``: its error would quote a line."""

    def body(tf, x):
        classes = tf.cast(tf.reshape(x[:1], [1, 1]), tf.int64)
        sampled = tf.raw_ops.FixedUnigramCandidateSampler(
            true_classes=classes,
            num_true=1,
            num_sampled=1,
            unique=True,
            range_max=3,
            vocab_file=str(site.marker),
        )
        return x + tf.cast(tf.reduce_sum(sampled[0]), tf.float32)

    return saved_model(site.root / "unigram_sampler", body)


def rpc_server(site: Site) -> Path:
    """An RPC server listening on every interface, started on y's path."""

    def body(tf, x):
        server = _op("RpcServer", server_address="0.0.0.0:0")
        return _after(tf, x, _op("RpcServerStart", server=server))

    return saved_model(site.root / "rpc_server", body)


def print_to_stderr(site: Site) -> Path:
    """``PrintV2`` to stderr faking explorer's own success line."""

    def body(tf, x):
        fake = tf.raw_ops.PrintV2(input="tf1-explorer run: FAKE all good", output_stream="stderr")
        return _after(tf, x, fake)

    return saved_model(site.root / "print_to_stderr", body)


def print_v1(site: Site) -> Path:
    """The v1 ``Print``: its message goes to the process's stderr."""
    return saved_model(
        site.root / "print_v1",
        lambda tf, x: tf.raw_ops.Print(input=x, data=[x], message="tf1-explorer run: FAKE") * 2.0,
    )


# -- resource bombs ------------------------------------------------------------------------------


def huge_tile(site: Site) -> Path:
    return saved_model(
        site.root / "huge_tile", lambda tf, x: x + tf.reduce_sum(tf.tile(x, [2**40]))
    )


def huge_one_hot(site: Site) -> Path:
    return saved_model(
        site.root / "huge_one_hot",
        lambda tf, x: x + tf.reduce_sum(tf.one_hot(tf.cast(x, tf.int32), 2**31 - 1)),
    )


def huge_range(site: Site) -> Path:
    return saved_model(
        site.root / "huge_range",
        lambda tf, x: x + tf.cast(tf.reduce_sum(tf.range(0, 2**40, 1, tf.int64)), tf.float32),
    )


def huge_pad(site: Site) -> Path:
    return saved_model(
        site.root / "huge_pad",
        lambda tf, x: x + tf.reduce_sum(tf.pad(x, [[0, 2**40]])),
    )


def long_chain(site: Site, length: int = 100_000) -> Path:
    """A frozen GraphDef: ``x`` then ``length`` Identity ops in one chain, written directly."""
    from tensorflow.core.framework import graph_pb2, types_pb2

    gd = graph_pb2.GraphDef()
    x = gd.node.add(name="x", op="Placeholder")
    x.attr["dtype"].type = types_pb2.DT_FLOAT
    prev = "x"
    for i in range(length):
        n = gd.node.add(name=f"n{i}", op="Identity", input=[prev])
        n.attr["T"].type = types_pb2.DT_FLOAT
        prev = n.name
    path = site.root / f"chain_{length}.pb"
    path.write_bytes(gd.SerializeToString())
    return path


def huge_constant(site: Site, mb: int = 3) -> Path:
    """A frozen GraphDef of three nodes: ``y = x + sum(c)``, ``c`` a constant of ``mb`` MB (few
    nodes, a big file: what the node and depth limits do not bound)."""
    import numpy as np

    tf, v1 = tf_v1()
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None], name="x")
        c = tf.constant(np.ones(mb * 2**18, np.float32), name="c")
        tf.identity(x + tf.reduce_sum(c), name="y")
    path = site.root / f"huge_constant_{mb}mb.pb"
    path.write_bytes(g.as_graph_def().SerializeToString())
    return path


READS = {
    "file_url_host": file_url_host,
    "symlink_inside": symlink_inside,
    "select_chain": select_chain,
    "asset_joined": asset_joined,
    "asset_const_value": asset_const_value,
    "asset_const_same_name": asset_const_same_name,
    "unigram_sampler": unigram_sampler,
}
WRITES = {
    "gradient_map": gradient_map,
    "gradient_attr": gradient_attr,
    "nested_func_attr": nested_func_attr,
    "fallback_init_op": fallback_init_op,
    "saver_over_own_checkpoint": saver_over_own_checkpoint,
    "saver_through_symlink": saver_through_symlink,
    "dump_tensor": dump_tensor,
    "rpc_server": rpc_server,
    "print_to_stderr": print_to_stderr,
    "print_v1": print_v1,
}
BOMBS = {
    "huge_tile": huge_tile,
    "huge_one_hot": huge_one_hot,
    "huge_range": huge_range,
    "huge_pad": huge_pad,
}
