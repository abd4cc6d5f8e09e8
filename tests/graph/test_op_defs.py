"""The op table: what TensorFlow registers, as data written once by a child process."""

from __future__ import annotations

import json

import pytest

from explorer.graph import runtime


@pytest.fixture(scope="module")
def table_dir(tmp_path_factory):
    """A cache folder holding a table built by a real child process (one TensorFlow import)."""
    folder = tmp_path_factory.mktemp("op_table")
    mp = pytest.MonkeyPatch()
    mp.setenv(runtime.CACHE_ENV, str(folder))
    try:
        runtime._load_or_build()
    finally:
        mp.undo()
    return folder


def test_the_table_is_tensorflows_registry(table_dir, monkeypatch):
    from tensorflow.python.framework import op_def_registry

    from explorer._tf import tf

    monkeypatch.setenv(runtime.CACHE_ENV, str(table_dir))
    table = runtime._load_or_build()  # read back from the files, no child this time
    assert table["version"] == tf().__version__ and "CPU" in table["devices"]
    assert len(table["ops"]) > 1000
    for op in ("MatMul", "Split", "Unique", "ParseExample", "VariableV2", "HashTableV2"):
        assert table["ops"][op] == op_def_registry.get(op), op
    assert "MyCustomSoftmax" not in table["ops"]
    names = sorted(p.name for p in table_dir.iterdir())
    key = runtime.cache_key()
    assert names == [f"{key}.json", f"op-defs-{key}.pb"]


def test_a_damaged_table_is_not_read(table_dir, tmp_path):
    key = runtime.cache_key()
    facts = json.loads((table_dir / f"{key}.json").read_text())
    data = (table_dir / f"op-defs-{key}.pb").read_bytes()
    (tmp_path / "ops.pb").write_bytes(data[: len(data) // 2])
    (tmp_path / "facts.json").write_text(json.dumps(facts))
    assert runtime._read(tmp_path / "ops.pb", tmp_path / "facts.json") is None
    assert runtime._read(tmp_path / "nope.pb", tmp_path / "facts.json") is None


def test_the_key_follows_visible_accelerators(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    none = runtime.cache_key()
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    assert runtime.cache_key() != none


def test_with_tensorflow_imported_the_live_registry_answers():
    from explorer._tf import tf

    tf()
    assert runtime.tf_loaded() and runtime.is_registered("MatMul")
    assert not runtime.is_registered("MyCustomSoftmax")
    assert runtime.tf_version() == tf().__version__ and "CPU" in runtime.device_types()


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(runtime.CACHE_ENV, str(tmp_path / "c"))
    assert runtime.cache_dir() == tmp_path / "c"
    monkeypatch.delenv(runtime.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert runtime.cache_dir() == tmp_path / "x" / "tf1-explorer"
