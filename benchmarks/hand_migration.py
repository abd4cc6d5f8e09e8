"""The hand-written migration issue 26 measures ``migrate`` against: what a TensorFlow user writes
by hand for one model. Run the TF1 model in a v1 session on the feeds, freeze it, wrap the graph
with ``tf.compat.v1.wrap_function`` pruned to the target's tensors, save that as a TF2 SavedModel,
load it back fresh, run it on the same feeds and compare. No proof beyond ``allclose``, no report.

Run: ``python hand_migration.py REF_DIR OUT_DIR``, where ``REF_DIR`` is what ``tf1-explorer
reference MODEL REF_DIR`` wrote (its ``reference.py`` says the model, its format and the target's
tensors, and loads the model; ``feeds.npz`` holds the feeds).
"""

import importlib.util
import os
import sys

import numpy as np


def main(ref_dir: str, out_dir: str) -> None:
    spec = importlib.util.spec_from_file_location(
        "reference", os.path.join(ref_dir, "reference.py")
    )
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    import tensorflow as tf

    v1 = tf.compat.v1
    feeds = np.load(os.path.join(ref_dir, "feeds.npz"))
    target = ref.CONFIG["targets"][0]
    ins = [name for _, name in target["inputs"]]
    outs = [name for _, name in target["outputs"]]
    batches = [
        [ref.unpack(feeds, ref.entry(0, b, "i", i)) for i in range(len(ins))]
        for b in range(target["batches"])
    ]
    with ref.session(tf, ref.CONFIG["model"]) as sess:  # 1. the v1 run, 2. frozen
        want = [sess.run(outs, dict(zip(ins, fed))) for fed in batches]
        frozen = v1.graph_util.convert_variables_to_constants(
            sess, sess.graph.as_graph_def(), sorted({n.split(":")[0] for n in outs})
        )
    wrapped = v1.wrap_function(lambda: v1.import_graph_def(frozen, name=""), [])
    graph = wrapped.graph  # 3. pruned to the target, saved, loaded back fresh
    pruned = wrapped.prune(
        [graph.get_tensor_by_name(n) for n in ins], [graph.get_tensor_by_name(n) for n in outs]
    )
    module = tf.Module()
    module.run = pruned
    tf.saved_model.save(module, out_dir)
    loaded = tf.saved_model.load(out_dir)
    for fed, expected in zip(batches, want):  # 4. compared on the same feeds
        got = loaded.run(*[tf.constant(a) for a in fed])
        for g, w in zip(got, expected):
            np.testing.assert_allclose(np.asarray(g), w, rtol=1e-5, atol=1e-5)
    print(f"migrated {ref.CONFIG['model']} to {out_dir}: {len(batches)} batches agree")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
