"""The one table of the shared real TF1 models (``../shared/models``, see its MANIFEST.md).

One record per model: its format, its curated inputs/outputs (from the source repository's own
inference code), its signatures, and what each verb is expected to do with it. Tests iterate the
table with :func:`params` (``@pytest.mark.parametrize("shared", params(lambda m: ...))``) and open
a model with ``shared.path`` (or :func:`shared_model` by name), which skips the test, saying why,
only where ``../shared/models`` is absent.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MODELS = Path(os.environ.get("TF1_SHARED_MODELS", ROOT.parent / "shared" / "models"))


@dataclass(frozen=True)
class Proves:
    """The verb passes; for ``migrate``: signature -> the outputs it proved (the JSON's
    ``proved``), for ``to_keras``: the Keras model matches the v1 session."""

    outputs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Refused:
    """The verb stops with one line holding ``words``."""

    words: str


@dataclass(frozen=True)
class Unproved:
    """The verb runs but proves nothing: exit 1, nothing written, these ``outputs`` of the
    report carry ``status`` and a reason holding ``words``."""

    status: str
    outputs: tuple[str, ...]
    words: str


@dataclass(frozen=True)
class SharedModel:
    """One shared model; an outcome of None is not asserted by the tests that iterate a verb."""

    name: str
    format: str  # what ``explorer.load`` reports: saved_model, checkpoint, frozen_graph
    # MANIFEST.md's section: "project" (the serving/tf2onnx/tfx projects' own test data),
    # "individual" (individual authors' artifacts), "multi-head" (multi-head graphs)
    kind: str
    inputs: tuple[str, ...] = ()  # the curated I/O of MANIFEST.md
    outputs: tuple[str, ...] = ()
    signatures: tuple[str, ...] = ()
    migrate: Proves | Refused | Unproved | None = None  # ``migrate MODEL OUT`` with no flags
    # the inputs and outputs ``suggest`` ranks first (in any order); () is not checked
    ranks_first: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    keras_args: Mapping[str, object] = field(default_factory=dict)  # ``to_keras`` keywords
    to_keras: Proves | Refused | None = None
    custom_ops: tuple[str, ...] = ()  # op types stock TensorFlow lacks (a library defines them)
    # an open issue's known failure of a run on sampled feeds with no flags: the tests expect it
    # (strict xfail), so the day it is fixed they say so
    sampled_run_fails: str = ""

    @property
    def path(self) -> Path:
        return shared_model(self.name)

    @property
    def runs(self) -> bool:
        """Stock TensorFlow runs it (no custom op library is needed)."""
        return not self.custom_ops


def _sig(*outputs: str) -> Proves:
    """``migrate`` proves ``outputs`` as the one signature it writes (serving_default)."""
    return Proves({"serving_default": outputs})


_HALF_PLUS_TWO = {
    "classify_x_to_y": ("y:0",),
    "regress_x2_to_y3": ("y3:0",),
    "regress_x_to_y": ("y:0",),
    "regress_x_to_y2": ("y2:0",),
    "serving_default": ("y:0",),
}

MODELS: tuple[SharedModel, ...] = (
    SharedModel(
        "serving_half_plus_two",
        "saved_model",
        "project",
        ("x:0",),
        ("y:0",),
        tuple(_HALF_PLUS_TWO),
        migrate=Proves(_HALF_PLUS_TWO),
        ranks_first=(("x:0",), ("y:0",)),
        keras_args={"signature": "serving_default"},
        to_keras=Proves(),
    ),
    SharedModel(
        "serving_counter",
        "saved_model",
        "project",
        signatures=("get_counter", "incr_counter", "incr_counter_by", "reset_counter"),
        migrate=Proves(
            {
                "get_counter": ("counter:0",),
                "incr_counter": ("incr_counter_op/AssignAdd:0",),
                "incr_counter_by": ("incr_counter_by_op/AssignAdd:0",),
                "reset_counter": ("reset_counter_op/Assign:0",),
            }
        ),
        ranks_first=(("delta:0",), ()),
        keras_args={"signature": "incr_counter"},
        to_keras=Refused("updates a variable at each call"),
    ),
    SharedModel(
        "serving_half_plus_two_gpu",
        "saved_model",
        "project",
        ("x:0",),
        ("y:0",),
        ("classify_x2_to_y3", *_HALF_PLUS_TWO),
        migrate=Proves({"classify_x2_to_y3": ("y3:0",), **_HALF_PLUS_TWO}),
        ranks_first=(("x:0",), ("y:0",)),
        keras_args={"signature": "serving_default"},
        to_keras=Proves(),
    ),
    SharedModel(
        "serving_no_signatures_checkpoint",
        "checkpoint",
        "project",
        ("Placeholder:0",),
        ("Add:0",),
        migrate=_sig("Add:0"),
        ranks_first=(("Placeholder:0",), ("Add:0",)),
        keras_args={"inputs": ["Placeholder:0"], "outputs": ["Add:0"]},
        to_keras=Proves(),
    ),
    SharedModel(
        "tf2onnx_regression_frozen",
        "frozen_graph",
        "project",
        ("X:0",),
        ("pred:0",),
        migrate=_sig("pred:0"),
        ranks_first=(("X:0",), ("pred:0",)),
        keras_args={"inputs": ["X:0"], "outputs": ["pred:0"]},
        to_keras=Proves(),
    ),
    SharedModel(
        "tf2onnx_regression_checkpoint",
        "checkpoint",
        "project",
        ("X:0",),
        ("pred:0",),
        migrate=_sig("pred:0"),
        ranks_first=(("X:0",), ("pred:0",)),
    ),
    SharedModel(
        "tf2onnx_regression_saved_model",
        "saved_model",
        "project",
        ("X:0",),
        ("pred:0",),
        ("serving_default",),
        migrate=_sig("pred:0"),
        ranks_first=(("X:0",), ("pred:0",)),
        to_keras=Proves(),
    ),
    SharedModel(
        "tf2onnx_fc_layers_frozen",
        "frozen_graph",
        "project",
        ("X:0",),
        ("output:0",),
        migrate=_sig("output:0"),
        ranks_first=(("X:0",), ("output:0",)),
    ),
    SharedModel(
        "tfx_chicago_taxi_serving",
        "saved_model",
        "project",
        signatures=("classification", "predict", "regression", "serving_default"),
        migrate=Proves(
            {
                "classification": ("head/Tile:0", "head/predictions/probabilities:0"),
                "predict": tuple(
                    f"head/predictions/{n}:0"
                    for n in ("Tile", "Tile_1", "ExpandDims", "str_classes", "logistic")
                )
                + ("add:0", "head/predictions/probabilities:0"),
                "regression": ("head/predictions/logistic:0",),
                "serving_default": ("head/Tile:0", "head/predictions/probabilities:0"),
            }
        ),
        ranks_first=(("input_example_tensor:0",), ()),
        to_keras=Refused("needs constants"),
    ),
    SharedModel(
        "tfx_chicago_taxi_eval",
        "saved_model",
        "project",
        signatures=("eval",),
        # the metrics' values are fetched with their update ops in one call: TF1 leaves the order
        # of the read and the write open, so no comparison of that call can prove them
        migrate=Unproved(
            "nondeterministic",
            tuple(
                f"metrics/{m}/value"
                for m in ("accuracy", "accuracy_baseline", "auc", "auc_precision_recall")
                + ("average_loss", "label/mean", "precision", "prediction/mean", "recall")
            ),
            "TF1 leaves its value open: it reads head/metrics/",
        ),
        ranks_first=(("input_example_tensor:0",), ()),
        to_keras=Refused("no sample value for input"),
    ),
    SharedModel(
        "agent007_speech_frozen",
        "frozen_graph",
        "individual",
        ("wav_data:0",),
        ("labels_softmax:0",),
        migrate=_sig("labels_softmax:0"),
        keras_args={"inputs": ["wav_data:0"], "outputs": ["labels_softmax:0"]},
        to_keras=Refused("input wav_data:0 is a scalar"),
    ),
    SharedModel(
        "chadpro_mnist_gan_ckpt",
        "checkpoint",
        "individual",
        ("z:0",),
        ("Tanh:0",),
        migrate=_sig("Tanh:0"),
        ranks_first=(("z:0",), ("Tanh:0",)),
        keras_args={"inputs": ["z:0"], "outputs": ["Tanh:0"]},
        to_keras=Proves(),
    ),
    SharedModel(
        "fije_neural_ibm1_ckpt",
        "checkpoint",
        "individual",
        ("Placeholder:0", "Placeholder_1:0"),
        ("Reshape_1:0", "Cast_4:0", "Cast_5:0"),
        # pruned (no sparse Adam to rewrite); the accuracy counts are heads fed the labels
        migrate=_sig("Reshape_1:0", "Cast_4:0", "Cast_5:0"),
        ranks_first=(("Placeholder:0", "Placeholder_1:0"), ("Reshape_1:0",)),
        keras_args={"inputs": ["Placeholder:0", "Placeholder_1:0"], "outputs": ["Reshape_1:0"]},
        to_keras=Refused("needs constants"),
    ),
    SharedModel(
        "haidi_deepmd_cu_frozen",
        "frozen_graph",
        "individual",
        ("t_coord:0", "t_type:0", "t_natoms:0", "t_box:0", "t_mesh:0"),
        ("o_energy:0", "o_force:0", "o_virial:0"),
        migrate=Refused("does not register: DescrptSeA, ProdForceSeA, ProdVirialSeA; ways on"),
        ranks_first=(
            ("t_coord:0", "t_type:0", "t_natoms:0", "t_box:0", "t_mesh:0"),
            ("o_energy:0", "o_force:0", "o_virial:0"),
        ),
        keras_args={
            "inputs": ["t_coord:0", "t_type:0", "t_natoms:0", "t_box:0", "t_mesh:0"],
            "outputs": ["o_energy:0"],
        },
        to_keras=Refused("does not register: DescrptSeA"),
        custom_ops=("DescrptSeA", "ProdForceSeA", "ProdVirialSeA"),
    ),
    SharedModel(
        "leanderlxz_seq2seq_ckpt",
        "checkpoint",
        "individual",
        ("input:0", "source_sequence_length:0", "target_sequence_length:0"),
        ("predictions:0",),
        migrate=_sig("decode_1/decoder/transpose:0", "predictions:0"),  # with its logits
        ranks_first=(
            ("input:0", "source_sequence_length:0", "target_sequence_length:0"),
            ("predictions:0",),
        ),
        keras_args={
            "inputs": ["input:0", "source_sequence_length:0", "target_sequence_length:0"],
            "outputs": ["predictions:0"],
        },
        to_keras=Refused("v1 while loop no RNN rule recognised"),
    ),
    # multi-head graphs: migrate proves every head (the mtcnn's scalar feeds: issue 24, feeding)
    SharedModel(
        "blaueck_mtcnn_pipeline_frozen",
        "frozen_graph",
        "multi-head",
        ("input:0", "min_size:0", "thresholds:0", "factor:0"),
        ("prob:0", "landmarks:0", "box:0"),
        migrate=_sig("prob:0", "landmarks:0", "box:0"),
    ),
    SharedModel(
        "minakhan01_ssd_frozen",
        "frozen_graph",
        "multi-head",
        ("image_tensor:0",),
        ("detection_boxes:0", "detection_scores:0", "detection_classes:0", "num_detections:0"),
        migrate=_sig(
            "detection_boxes:0", "detection_scores:0", "detection_classes:0", "num_detections:0"
        ),
    ),
)
BY_NAME = {m.name: m for m in MODELS}


def shared_model(name: str) -> Path:
    """The path of shared model ``name``; skips the test where it is absent."""
    p = SHARED_MODELS / name
    if not p.exists():
        pytest.skip(f"real TF1 model {name} not found at {p}")
    return p


def params(where: Callable[[SharedModel], object] = bool) -> list:
    """The table's models for which ``where(model)`` holds, as parametrize values named by model."""
    return [pytest.param(m, id=m.name) for m in MODELS if where(m)]
