"""The generated ``model.py``: imports, ``build_model``, comments naming the TF1 ops."""

from __future__ import annotations

from tests.rewriting.helpers import const, freeze, rewrite_and_run


def test_generated_source_imports_only_keras(tmp_path):
    def body(tf, v1, rng):
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        return tf.matmul(x, const(tf, rng, 2, 2))

    rw = rewrite_and_run(freeze(tmp_path, "imports", body))
    imports = {
        ln.split()[1] for ln in rw.source.splitlines() if ln.startswith(("import ", "from "))
    }
    assert imports == {"os", "keras"}
    assert "def build_model(weights=WEIGHTS):" in rw.source
    assert "# Dense <- TF1 MatMul" in rw.source
