"""Only regular files are opened: a model file, checkpoint, state file or asset that is a device,
a FIFO or a symlink out of the model folder is refused by name before anything reads it; a model
file larger than protobuf can hold is refused by its size."""

from __future__ import annotations

import os

import numpy as np
import pytest

import explorer
from explorer.cli import main
from explorer.loading.validation import PROTO_MAX_BYTES, require_regular, special_kind
from tests.contracts import hostile_models as H


@pytest.fixture()
def site(tmp_path):
    return H.Site(tmp_path)


def test_special_kind_names_what_a_path_is(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert special_kind(fifo) == "FIFO (named pipe)"
    assert special_kind("/dev/zero") == "character device"
    assert special_kind(tmp_path) == "folder"
    assert special_kind(tmp_path / "missing") is None
    (tmp_path / "f").write_text("x")
    assert special_kind(tmp_path / "f") is None


@pytest.mark.timeout(120)
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_pb_linked_to_a_device_is_refused_by_name(site, device):
    p = H.frozen_symlink_to(site, device)
    with pytest.raises(
        explorer.errors.ModelFormatError, match=rf"model\.pb \(a link to {device}\) is a "
    ):
        explorer.load(p)


@pytest.mark.timeout(120)
def test_fifo_and_saved_model_pb_device_do_not_hang(site, capsys):
    with pytest.raises(
        explorer.errors.ModelFormatError, match=r"FIFO \(named pipe\), not a regular"
    ):
        explorer.load(H.fifo_pb(site))
    folder = H.saved_model_pb_device(site)
    assert main(["inspect", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "saved_model.pb (a link to /dev/zero) is a character device" in err[0]


def test_files_linked_out_of_the_model_folder_are_refused(site):
    with pytest.raises(
        explorer.errors.ModelFormatError, match=r"symbolic link to .*outside the model"
    ):
        explorer.load(H.saved_model_pb_outside(site))


def test_checkpoint_and_state_file_devices_are_refused(site):
    with pytest.raises(
        explorer.errors.ModelFormatError, match=r"variables\.index \(a link to /dev/zero"
    ):
        explorer.load(H.variables_index_device(site))
    with pytest.raises(
        explorer.errors.ModelFormatError, match=r"checkpoint \(a link to /dev/zero\)"
    ):
        explorer.load(H.state_file_device(site))


def test_model_file_larger_than_protobuf_is_refused_by_size(tmp_path):
    p = tmp_path / "big.pb"
    with open(p, "wb") as f:
        f.truncate(PROTO_MAX_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(
        explorer.errors.ModelFormatError, match=r"big\.pb is 2,147,483,648 bytes, more"
    ):
        explorer.load(p)
    with pytest.raises(explorer.errors.ModelFormatError, match="more than a GraphDef can hold"):
        require_regular(p, "GraphDef", max_bytes=PROTO_MAX_BYTES)


def test_asset_linked_to_a_device_is_refused_even_when_allowed(site):
    """The table would be filled from /dev/zero (bad_alloc, a dead process): the scan says so
    and the session refuses it whatever allow_unsafe says."""
    model = explorer.load(H.asset_device(site))
    (f,) = explorer.scan(model).by_rule("asset-file")
    assert "a character device, not a regular file" in f.message and f.unsafe
    for allow in (False, True):
        with pytest.raises(explorer.ExplorerError, match="vocab.txt"):
            explorer.ModelSession(model, allow_unsafe=allow)
    with pytest.raises(explorer.errors.ModelFormatError, match="is a character device"):
        explorer.convert(model, allow_unsafe=True)


def test_regular_files_inside_the_folder_still_load(site):
    folder = H.saved_model(site.root / "plain", lambda tf, x: x * 2.0)
    with explorer.V1Runner(explorer.load(folder)) as r:
        np.testing.assert_array_equal(r.infer({"x": np.ones(2, np.float32)})["y"], [2.0, 2.0])
