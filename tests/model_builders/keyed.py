"""A SavedModel whose keys carry given text (``y = 2 * x``): for tests of untrusted model text."""

from __future__ import annotations

from pathlib import Path


def build_keyed(path: Path, signature: str, input_key: str, output_key: str) -> Path:
    """The SavedModel at ``path``: ``signature`` maps ``{input_key: x}`` to ``{output_key: y}``."""
    from explorer._tf import tf

    t = tf()
    v1 = t.compat.v1
    g = t.Graph()
    with g.as_default(), v1.Session(graph=g) as sess:
        x = v1.placeholder(t.float32, [None, 3], name="x")
        y = t.identity(x * 2.0, name="y")
        predict = v1.saved_model.signature_def_utils.predict_signature_def
        sig = predict({input_key: x}, {output_key: y})
        builder = v1.saved_model.Builder(str(path))
        builder.add_meta_graph_and_variables(sess, ["serve"], signature_def_map={signature: sig})
        builder.save()
    return path
