"""A reference that the written script records (TF 2.21 in v1 mode, one subprocess for all)
proves the conversion of every shared model the script can load; the others are skipped, saying
why (custom ops stock TensorFlow lacks, sparse tensors the script does not record)."""

from __future__ import annotations

from pathlib import Path

import pytest
import tensorflow as tf

import explorer
from explorer.errors import ParityError
from tests.comparing.test_reference import run_scripts
from tests.shared_models import MODELS, SharedModel, params


def _io(m: SharedModel) -> dict[str, list[str]]:
    """The signatures (all), else the curated inputs and outputs."""
    return {} if m.signatures else {"inputs": list(m.inputs), "outputs": list(m.outputs)}


@pytest.fixture(scope="module")
def recorded(shared_models, tmp_path_factory) -> dict[str, Path | str]:
    """Model name -> its recorded reference.npz, or why none was recorded."""
    base = tmp_path_factory.mktemp("shared_refs")
    out: dict[str, Path | str] = {}
    for m in MODELS:
        if not m.runs:
            out[m.name] = f"needs the custom ops {', '.join(m.custom_ops)}"
            continue
        try:
            folder = explorer.reference(m.path, base / m.name, explorer.Sampled(1), **_io(m))
        except ParityError as e:
            out[m.name] = str(e)
            continue
        out[m.name] = folder / "reference.npz"
    failed = run_scripts([p.with_name("reference.py") for p in out.values() if isinstance(p, Path)])
    out.update({script.parent.name: f"the script failed: {why}" for script, why in failed.items()})
    return out


@pytest.mark.parametrize("shared", params())
def test_a_reference_proves_each_shared_model_the_script_loads(recorded, shared):
    ref = recorded[shared.name]
    if isinstance(ref, str):
        assert "\n" not in ref
        pytest.skip(f"no reference of {shared.name}: {ref}")
    v2 = explorer.convert(shared.path, **_io(shared))
    summary = explorer.parity(shared.path, v2, reference=ref, **_io(shared))
    assert summary.passed, summary.to_json()
    assert set(summary.reports) == set(shared.signatures or ["serving_default"])
    for report in summary.reports.values():
        assert report.reference["tf_version"] == tf.__version__
        assert report.reference["drift"].keys() == report.outputs.keys()
        assert all(d["status"] == "passed" for d in report.reference["drift"].values())


def test_the_models_without_a_reference_are_those_expected(recorded):
    """Only the custom-op model and the all-sparse eval graph have none, each saying why."""
    missing = {name: why for name, why in recorded.items() if isinstance(why, str)}
    assert set(missing) == {"haidi_deepmd_cu_frozen", "tfx_chicago_taxi_eval"}
    assert "DescrptSeA" in missing["haidi_deepmd_cu_frozen"]
    assert (
        "sparse: the reference script records dense tensors only"
        in missing["tfx_chicago_taxi_eval"]
    )
