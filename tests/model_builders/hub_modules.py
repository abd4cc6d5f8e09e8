"""The TF1 Hub modules tests load: the two the notebooks open (``explorer.examples.hub_modules``)
and a test-only one with several signatures and inputs."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from explorer._tf import tf
from explorer.examples.hub_modules import (
    VOCABULARY,
    build_image_feature_vector,
    build_text_embedding,
    const_init,
    export_module,
    import_hub,
)


def build_multi_signature(out_dir: str | os.PathLike[str], seed: int = 0) -> Path:
    """Write a module with several signatures and inputs: ``default`` (x), ``pair`` (a, b -> sum,
    dot, default), ``scaled`` (x and a scalar ``scale``), ``lookup`` (int64 ``ids`` into a 5-row
    table) and BERT's ``tokenization_info`` (no inputs -> ``vocab_file``, the path of the asset
    ``vocab.txt``, and ``do_lower_case``)."""
    t = tf()
    v1 = t.compat.v1
    rng = np.random.default_rng(seed)
    wv = rng.normal(0, 0.5, (3, 2)).astype(np.float32)
    table = rng.normal(0, 1.0, (5, 2)).astype(np.float32)
    vocab_dir = Path(tempfile.mkdtemp(prefix="hub-vocab-"))
    vocab_file = vocab_dir / "vocab.txt"
    vocab_file.write_text("[PAD]\n[UNK]\n" + "\n".join(VOCABULARY) + "\n")

    def module_fn() -> None:
        w = v1.get_variable("w", wv.shape, initializer=const_init(wv), use_resource=False)
        emb = v1.get_variable(
            "table", table.shape, initializer=const_init(table), use_resource=False
        )
        x = v1.placeholder(t.float32, [None, 3], name="x")
        import_hub().add_signature("default", x, t.matmul(x, w, name="project"))
        a = v1.placeholder(t.float32, [None, 3], name="a")
        b = v1.placeholder(t.float32, [None, 3], name="b")
        total = t.add(a, b, name="sum")
        dot = t.reduce_sum(a * b, axis=1, name="dot")
        import_hub().add_signature(
            "pair", {"a": a, "b": b}, {"sum": total, "dot": dot, "default": t.matmul(total, w)}
        )
        x2 = v1.placeholder(t.float32, [None, 3], name="x2")
        scale = v1.placeholder(t.float32, [], name="scale")
        import_hub().add_signature("scaled", {"x": x2, "scale": scale}, t.matmul(x2 * scale, w))
        ids = v1.placeholder(t.int64, [None], name="ids")
        import_hub().add_signature(
            "lookup", {"ids": ids}, {"default": t.gather(emb, ids, name="rows")}
        )
        path = t.constant(str(vocab_file), name="vocab_file")
        v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, path)
        lower = t.constant(True, name="do_lower_case")
        import_hub().add_signature(
            "tokenization_info", {}, {"vocab_file": path, "do_lower_case": lower}
        )

    try:
        return export_module(module_fn, Path(out_dir))
    finally:
        shutil.rmtree(vocab_dir, ignore_errors=True)


BUILDERS = {
    "text_embedding": build_text_embedding,
    "image_feature_vector": build_image_feature_vector,
    "multi_signature": build_multi_signature,
}
HUB_MODULES = tuple(BUILDERS)


def build_hub_modules(folder: str | os.PathLike[str], seed: int = 0) -> dict[str, Path]:
    """Build every module of ``HUB_MODULES`` under ``folder``; name -> module folder."""
    base = Path(folder)
    base.mkdir(parents=True, exist_ok=True)
    return {name: fn(base / name, seed) for name, fn in BUILDERS.items()}
