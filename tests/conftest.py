"""Shared fixtures: example TF1 models built once per test session, and the shared real models
(their table and paths: ``tests/shared_models.py``; helpers: ``tests/helpers.py``)."""

from __future__ import annotations

import fcntl
import json
import os
import sys
from pathlib import Path

import pytest

import explorer
from explorer.examples.hub_modules import import_hub
from tests.model_builders.heads import build_heads
from tests.model_builders.hub_modules import build_hub_modules
from tests.model_builders.mlp_formats import MLP_FORMATS, build_mlp
from tests.model_builders.training_graphs import build_training_graphs
from tests.shared_models import ROOT, SHARED_MODELS, shared_model

__all__ = ["ROOT", "shared_model"]  # the paths tests import from here

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items):
    """`make test` runs two pytest-xdist workers with ``--dist loadgroup``: each test file (a
    notebook's cells, a module's fixtures) stays on one worker, the browser tier on one worker
    with one JupyterLab. Without a group, loadgroup would hand out tests one by one."""
    for item in items:
        path = item.nodeid.split("::")[0]
        group = "browser" if path.startswith("tests/browser/") else path
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True)
def _tf2_defaults():
    """Builders switch TF1 control flow and reference variables on for the whole process; TF2's
    defaults go back after each test, so no test depends on which ran before it on its worker."""
    yield
    tf = sys.modules.get("tensorflow")
    if tf is not None and hasattr(tf, "compat"):
        tf.compat.v1.enable_control_flow_v2()
        tf.compat.v1.enable_resource_variables()


@pytest.fixture(scope="session")
def mlp_paths(tmp_path_factory) -> dict[str, Path]:
    """The example MLP in every TF1 format: format -> path for explorer.load."""
    base = tmp_path_factory.mktemp("mlp")
    return {fmt: build_mlp(base / fmt, fmt) for fmt in MLP_FORMATS}


@pytest.fixture(scope="module")
def mlp(mlp_paths) -> explorer.V1Model:
    """The example MLP SavedModel, loaded (signature serving_default: x -> probs, logits)."""
    return explorer.load(mlp_paths["saved_model"])


@pytest.fixture(scope="module")
def mlp_v2(mlp_paths) -> explorer.V2Model:
    """The example MLP SavedModel, converted (not saved)."""
    return explorer.convert(mlp_paths["saved_model"])


@pytest.fixture(scope="session")
def shared_models() -> Path:
    """``../shared/models`` (real TF1 artifacts); tests using it skip only where it is absent."""
    if not SHARED_MODELS.is_dir():
        pytest.skip(f"real TF1 models not found at {SHARED_MODELS}")
    return SHARED_MODELS


@pytest.fixture(scope="session")
def hub_modules(tmp_path_factory) -> dict[str, Path]:
    """The TF1 Hub modules (tests/model_builders/hub_modules.py), built once with
    tensorflow_hub 0.15's own hub.create_module_spec/Module.export: name -> module folder."""
    try:
        import_hub()
    except ImportError as e:
        pytest.skip(str(e))
    return build_hub_modules(tmp_path_factory.mktemp("hub"))


def built_once(tmp_path_factory, name: str, build) -> dict[str, Path]:
    """``build(folder)`` (name -> path) run once for all pytest-xdist workers of this run: the
    first to come builds under a lock in their common temp folder, the others read its paths."""
    root = tmp_path_factory.getbasetemp()
    root = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root
    done = root / f"{name}.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released on close
        if not done.is_file():
            paths = build(root / name)
            done.write_text(json.dumps({k: str(v) for k, v in paths.items()}))
    return {k: Path(v) for k, v in json.loads(done.read_text()).items()}


@pytest.fixture(scope="session")
def heads(tmp_path_factory) -> dict[str, Path]:
    """Graphs whose outputs are hard to choose (tests/model_builders/heads.py): name -> path."""
    return built_once(tmp_path_factory, "heads", build_heads)


@pytest.fixture(scope="session")
def training_graphs(tmp_path_factory) -> dict[str, Path]:
    """Training checkpoints with no export (GAN, DQN, seq2seq, Add-logits classifier, tf.data and
    queue-runner pipelines), built once in a child process: name -> checkpoint folder."""
    return built_once(tmp_path_factory, "training", build_training_graphs)
