"""Keras 3: a converted model (any TF2 SavedModel) as a layer taking and returning dicts; unlike
``keras.layers.TFSMLayer``, its variables are weights and a ``.keras`` file holds the SavedModel.
Keras safe mode refuses them (a stored graph runs). Import this module before ``load_model``."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import keras

from explorer._tf import tf
from explorer.conversion.build import META_KEY, convert_hub_for_keras
from explorer.conversion.v2_model import V2Model, loaded_signature, read_meta
from explorer.errors import (
    ConversionError,
    FeedError,
    ModelNotFoundError,
    SignatureNotFoundError,
    first_line,
)
from explorer.feeding.feeds import key_mismatch
from explorer.graph.specs import TensorSpec
from explorer.loading.model import V1Model, is_hub_module, load
from explorer.output_policy import signals

_BUNDLE = "saved_model"  # folder inside the layer's .keras assets


def _owned_dir() -> str:
    """A temporary folder removed when the process exits."""
    with signals(hold=True):  # no signal between its making and its removal being due
        d = tempfile.mkdtemp(prefix="tf1-explorer-keras-")
        atexit.register(shutil.rmtree, d, ignore_errors=True)
    return d


def keras_layer(
    model_or_dir: V2Model | V1Model | str | os.PathLike[str],
    signature: str | None = None,
    *,
    trainable: bool = False,
    name: str | None = None,
) -> SavedModelLayer:
    """A Keras 3 layer running ``signature`` (default ``serving_default``; ``default`` for a TF1
    Hub module) of a :class:`~explorer.V2Model` (saved to a temporary folder), a TF2 SavedModel
    folder, or a TF1 Hub module (converted here, inference and ``train`` graphs together)."""
    hub = None
    if isinstance(model_or_dir, V1Model) and model_or_dir.module_info is not None:
        hub = model_or_dir  # a loaded TF1 Hub module
    elif isinstance(model_or_dir, V2Model):
        folder = model_or_dir.save(Path(_owned_dir()) / "model")
    else:
        folder = Path(model_or_dir).expanduser().resolve()
        hub = load(folder) if is_hub_module(folder) else None
    if hub is not None:  # inference and train graphs converted together
        folder = convert_hub_for_keras(hub, signature).save(Path(_owned_dir()) / "model")
    if (meta := hub_meta(folder)) is None:
        signature = signature or "serving_default"
        return SavedModelLayer(str(folder), signature, trainable=trainable, name=name)
    signature = signature or "default"  # converted from a TF1 Hub module
    train = meta.get("train_signatures", {}).get(signature)
    return HubModuleLayer(str(folder), signature, train, trainable=trainable, name=name)


@keras.saving.register_keras_serializable(package="tf1_explorer")
class SavedModelLayer(keras.layers.Layer):
    """One signature of a TF2 SavedModel folder as a Keras 3 layer (:func:`keras_layer`). On
    reload ``input_specs``/``output_specs`` (key -> ``{"shape", "dtype"}``) and ``variables``
    (weights' name/shape/dtype/trainable) rebuild it before the bundled SavedModel is read."""

    def __init__(
        self,
        filepath: str,
        signature: str = "serving_default",
        input_specs: dict[str, dict[str, Any]] | None = None,
        output_specs: dict[str, dict[str, Any]] | None = None,
        variables: list[dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("name") is None:
            kwargs["name"] = re.sub(r"\W", "_", signature) or "saved_model"
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.filepath = str(filepath)
        self.signature = signature
        self._loaded = self._fn = self._source_dir = self._pending_values = None
        self.input_specs = self.output_specs = None  # key -> {"shape", "dtype"}
        self._wrappers: list[Any] = []
        if input_specs is None or output_specs is None:
            self._load(self.filepath)
        else:  # stand-in weights until load_assets reads the SavedModel (the optimizer sees them)
            self.input_specs, self.output_specs = dict(input_specs), dict(output_specs)
            self._wrappers = [self._new_weight(**spec) for spec in variables or []]
        self.built = True

    def _load(self, folder: str) -> None:
        t = tf()
        if not any((Path(folder) / f).exists() for f in ("saved_model.pb", "saved_model.pbtxt")):
            raise ModelNotFoundError(
                f"{folder} holds no SavedModel: give the folder written by V2Model.save "
                "(or any TF2 SavedModel)"
            )
        try:
            loaded = t.saved_model.load(folder)
        except (ValueError, TypeError, t.errors.OpError) as e:
            raise ConversionError(
                f"{folder} does not load as a TF2 SavedModel ({first_line(e)}): convert it "
                "first with explorer.convert(path).save(out_dir)"
            ) from None
        fn, sig = loaded_signature(loaded, self.signature, folder)
        in_specs = {k: _spec(s) for k, s in sig.inputs.items()}
        out_specs = {k: _spec(s) for k, s in sig.outputs.items()}
        if self.input_specs is not None and (
            set(in_specs) != set(self.input_specs) or set(out_specs) != set(self.output_specs)
        ):
            raise ConversionError(
                f"signature {self.signature!r} of {folder} takes {sorted(in_specs)} and returns "
                f"{sorted(out_specs)}, not what this layer was saved with: point at the same model"
            )
        self.input_specs, self.output_specs = in_specs, out_specs
        self._loaded, self._fn, self._source_dir = loaded, fn, folder
        self._attach(list(fn.variables))

    def _attach(self, variables: list[Any]) -> None:
        """Expose the function's own tf.Variables as this layer's Keras weights."""
        if self._wrappers:  # reloaded from a bundle: point the existing weights at it
            if [tuple(w.shape) for w in self._wrappers] != [tuple(v.shape) for v in variables]:
                raise ConversionError(
                    f"the SavedModel bundled for layer {self.name!r} has other variables than "
                    f"{self.filepath}: save the model again"
                )
            for w, v in zip(self._wrappers, variables):
                w._value = v  # noqa: SLF001 - share the variable instead of copying it
            return
        used: set[str] = set()
        for v in variables:
            name = re.sub(r"[^\w.-]", "_", v.name.split(":")[0]) or "variable"
            while name in used:
                name += "_"
            used.add(name)
            w = self._new_weight(name, v.shape.as_list(), v.dtype.name, bool(v.trainable))
            w._value = v  # noqa: SLF001 - see _new_weight
            self._wrappers.append(w)

    def _new_weight(self, name: str, shape: list[int], dtype: str, trainable: bool) -> Any:
        """A Keras weight whose ``_value`` :meth:`_attach` points at the SavedModel's variable."""
        with keras.name_scope(self.name, caller=self):
            w = keras.Variable(
                initializer="zeros", shape=shape, dtype=dtype, trainable=trainable, name=name
            )
        self._track_variable(w)
        return w

    def _ensure_loaded(self, folder: str | None = None) -> None:
        """Load ``folder`` (default: ``filepath``, once), then assign the weights read before."""
        if folder is not None or self._fn is None:
            self._load(folder or self.filepath)
            if self._pending_values is not None:
                self._assign(self._pending_values)
                self._pending_values = None

    def call(self, inputs: Any) -> dict[str, Any]:
        """Run the signature: ``{key: tensor}`` (or one tensor) -> ``{output key: tensor}``."""
        return dict(self._fn(**self._feeds(inputs)))

    def _feeds(self, inputs: Any) -> dict[str, Any]:
        """The signature's keyword feeds for a call's inputs (checked, cast to its dtypes)."""
        self._ensure_loaded()
        if not isinstance(inputs, dict):
            if len(self.input_specs) != 1:
                raise FeedError(
                    f"layer {self.name!r} takes a dict with keys {', '.join(self.input_specs)}; "
                    "pass {key: tensor}"
                )
            inputs = {next(iter(self.input_specs)): inputs}
        if mismatch := key_mismatch(self.input_specs, inputs):
            raise FeedError(f"layer {self.name!r} takes {', '.join(self.input_specs)}; {mismatch}")
        return {
            k: tf().cast(inputs[k], spec["dtype"])
            if inputs[k].dtype != spec["dtype"]
            else inputs[k]
            for k, spec in self.input_specs.items()
        }

    def compute_output_spec(self, inputs: Any, training: bool | None = None) -> dict[str, Any]:
        first = next(iter(inputs.values())) if isinstance(inputs, dict) else inputs
        batch = first.shape[0] if getattr(first, "shape", None) else None
        out = {}
        for k, spec in self.output_specs.items():
            if (shape := spec["shape"]) is None:
                raise ConversionError(
                    f"output {k!r} of signature {self.signature!r} has unknown rank; Keras "
                    "needs a rank: give the converted signature outputs of known rank"
                )
            shape = (batch, *shape[1:]) if shape and shape[0] is None else tuple(shape)
            out[k] = keras.KerasTensor(shape, dtype=spec["dtype"])
        return out

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "filepath": self.filepath,
            "signature": self.signature,
            "input_specs": self.input_specs,
            "output_specs": self.output_specs,
            "variables": [_weight_spec(w) for w in self._wrappers],
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], safe_mode: bool | None = None) -> SavedModelLayer:
        """Rebuild from :meth:`get_config`; refused in Keras safe mode (it runs a stored graph)."""
        from keras.src.saving import serialization_lib

        if (safe_mode if safe_mode is not None else serialization_lib.in_safe_mode()) is not False:
            raise ValueError(
                f"layer {config.get('name')!r} runs a TensorFlow graph stored with the model "
                f"(SavedModel {config.get('filepath')}), which Keras safe mode refuses: if you "
                "trust the file, load it with keras.models.load_model(path, safe_mode=False)"
            )
        return cls(**config)

    def save_assets(self, dir_path: str) -> None:
        """A ``.keras`` file holds the SavedModel in its assets (weights: the weights store)."""
        self._ensure_loaded()
        shutil.copytree(self._source_dir, os.path.join(dir_path, _BUNDLE))

    def load_assets(self, dir_path: str) -> None:
        bundle, own = os.path.join(dir_path, _BUNDLE), None
        if os.path.isdir(bundle):  # the extracted assets folder is deleted after loading
            own = os.path.join(_owned_dir(), _BUNDLE)
            shutil.copytree(bundle, own)
        self._ensure_loaded(own)

    def load_own_variables(self, store: Any) -> None:
        # assigned by load_assets (next when a .keras file loads), or now if already loaded
        self._pending_values = [store[str(i)] for i in range(len(store.keys()))]
        if self._fn is not None:
            self._assign(self._pending_values)

    def _assign(self, values: list[Any]) -> None:
        if len(values) != len(self._wrappers):
            raise ConversionError(
                f"layer {self.name!r}: the saved file holds {len(values)} weights, the "
                f"SavedModel {len(self._wrappers)}: it is of another model"
            )
        for w, value in zip(self._wrappers, values):
            w.assign(value)


def _weight_spec(w: Any) -> dict[str, Any]:
    """What :meth:`SavedModelLayer._new_weight` takes to rebuild weight ``w``."""
    return dict(name=w.name, shape=[int(d) for d in w.shape], dtype=w.dtype, trainable=w.trainable)


def _spec(spec: TensorSpec) -> dict[str, Any]:
    return {"shape": None if spec.shape is None else list(spec.shape), "dtype": spec.dtype}


def hub_meta(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The TF1 Hub record of a SavedModel written by ``convert`` (``None`` for other ones)."""
    return (read_meta(folder) or {}).get(META_KEY)


@keras.saving.register_keras_serializable(package="tf1_explorer")
class HubModuleLayer(SavedModelLayer):
    """One signature of a converted TF1 Hub module as a Keras 3 layer: ``train_signature``
    (``default__train``; ``None``: none) runs when it trains, regularization losses are added."""

    def __init__(
        self,
        filepath: str,
        signature: str = "default",
        train_signature: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.train_signature = train_signature
        self._train_fn = self._losses_fn = None
        super().__init__(filepath, signature, **kwargs)

    def _load(self, folder: str) -> None:
        super()._load(folder)
        sigs = dict(self._loaded.signatures)
        if self.train_signature is not None and self.train_signature not in sigs:
            raise SignatureNotFoundError(
                f"training signature {self.train_signature!r} is not in {folder}: choose one "
                f"of {', '.join(sorted(sigs))}"
            )
        self._train_fn = sigs[self.train_signature] if self.train_signature else self._fn
        self._losses_fn = getattr(self._loaded, "regularization_losses", None)

    def call(self, inputs: Any, training: bool | None = None) -> dict[str, Any]:
        """The train graph's signature when a trainable layer trains, else the inference graph's."""
        feeds = self._feeds(inputs)  # loads the SavedModel first
        fn = self._train_fn if (training and self.trainable) else self._fn
        out = dict(fn(**feeds))
        if self.trainable and self._losses_fn is not None:
            for loss in self._losses_fn():
                self.add_loss(loss)
        return out

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "train_signature": self.train_signature}
