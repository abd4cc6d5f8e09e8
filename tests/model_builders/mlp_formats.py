"""The example MLP (:mod:`explorer.examples.models`) in every format the loader reads."""

from __future__ import annotations

import os
from pathlib import Path

from explorer._tf import tf
from explorer.examples import models
from explorer.examples.models import mlp_session

MLP_FORMATS = (
    "saved_model",  # SavedModelBuilder, tag "serve", signature serving_default
    "two_tags",  # SavedModelBuilder with tag sets {serve} and {train}
    "simple_save",  # tf.compat.v1.saved_model.simple_save
    "frozen_pb",  # frozen binary GraphDef
    "frozen_pbtxt",  # frozen text GraphDef
    "checkpoint_v2",  # .meta + V2 checkpoint (.index/.data) + checkpoint state file
    "checkpoint_v1",  # .meta + V1 checkpoint (single file)
)


def build_mlp(out_dir: str | os.PathLike[str], fmt: str = "saved_model", seed: int = 0) -> Path:
    """Write the example MLP in format ``fmt`` (one of :data:`MLP_FORMATS`); the path to load."""
    if fmt in models.EXAMPLE_FORMATS:
        return models.build_mlp(out_dir, fmt, seed)
    if fmt not in MLP_FORMATS:
        raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(MLP_FORMATS)}")
    v1 = tf().compat.v1
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with mlp_session(seed) as (sess, t):
        if fmt == "two_tags":
            builder = v1.saved_model.Builder(str(out))
            sig = v1.saved_model.predict_signature_def(
                inputs={"x": t["x"]}, outputs={"probs": t["probs"], "logits": t["logits"]}
            )
            builder.add_meta_graph_and_variables(
                sess, ["serve"], signature_def_map={"serving_default": sig}
            )
            builder.add_meta_graph(["train"], signature_def_map={"serving_default": sig})
            builder.save()
            return out
        if fmt == "simple_save":
            outputs = {"probs": t["probs"]}
            v1.saved_model.simple_save(sess, str(out), inputs={"x": t["x"]}, outputs=outputs)
            return out
        out.mkdir(parents=True, exist_ok=True)
        frozen = v1.graph_util.convert_variables_to_constants(
            sess, sess.graph.as_graph_def(), ["probs", "logits/BiasAdd"]
        )
        tf().io.write_graph(frozen, str(out), "frozen.pbtxt", as_text=True)
        return out / "frozen.pbtxt"
