"""The example TF1 Hub modules are what tensorflow_hub 0.15 writes, with TF1-era variables."""

from __future__ import annotations

import sys

import numpy as np

import explorer
from explorer.examples.hub_modules import VOCABULARY, import_hub, text_embedding_weights
from tests.model_builders.hub_modules import HUB_MODULES


def test_tensorflow_hub_imports_with_only_its_estimator_stubbed():
    hub = import_hub()
    assert hub.__version__ == "0.15.0" and hasattr(hub, "create_module_spec")
    assert sys.modules["tensorflow_hub.estimator"].__name__ == "tensorflow_hub.estimator"
    assert hub.Module.__module__ == "tensorflow_hub.module"  # the real hub.Module


def test_modules_on_disk(hub_modules):
    assert set(hub_modules) == set(HUB_MODULES)
    for path in hub_modules.values():
        assert (path / "tfhub_module.pb").read_bytes() == b"\x08\x03"  # ModuleDef FORMAT_V3
        assert (path / "saved_model.pb").is_file() and (path / "variables").is_dir()
    text = explorer.load(hub_modules["text_embedding"])
    assert [v.name for v in text.variables] == ["embeddings/part_0", "embeddings/part_1"]
    assert {v.kind for v in text.variables} == {"ref"}  # VariableV2, as TF1 wrote them
    assert (hub_modules["text_embedding"] / "assets" / "tokens.txt").read_text().split() == list(
        VOCABULARY
    )
    assert {"SparseSegmentSqrtN", "LookupTableFindV2", "StaticRegexReplace"} <= set(text.op_types())
    values = text.variables_dict()  # the two parts of the one checkpoint key "embeddings"
    emb = text_embedding_weights()
    np.testing.assert_array_equal(values["embeddings/part_0"], emb[:6])
    np.testing.assert_array_equal(values["embeddings/part_1"], emb[6:])
    image = explorer.load(hub_modules["image_feature_vector"], tags="train")
    assert "AssignSub" in image.op_types() and "VariableV2" in image.op_types()


def test_import_hub_without_pkg_resources():
    import subprocess

    code = (
        "import sys; sys.modules['pkg_resources'] = None\n"  # as setuptools >= 81 leaves it
        "from explorer.examples.hub_modules import import_hub\n"
        "hub = import_hub(); print(hub.__version__, sys.modules['pkg_resources'].__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-1500:]
    assert out.stdout.split() == ["0.15.0", "pkg_resources"]
