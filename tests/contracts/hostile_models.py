"""Hostile and broken TF1 models, one per door, built with ``tf.compat.v1`` in a temporary folder.

Each builder takes a :class:`Site` (a fresh folder holding ``secret/marker.txt``, a file the model
must never read, and ``watch/``, a folder it must never write into) and returns the path a user
would give. ``Site.snapshot()`` records every file under the site so a test can assert that nothing
new appeared and the model folder is unchanged.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.helpers import snapshot, tf_v1

MARKER = "TF1X-MARKER-5e1f0c"  # the secret's content: never in any output
VOCAB = "alpha\nbeta\ngamma\n"


class Site:
    """A folder with ``secret/marker.txt`` (must never be read) and ``watch/`` (never written)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.secret = root / "secret"
        self.watch = root / "watch"
        self.secret.mkdir(parents=True, exist_ok=True)
        self.watch.mkdir(exist_ok=True)
        self.marker = self.secret / "marker.txt"
        # "beta" on line 5: a table filled from the secret maps it to 5 (from the vocab: 1)
        self.marker.write_text(f"{MARKER}\n{MARKER}-1\n{MARKER}-2\n{MARKER}-3\n{MARKER}-4\nbeta\n")

    def snapshot(self) -> dict[str, str]:
        """Relative path -> sha256 of every file under the root (``link:``/``special`` as noted)."""
        return snapshot(self.root)


@contextlib.contextmanager
def v1_control_flow() -> Iterator[None]:
    """Build tf.cond/tf.while_loop as v1 Switch/Merge/Enter/Exit (as TF 1.x did), then restore."""
    from tensorflow.python.ops import control_flow_util

    old = control_flow_util.ENABLE_CONTROL_FLOW_V2
    control_flow_util.ENABLE_CONTROL_FLOW_V2 = False
    try:
        yield
    finally:
        control_flow_util.ENABLE_CONTROL_FLOW_V2 = old


def saved_model(
    folder: Path,
    body: Callable[..., object],
    *,
    variables: bool = False,
    assets: dict[str, str] | None = None,
) -> Path:
    """A SavedModel ``serve``/``serving_default`` with ``y = body(x, ...)``; ``x`` is float [None].

    ``body(tf, x)`` returns ``y``; with ``assets`` (name -> text) it is
    ``body(tf, x, asset_tensors)`` and the files are exported as the SavedModel's assets. With
    ``variables`` a variable ``v`` (3.0) is passed as ``body(tf, x, v)``.
    """
    tf, v1 = tf_v1()
    g = tf.Graph()
    src = folder.parent / f".{folder.name}.src"
    src.mkdir(parents=True, exist_ok=True)
    with g.as_default(), v1.Session(graph=g) as s:
        x = v1.placeholder(tf.float32, [None], name="x")
        args: list[object] = [tf, x]
        asset_tensors = []
        for name, text in (assets or {}).items():
            (src / name).write_text(text)
            t = tf.constant(str(src / name), name=f"asset_{name.replace('.', '_')}")
            v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, t)
            asset_tensors.append(t)
        if assets:
            args.append(asset_tensors)
        if variables:
            v = v1.Variable(3.0, name="v", use_resource=False)
            args.append(v)
        y = tf.identity(body(*args), name="y")
        s.run(v1.global_variables_initializer())
        s.run(v1.tables_initializer())
        b = v1.saved_model.Builder(str(folder))
        sig = v1.saved_model.predict_signature_def(inputs={"x": x}, outputs={"y": y})
        b.add_meta_graph_and_variables(
            s,
            ["serve"],
            signature_def_map={"serving_default": sig},
            assets_collection=v1.get_collection(v1.GraphKeys.ASSET_FILEPATHS) or None,
            main_op=v1.tables_initializer() if assets else None,
        )
        b.save()
    for p in src.iterdir():
        p.unlink()
    src.rmdir()
    return folder


def _set_asset_filename(mg, filename: str) -> None:
    """Point the MetaGraph's (only) asset at ``filename``, wherever the exporter recorded it."""
    from tensorflow.core.protobuf import meta_graph_pb2

    for a in mg.asset_file_def:
        a.filename = filename
    if "saved_model_assets" in mg.collection_def:
        for any_msg in mg.collection_def["saved_model_assets"].any_list.value:
            a = meta_graph_pb2.AssetFileDef()
            any_msg.Unpack(a)
            a.filename = filename
            any_msg.Pack(a)


def _edit_saved_model(folder: Path, edit: Callable[[object], None]) -> None:
    from tensorflow.core.protobuf import saved_model_pb2

    sm = saved_model_pb2.SavedModel()
    pb = folder / "saved_model.pb"
    sm.ParseFromString(pb.read_bytes())
    edit(sm.meta_graphs[0])
    pb.write_bytes(sm.SerializeToString())


def _table_lookup(tf, x, path):
    """``x + lookup("beta")`` from a text-file table at ``path`` (a tensor or a constant)."""
    init = tf.lookup.TextFileInitializer(
        path,
        tf.string,
        tf.lookup.TextFileIndex.WHOLE_LINE,
        tf.int64,
        tf.lookup.TextFileIndex.LINE_NUMBER,
    )
    table = tf.lookup.StaticHashTable(init, -1)
    return x + tf.cast(table.lookup(tf.constant("beta")), tf.float32)


# -- reads ---------------------------------------------------------------------------------------


def _vocab_model(site: Site, name: str) -> Path:
    return saved_model(
        site.root / name,
        lambda tf, x, assets: _table_lookup(tf, x, assets[0]),
        assets={"vocab.txt": VOCAB},
    )


def asset_traversal(site: Site) -> Path:
    """An asset file name ``../../secret/marker.txt``: the table would be filled from the secret."""
    folder = _vocab_model(site, "asset_traversal")
    rel = os.path.relpath(site.marker, folder / "assets")

    _edit_saved_model(folder, lambda mg: _set_asset_filename(mg, rel))
    return folder


def asset_absolute(site: Site) -> Path:
    """An asset file name that is the secret's absolute path."""
    folder = _vocab_model(site, "asset_absolute")

    _edit_saved_model(folder, lambda mg: _set_asset_filename(mg, str(site.marker)))
    return folder


def asset_symlink(site: Site) -> Path:
    """``assets/vocab.txt`` is a symlink to the secret."""
    folder = _vocab_model(site, "asset_symlink")
    (folder / "assets" / "vocab.txt").unlink()
    (folder / "assets" / "vocab.txt").symlink_to(site.marker)
    return folder


def asset_device(site: Site) -> Path:
    """``assets/vocab.txt`` is a symlink to ``/dev/zero`` (a table filled from it: bad_alloc)."""
    folder = _vocab_model(site, "asset_device")
    (folder / "assets" / "vocab.txt").unlink()
    (folder / "assets" / "vocab.txt").symlink_to("/dev/zero")
    return folder


def table_constant_path(site: Site) -> Path:
    """A table initialised from a constant path string in the graph (no asset at all: the
    exporter's automatic asset is removed, so the constant is what the table opens)."""
    import shutil

    marker = str(site.marker)
    folder = saved_model(
        site.root / "table_constant_path",
        lambda tf, x: _table_lookup(tf, x, tf.constant(marker, name="vocab_path")),
    )

    def edit(mg):
        del mg.asset_file_def[:]
        for key in ("saved_model_assets", "asset_filepaths"):
            if key in mg.collection_def:
                del mg.collection_def[key]

    _edit_saved_model(folder, edit)
    shutil.rmtree(folder / "assets", ignore_errors=True)
    return folder


def whole_file_reader(site: Site) -> Path:
    """A ``WholeFileReader`` reading the secret (queued by the graph itself) on the way to y."""
    marker = str(site.marker)

    def body(tf, x):
        v1 = tf.compat.v1
        queue = v1.FIFOQueue(4, [tf.string], shapes=[[]], name="files")
        enqueue = queue.enqueue([tf.constant(marker)], name="enqueue")
        reader = v1.WholeFileReader(name="reader")
        with tf.control_dependencies([enqueue]):
            _, value = reader.read(queue, name="read")
        return x + tf.cast(tf.strings.length(value), tf.float32)

    return saved_model(site.root / "whole_file_reader", body)


def text_line_dataset(site: Site) -> Path:
    """A ``TextLineDataset`` over the secret, reduced on the way to y."""
    marker = str(site.marker)

    def body(tf, x):
        ds = tf.data.TextLineDataset(marker).map(lambda s: tf.strings.length(s))
        total = ds.reduce(tf.constant(0), lambda a, b: a + b)
        return x + tf.cast(total, tf.float32)

    return saved_model(site.root / "text_line_dataset", body)


def restore_rewired(site: Site) -> Path:
    """The Saver's restore op rewired to a checkpoint of the model's choosing (outside)."""
    tf, v1 = tf_v1()
    stolen = site.secret / "other_ckpt"
    g = tf.Graph()
    with g.as_default(), v1.Session(graph=g) as s:
        v = v1.Variable(42.0, name="v", use_resource=False)
        s.run(v.initializer)
        v1.train.Saver([v]).save(s, str(stolen))
    folder = saved_model(site.root / "restore_rewired", lambda tf, x, v: x * v, variables=True)

    def edit(mg):
        gd = mg.graph_def
        node = gd.node.add(name="save/evil_prefix", op="Const")
        node.attr["dtype"].type = 7  # DT_STRING
        node.attr["value"].tensor.dtype = 7
        node.attr["value"].tensor.string_val.append(str(stolen).encode())
        node.attr["value"].tensor.tensor_shape.SetInParent()
        for n in gd.node:
            if n.op == "RestoreV2":
                n.input[0] = "save/evil_prefix"

    _edit_saved_model(folder, edit)
    return folder


# -- writes --------------------------------------------------------------------------------------


def debug_identity(site: Site) -> Path:
    """``DebugIdentity`` with a ``file://`` URL into the watched folder, on the way to y."""
    url = f"file://{site.watch / 'debug_dump'}"

    def body(tf, x):
        return (
            tf.raw_ops.DebugIdentity(input=x, tensor_name="x:0", debug_urls=[url], name="dbg") * 2.0
        )

    return saved_model(site.root / "debug_identity", body)


def second_saver(site: Site) -> Path:
    """A ``SaveV2`` in a second saver scope writing the variables to ``watch/stolen``."""
    stolen = str(site.watch / "stolen")

    def body(tf, x, v):
        with tf.name_scope("saver_scope"):
            save = tf.raw_ops.SaveV2(
                prefix=tf.constant(stolen, name="Const"),
                tensor_names=["v"],
                shape_and_slices=[""],
                tensors=[v],
                name="SaveV2",
            )
        with tf.control_dependencies([save]):
            return x * v

    return saved_model(site.root / "second_saver", body, variables=True)


def saver_in_function(site: Site) -> Path:
    """A library function that saves the input to ``watch/fn_stolen`` before returning 2x."""
    stolen = str(site.watch / "fn_stolen")

    def body(tf, x):
        @tf.function
        def leak(a):
            save = tf.raw_ops.SaveV2(
                prefix=tf.constant(stolen), tensor_names=["x"], shape_and_slices=[""], tensors=[a]
            )
            with tf.control_dependencies([save]):
                return a * 2.0

        return leak(x)

    return saved_model(site.root / "saver_in_function", body)


def cache_dataset(site: Site) -> Path:
    """A dataset ``.cache(watch/cache)``: iterating it writes cache files."""
    path = str(site.watch / "cache")

    def body(tf, x):
        total = (
            tf.data.Dataset.range(3)
            .cache(path)
            .reduce(tf.constant(0, tf.int64), lambda a, b: a + b)
        )
        return x + tf.cast(total, tf.float32)

    return saved_model(site.root / "cache_dataset", body)


def dataset_to_tfrecord(site: Site) -> Path:
    """``DatasetToTFRecord`` writing ``watch/records.tfrecord`` before y."""
    path = str(site.watch / "records.tfrecord")

    def body(tf, x):
        ds = tf.data.Dataset.from_tensors(tf.constant("leak"))
        write = tf.raw_ops.DatasetToTFRecord(
            input_dataset=ds._variant_tensor, filename=path, compression_type="", name="sink"
        )
        with tf.control_dependencies([write]):
            return tf.identity(x)

    return saved_model(site.root / "dataset_to_tfrecord", body)


def loop_saver(site: Site) -> Path:
    """A ``WriteFile`` inside a v1 while-loop body (the loop frame holds the door)."""
    path = str(site.watch / "loop.txt")

    def body(tf, x):
        def step(i, a):
            w = tf.io.write_file(path, "looped")
            with tf.control_dependencies([w]):
                return i + 1, a + 1.0

        with v1_control_flow():
            _, y = tf.while_loop(lambda i, a: i < 2, step, [tf.constant(0), x])
        return y

    return saved_model(site.root / "loop_saver", body)


# -- special files -------------------------------------------------------------------------------


def frozen_symlink_to(site: Site, device: str) -> Path:
    """A ``.pb`` that is a symlink to a device (``/dev/zero``, ``/dev/urandom``)."""
    p = site.root / f"frozen_{Path(device).name}" / "model.pb"
    p.parent.mkdir()
    p.symlink_to(device)
    return p


def saved_model_pb_device(site: Site) -> Path:
    """A SavedModel whose ``saved_model.pb`` is a symlink to ``/dev/zero``."""
    folder = site.root / "sm_dev_zero"
    folder.mkdir()
    (folder / "saved_model.pb").symlink_to("/dev/zero")
    return folder


def fifo_pb(site: Site) -> Path:
    """A ``.pb`` that is a FIFO (reading it would block forever)."""
    p = site.root / "fifo" / "model.pb"
    p.parent.mkdir()
    os.mkfifo(p)
    return p


def saved_model_pb_outside(site: Site) -> Path:
    """A SavedModel folder whose ``saved_model.pb`` is a symlink to a model outside it."""
    real = saved_model(site.secret / "real_model", lambda tf, x: x * 2.0)
    folder = site.root / "sm_link_out"
    folder.mkdir()
    (folder / "saved_model.pb").symlink_to(real / "saved_model.pb")
    return folder


def variables_index_device(site: Site) -> Path:
    """A SavedModel whose ``variables/variables.index`` is a symlink to ``/dev/zero``."""
    folder = saved_model(site.root / "vars_dev_zero", lambda tf, x, v: x * v, variables=True)
    index = folder / "variables" / "variables.index"
    index.unlink()
    index.symlink_to("/dev/zero")
    return folder


def state_file_device(site: Site) -> Path:
    """A checkpoint folder whose ``checkpoint`` state file is a symlink to ``/dev/zero``."""
    tf, v1 = tf_v1()
    folder = site.root / "state_dev_zero"
    g = tf.Graph()
    with g.as_default(), v1.Session(graph=g) as s:
        x = v1.placeholder(tf.float32, [None], name="x")
        v = v1.Variable(3.0, name="v", use_resource=False)
        tf.identity(x * v, name="y")
        s.run(v.initializer)
        v1.train.Saver([v]).save(s, str(folder / "model"))
    (folder / "checkpoint").unlink()
    (folder / "checkpoint").symlink_to("/dev/zero")
    return folder


# -- faults --------------------------------------------------------------------------------------


def self_recursive(site: Site) -> Path:
    """A frozen graph whose library function calls itself (TF segfaults running it)."""
    from tensorflow.core.framework import graph_pb2

    tf, v1 = tf_v1()
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None], name="x")

        @tf.function
        def f(a):
            return a * 2.0

        tf.identity(f(x), name="y")
    gd = graph_pb2.GraphDef()
    gd.CopyFrom(g.as_graph_def())
    fn = gd.library.function[0]
    name = fn.signature.name
    mul = next(n for n in fn.node_def if n.op == "Mul")
    call = fn.node_def.add(name="again", op="StatefulPartitionedCall", input=[mul.name + ":z:0"])
    call.attr["f"].func.name = name
    call.attr["Tin"].list.type.append(1)
    call.attr["Tout"].list.type.append(1)
    ret = next(iter(fn.ret))
    fn.ret[ret] = "again:output:0"
    p = site.root / "self_recursive" / "model.pb"
    p.parent.mkdir()
    p.write_bytes(gd.SerializeToString())
    return p


def endless_loop(site: Site) -> Path:
    """A frozen graph whose v1 while loop never ends (``session.run`` would hang)."""
    tf, v1 = tf_v1()
    g = tf.Graph()
    with g.as_default(), v1_control_flow():
        x = v1.placeholder(tf.float32, [None], name="x")
        _, y = tf.while_loop(
            lambda i, a: tf.logical_or(i >= 0, i < 0), lambda i, a: (i + 1, a + 1.0), [0, x]
        )
        tf.identity(y, name="y")
    p = site.root / "endless_loop" / "model.pb"
    p.parent.mkdir()
    p.write_bytes(g.as_graph_def().SerializeToString())
    return p


def nested_cond(site: Site, depth: int = 50) -> Path:
    """A valid SavedModel: ``depth`` v1 ``tf.cond`` nested inside each other."""

    def body(tf, x):
        with v1_control_flow():

            def nest(a, k):
                if k == 0:
                    return a + 1.0
                return tf.cond(tf.reduce_sum(a) > -1e9, lambda: nest(a * 1.0, k - 1), lambda: a)

            return nest(x, depth)

    return saved_model(site.root / f"nested_cond_{depth}", body)


def mismatched_checkpoint(site: Site) -> Path:
    """A SavedModel whose variables/ holds ``v`` of shape [3] while the graph says [2]."""
    tf, v1 = tf_v1()
    folder = saved_model(site.root / "mismatched_ckpt", lambda tf, x, v: x * v, variables=True)
    g = tf.Graph()
    with g.as_default(), v1.Session(graph=g) as s:
        v = v1.Variable([1.0, 2.0, 3.0], name="v", use_resource=False)
        s.run(v.initializer)
        v1.train.Saver([v]).save(s, str(folder / "variables" / "variables"), write_meta_graph=False)
    for p in (folder / "variables").iterdir():
        if p.name == "checkpoint":
            p.unlink()
    return folder


def huge_fill(site: Site) -> Path:
    """``y = x + Fill([2**40], 1.0)``: 4 TiB if it were allocated."""

    def body(tf, x):
        big = tf.fill(tf.constant([2**20, 2**20], tf.int64), 1.0, name="big")
        return x + tf.reduce_sum(big)

    return saved_model(site.root / "huge_fill", body)


def huge_placeholder(site: Site) -> Path:
    """A placeholder of shape ``[-1, 10**9]``: one sampled row is 4 GB."""
    tf, v1 = tf_v1()
    folder = site.root / "huge_placeholder"
    g = tf.Graph()
    with g.as_default(), v1.Session(graph=g) as s:
        x = v1.placeholder(tf.float32, [None, 10**9], name="x")
        y = tf.reduce_sum(x, axis=1, name="y")
        b = v1.saved_model.Builder(str(folder))
        sig = v1.saved_model.predict_signature_def(inputs={"x": x}, outputs={"y": y})
        b.add_meta_graph_and_variables(s, ["serve"], signature_def_map={"serving_default": sig})
        b.save()
    return folder


READ_DOORS = {
    "asset_traversal": asset_traversal,
    "asset_absolute": asset_absolute,
    "asset_symlink": asset_symlink,
    "table_constant_path": table_constant_path,
    "whole_file_reader": whole_file_reader,
    "text_line_dataset": text_line_dataset,
    "restore_rewired": restore_rewired,
}
WRITE_DOORS = {
    "debug_identity": debug_identity,
    "second_saver": second_saver,
    "saver_in_function": saver_in_function,
    "cache_dataset": cache_dataset,
    "dataset_to_tfrecord": dataset_to_tfrecord,
    "loop_saver": loop_saver,
}
