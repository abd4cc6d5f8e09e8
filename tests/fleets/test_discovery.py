"""Finding a fleet's models by the loader's rules, their names, fingerprints and config."""

from __future__ import annotations

import json
import os

import pytest

from explorer.errors import ExplorerError, ModelNotFoundError
from explorer.fleets.workers import discover, jobs, names, read_config


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A zoo: a SavedModel (with variables/ and a stray .pb in assets/), a checkpoint folder, a
    folder of two frozen graphs and a .meta, an export base, a linked folder and a link loop."""
    root = tmp_path_factory.mktemp("zoo")
    files = [
        "team a/sm/saved_model.pb",
        "team a/sm/variables/variables.index",
        "team a/sm/assets/vocab.pb",
        "ckpt/checkpoint",
        "ckpt/model.meta",
        "graphs/a.pb",
        "graphs/b.pbtxt",
        "graphs/c.meta",
        "graphs/c.index",
        "graphs/notes.txt",
        "export/base/1646/saved_model.pb",
        ".hidden/x.pb",
    ]
    for f in files:
        (root / f).parent.mkdir(parents=True, exist_ok=True)
        (root / f).write_bytes(b"x")
    os.symlink(root / "graphs", root / "linked")
    os.symlink(root, root / "export" / "loop")
    return root


def test_discovery_finds_each_model_once_and_never_looks_into_one(tree):
    found = discover(tree)
    rel = [str(p.relative_to(tree)) for p in found]
    assert rel == [
        "ckpt",
        "export/base/1646",
        "graphs/a.pb",
        "graphs/b.pbtxt",
        "graphs/c.meta",
        "team a/sm",
    ]
    named = names(found)
    assert named[tree / "team a/sm"] == "team_a__sm"
    assert named[tree / "graphs/a.pb"] == "graphs__a.pb"
    assert len(set(named.values())) == len(found)
    listed = tree / "some.list"
    listed.write_text("# two of them\nckpt\n\ngraphs\n")
    assert [p.name for p in discover(listed)] == ["ckpt", "a.pb", "b.pbtxt", "c.meta"]
    assert discover(tree / "graphs/a.pb") == [tree / "graphs/a.pb"]
    assert names([tree / "graphs/a.pb"]) == {tree / "graphs/a.pb": "a.pb"}
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        discover(tree / "nothing")


def test_names_stay_unique_and_safe(tmp_path):
    models = [tmp_path / "a b" / "m.pb", tmp_path / "a_b" / "m.pb", tmp_path / ".x\x1b" / "m.pb"]
    named = names(models)
    assert named[models[0]] == "a_b__m.pb" and named[models[1]].startswith("a_b__m.pb_")
    assert named[models[2]] == "x___m.pb" and len(set(named.values())) == 3


def test_fingerprint_follows_files_and_options_and_config_overrides(tree, tmp_path):
    conf = tmp_path / "fleet.toml"
    conf.write_text(
        'options = ["--batches", "2"]\ntimeout = 60\n'
        f'[models."{tree}/graphs/a.pb"]\noptions = ["--outputs", "y:0"]\ntimeout = 5\n'
    )
    models = [tree / "graphs/a.pb", tree / "ckpt"]
    a, ck = jobs(models, ["--atol", "1e-4"], read_config(conf), timeout=100)
    assert a.options == ["--atol", "1e-4", "--batches", "2", "--outputs", "y:0"]
    assert (a.timeout, ck.timeout, ck.options[-1]) == (5.0, 60.0, "2")
    before = a.fingerprint(), ck.fingerprint()
    os.utime(tree / "ckpt/model.meta", ns=(1, 1))
    (a2,) = jobs(models[:1], [], {})
    assert a.fingerprint() == before[0] and ck.fingerprint() != before[1]
    assert a2.fingerprint() != before[0]  # other options
    as_json = tmp_path / "fleet.json"
    as_json.write_text(json.dumps({"models": {"../x.pb": {"timeout": 3}}}))
    assert read_config(as_json)["models"] == {(tmp_path.parent / "x.pb").resolve(): {"timeout": 3}}
    as_json.write_text("{")
    with pytest.raises(ExplorerError, match="cannot read the fleet config"):
        read_config(as_json)
