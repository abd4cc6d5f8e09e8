"""``python reference.py [MODEL]`` (TensorFlow 1.4-1.15 or 2.x, numpy, Python 3.5+; written by
tf1-explorer) runs each target on each batch of feeds.npz beside it and writes reference.npz: the
outputs, TensorFlow and Python versions, CPU flags and the feeds' sha256, for ``--reference``."""

import argparse
import hashlib
import json
import os
import platform

import numpy as np
from google.protobuf import text_format

CONFIG = {}  # filled in by tf1-explorer: the model, its format and each target's tensors


def entry(target, batch, kind, index):
    """The npz name of a target's batch's input (``kind`` "i") or output ("o") ``index``."""
    return "t" + str(target) + ".b" + str(batch) + "." + kind + str(index)


def pack(arrays):
    """name -> array as npz entries without pickles: strings as their bytes and ``name.len``."""
    out = {}
    for name, value in arrays.items():
        a = np.asarray(value)
        if a.dtype.kind in "OSU":
            items = [x.encode("utf-8") if isinstance(x, str) else bytes(x) for x in a.reshape(-1)]
            out[name + ".len"] = np.array([len(x) for x in items], np.int64).reshape(a.shape)
            a = np.frombuffer(b"".join(items), np.uint8)
        out[name] = a
    return out


def unpack(npz, name):
    """Array ``name`` of an npz written through :func:`pack` (strings: an object array of bytes)."""
    if name + ".len" not in npz.files:
        return npz[name]
    lengths, data = npz[name + ".len"], npz[name].tobytes()
    out = np.empty(lengths.size, dtype=object)
    out[:] = [data[end - n : end] for n, end in zip(lengths.reshape(-1), np.cumsum(lengths))]
    return out.reshape(lengths.shape)


def cpu_flags():
    if os.path.isfile("/proc/cpuinfo"):
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.split(":")[0].strip() in ("flags", "Features"):
                    return line.split(":", 1)[1].strip()
    return platform.machine() + " " + platform.processor()


def model_file(path, suffixes, first=""):
    """``path``, or in the folder ``path``: ``first`` if there, else its one ``suffixes`` file."""
    if not os.path.isdir(path):
        return path
    if os.path.isfile(first):
        return first
    found = [os.path.join(path, n) for n in sorted(os.listdir(path)) if n.endswith(suffixes)]
    if len(found) != 1:
        raise SystemExit(path + ": give the model's " + " or ".join(suffixes) + " file")
    return found[0]


def session(tf, path):
    """A v1 session holding the model at ``path``, loaded the way this release can."""
    v1 = tf.compat.v1 if hasattr(getattr(tf, "compat", None), "v1") else tf
    graph = tf.Graph()
    sess = v1.Session(graph=graph, config=v1.ConfigProto(allow_soft_placement=True))
    with graph.as_default():
        if CONFIG["format"] == "saved_model":
            v1.saved_model.loader.load(sess, CONFIG["tags"], path, clear_devices=True)
        elif CONFIG["format"] == "frozen_graph":
            graph_def, path = v1.GraphDef(), model_file(path, (".pb", ".pbtxt"))
            with open(path, "rb") as f:
                data = f.read()
            if path.endswith("txt"):
                text_format.Merge(data.decode("utf-8"), graph_def)
            else:
                graph_def.ParseFromString(data)
            v1.import_graph_def(graph_def, name="")
        else:  # a .meta and its checkpoint (the prefix relative to the model's folder)
            base = path if os.path.isdir(path) else os.path.dirname(path)
            prefix = os.path.join(base, CONFIG["prefix"]) if CONFIG["prefix"] else ""
            saver = v1.train.import_meta_graph(
                model_file(path, (".meta",), prefix + ".meta"), clear_devices=True
            )
            if saver is not None and prefix:
                saver.restore(sess, prefix)
            sess.run(v1.tables_initializer())
    return sess


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("model", nargs="?", default=CONFIG["model"], help="the model's path")
    parser.add_argument("--out", default=os.path.join(here, "reference.npz"))
    args = parser.parse_args(argv)
    import tensorflow as tf

    with open(os.path.join(here, "feeds.npz"), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    feeds, outputs = np.load(os.path.join(here, "feeds.npz")), {}
    for t, target in enumerate(CONFIG["targets"]):
        with session(tf, args.model) as sess:  # each target from fresh state, as parity runs it
            fetch = [name for _, name in target["outputs"]]
            for b in range(target["batches"]):
                fed = [unpack(feeds, entry(t, b, "i", i)) for i in range(len(target["inputs"]))]
                got = sess.run(fetch, dict(zip([name for _, name in target["inputs"]], fed)))
                outputs.update((entry(t, b, "o", k), v) for k, v in enumerate(got))
    meta = {"config": CONFIG, "tf_version": tf.__version__, "python": platform.python_version()}
    meta.update(cpu=cpu_flags(), feeds_sha256=digest, model=os.path.abspath(args.model))
    tmp = args.out + ".tmp.npz"
    np.savez(tmp, meta=np.array(json.dumps(meta)), **pack(outputs))
    os.rename(tmp, args.out)
    print("wrote " + args.out + " (TensorFlow " + tf.__version__ + ")")


if __name__ == "__main__":
    main()
