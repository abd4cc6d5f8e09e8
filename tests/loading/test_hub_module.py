"""TF1 Hub modules: the tfhub_module.pb marker, tag sets (set() by default), ModuleDef errors."""

from __future__ import annotations

import shutil

import pytest

import explorer
from explorer.errors import ModelFormatError, TagsError
from explorer.loading.model import HUB_MODULE, choose_tags, read_module_def


def test_format_tag_sets_and_default_tags(hub_modules):
    m = explorer.load(hub_modules["image_feature_vector"])
    assert m.format == HUB_MODULE == "tf1_hub_module"
    assert sorted(map(tuple, m.tag_sets)) == [(), ("train",)]
    assert m.tags == []  # hub.Module's default: the inference graph
    s = m.summary()
    assert s["format"] == "tf1_hub_module" and s["tags"] == [[], ["train"]]
    assert s["hub_module"] == {
        "format": 3,
        "required_features": [],
        "tags": [],
        "collections": {"regularization_losses": 1},
    }
    assert m.signature().name == "default"  # no serving_default: TF1 Hub's default
    assert set(m.signatures) == {"default", "image_feature_vector"}


@pytest.mark.parametrize("tags", ["", set(), [], ()])
def test_empty_tag_set_chosen_explicitly(hub_modules, tags):
    m = explorer.load(hub_modules["image_feature_vector"], tags=tags)
    assert m.tags == [] and "update_ops" not in m.summary()["hub_module"]["collections"]


@pytest.mark.parametrize("tags", ["train", {"train"}, ["train"]])
def test_train_tag_set_by_name(hub_modules, tags):
    m = explorer.load(hub_modules["image_feature_vector"], tags=tags)
    assert m.tags == ["train"]
    assert m.summary()["hub_module"]["collections"]["update_ops"] == 2
    assert "Mean" in m.op_types()  # batch statistics


def test_unknown_tags_name_the_choices(hub_modules):
    with pytest.raises(
        TagsError, match=r"no MetaGraph with tags gpu: choose one of set\(\); train"
    ):
        explorer.load(hub_modules["image_feature_vector"], tags="gpu")


def test_marker_file_and_single_tag_set(hub_modules):
    m = explorer.load(hub_modules["text_embedding"] / "tfhub_module.pb")
    assert m.format == HUB_MODULE and m.tag_sets == [[]]
    assert m.path == (hub_modules["text_embedding"] / "tfhub_module.pb").resolve()
    assert set(m.signatures) == {"default", "tokens"}
    assert m.signatures["tokens"].inputs["tokens"].kind == "sparse"
    assert list(m.assets.values())[0].endswith("assets/tokens.txt")


def test_module_def_bytes(tmp_path):
    f = tmp_path / "tfhub_module.pb"
    f.write_bytes(b"\x08\x03\x12\x04gpu!")
    assert read_module_def(f) == {"format": 3, "required_features": ["gpu!"]}
    f.write_bytes(b"\x08\x01")
    with pytest.raises(ModelFormatError, match="ModuleDef of format 1, not FORMAT_V3"):
        read_module_def(f)
    f.write_bytes(b"\x12\x09ab")
    with pytest.raises(ModelFormatError, match="is not a valid ModuleDef"):
        read_module_def(f)


def test_damaged_modules_are_one_line_errors(hub_modules, tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(hub_modules["multi_signature"], copy)
    (copy / "saved_model.pb").unlink()
    with pytest.raises(ModelFormatError, match="has tfhub_module.pb but no saved_model.pb"):
        explorer.load(copy)


def test_choose_tags_without_an_empty_set(tmp_path):
    from explorer.errors import AmbiguousModelError

    assert choose_tags(tmp_path, [["serve"]], None) == ["serve"]
    with pytest.raises(AmbiguousModelError, match="2 tag sets .*no empty one"):
        choose_tags(tmp_path, [["a"], ["b"]], None)


def test_asset_constants_hold_the_module_files(hub_modules):
    raw = (hub_modules["multi_signature"] / "saved_model.pb").read_bytes()
    assert b"SAVEDMODEL-ASSET" in raw  # what Module.export writes into the asset constants
    m = explorer.load(hub_modules["multi_signature"])
    value = m.node("vocab_file").attr["value"].tensor.string_val[0].decode()
    assert value == str(hub_modules["multi_signature"].resolve() / "assets" / "vocab.txt")
