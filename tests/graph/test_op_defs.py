"""The op table: what TensorFlow registers, as data written once by a child process."""

from __future__ import annotations

import json

import pytest

from explorer.graph import op_defs


@pytest.fixture(scope="module")
def table_dir(tmp_path_factory):
    """A cache folder holding a table built by a real child process (one TensorFlow import)."""
    folder = tmp_path_factory.mktemp("op_table")
    mp = pytest.MonkeyPatch()
    mp.setenv(op_defs.CACHE_ENV, str(folder))
    try:
        op_defs._load_or_build()
    finally:
        mp.undo()
    return folder


def test_the_table_is_tensorflows_registry(table_dir, monkeypatch):
    from tensorflow.python.framework import op_def_registry

    from explorer._tf import tf

    monkeypatch.setenv(op_defs.CACHE_ENV, str(table_dir))
    table = op_defs._load_or_build()  # read back from the files, no child this time
    assert table["version"] == tf().__version__ and "CPU" in table["devices"]
    assert len(table["ops"]) > 1000
    for op in ("MatMul", "Split", "Unique", "ParseExample", "VariableV2", "HashTableV2"):
        assert table["ops"][op] == op_def_registry.get(op), op
    assert "MyCustomSoftmax" not in table["ops"]
    names = sorted(p.name for p in table_dir.iterdir())
    key = op_defs.cache_key()
    assert names == [f"{key}.json", f"op-defs-{key}.pb"]


def test_a_damaged_table_is_not_read(table_dir, tmp_path):
    key = op_defs.cache_key()
    facts = json.loads((table_dir / f"{key}.json").read_text())
    data = (table_dir / f"op-defs-{key}.pb").read_bytes()
    (tmp_path / "ops.pb").write_bytes(data[: len(data) // 2])
    (tmp_path / "facts.json").write_text(json.dumps(facts))
    assert op_defs._read(tmp_path / "ops.pb", tmp_path / "facts.json") is None
    assert op_defs._read(tmp_path / "nope.pb", tmp_path / "facts.json") is None


def test_the_key_follows_visible_accelerators(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    none = op_defs.cache_key()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    assert op_defs.cache_key() != none


def test_with_tensorflow_imported_the_live_registry_answers():
    from explorer._tf import tf

    tf()
    assert op_defs.tf_loaded() and op_defs.is_registered("MatMul")
    assert not op_defs.is_registered("MyCustomSoftmax")
    assert op_defs.tf_version() == tf().__version__ and "CPU" in op_defs.device_types()


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(op_defs.CACHE_ENV, str(tmp_path / "c"))
    assert op_defs.cache_dir() == tmp_path / "c"
    monkeypatch.delenv(op_defs.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert op_defs.cache_dir() == tmp_path / "x" / "tf1-explorer"
