"""Nothing lost: the source model is never written; outputs appear whole or not at all; an
existing output folder is replaced only with ``overwrite=True``, and only when explorer wrote it
(or it is empty)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

import explorer
from explorer.cli import main
from explorer.comparing.parity_check import Sampled
from tests.conftest import shared_model
from tests.helpers import snapshot

X = np.random.default_rng(3).normal(size=(2, 4)).astype(np.float32)


@pytest.fixture(scope="module")
def sources(tmp_path_factory, mlp_paths) -> dict[str, Path]:
    """Private copies of three MLP formats (the session-wide ones are shared with other tests)."""
    root = tmp_path_factory.mktemp("sources")
    out = {}
    for fmt in ("saved_model", "checkpoint_v1", "frozen_pb"):
        src = mlp_paths[fmt]
        folder = src if src.is_dir() else src.parent
        shutil.copytree(folder, root / fmt)
        out[fmt] = root / fmt / (src.name if not src.is_dir() else "")
    return out


def _every_step(path: Path, out_root: Path) -> None:
    model = explorer.load(path)
    with explorer.ModelSession(model) as s:
        s.run("probs:0", {"x:0": X})
    with explorer.V1Runner(model, inputs=["x:0"], outputs=["probs:0"]) as r:
        r.infer({"x:0": X})
    saved = explorer.convert(model).save(out_root / "converted")
    if model.signatures:
        assert explorer.parity(model, saved, source=Sampled(1))
    assert main(["run", str(path), "--inputs", "x:0", "--outputs", "probs:0", "--json"]) == 0
    assert main(["convert", str(path), str(out_root / "cli"), "--json"]) == 0


@pytest.mark.parametrize("fmt", ["saved_model", "checkpoint_v1", "frozen_pb"])
def test_source_files_unchanged_by_every_step(sources, tmp_path, fmt, capsys):
    before = snapshot(sources[fmt])
    _every_step(sources[fmt], tmp_path)
    if fmt == "saved_model":
        assert main(["migrate", str(sources[fmt]), str(tmp_path / "migrated"), "--json"]) in (0, 1)
    assert snapshot(sources[fmt]) == before


@pytest.mark.slow
def test_real_model_unchanged_by_load_run_convert_parity(tmp_path):
    src = shared_model("serving_half_plus_two")
    before = snapshot(src)
    model = explorer.load(src)
    with explorer.V1Runner(model) as r:
        r.infer({"x": np.array([[1.0]], np.float32)})
    saved = explorer.convert(model, "serving_default").save(tmp_path / "out")
    assert explorer.parity(model, saved, "serving_default", Sampled(1))
    assert snapshot(src) == before


def test_existing_output_is_left_untouched_without_overwrite(sources, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    model = explorer.load(sources["saved_model"])
    v2 = explorer.convert(model)
    with pytest.raises(explorer.errors.OutputExistsError, match=r"out exists: pass overwrite=True"):
        v2.save(out)
    for argv in (
        ["convert", str(sources["saved_model"]), str(out)],
        ["migrate", str(sources["saved_model"]), str(out)],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "exists" in err[0] and "--overwrite" in err[0]
    assert snapshot(out) == {"keep.txt": hashlib.sha256(b"mine").hexdigest()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary leftovers
    with pytest.raises(explorer.errors.OutputExistsError, match=r"not written by tf1-explorer"):
        v2.save(out, overwrite=True)  # a folder explorer did not write is never replaced
    assert snapshot(out) == {"keep.txt": hashlib.sha256(b"mine").hexdigest()}
    (out / "keep.txt").unlink()
    v2.save(out, overwrite=True)  # an empty folder, then explorer's own output, may be
    v2.save(out, overwrite=True)
    assert (out / "saved_model.pb").is_file() and not (out / "keep.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_failure_half_way_leaves_no_partial_output(sources, tmp_path):
    """The output folder's path is so long that SavedModel writing fails after it has begun
    (the temporary folder exists; the variables file cannot be created)."""
    v2 = explorer.convert(explorer.load(sources["saved_model"]))
    parent = tmp_path
    while len(str(parent)) < 4096 - 60:
        parent = parent / ("d" * max(1, min(200, 4096 - 60 - len(str(parent)) - 1)))
    parent.mkdir(parents=True)
    with pytest.raises(explorer.errors.ConversionError, match="writing the TF2 SavedModel of"):
        v2.save(parent / "out")
    assert list(parent.iterdir()) == []
