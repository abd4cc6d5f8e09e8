"""``reference()``: a folder to record a model's outputs under the TensorFlow that served it.

It holds ``reference.py`` (a copy of :mod:`explorer.comparing._reference_script` with the model,
its format and each target's tensors filled in) and ``feeds.npz`` (the batches
:func:`~explorer.comparing.parity_check.reference_feeds` gives); the script writes
``reference.npz``, which ``parity(reference=)`` proves the conversion against."""

from __future__ import annotations

import os
import pprint
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from explorer.comparing import _reference_script as script
from explorer.comparing.parity_check import reference_feeds
from explorer.errors import ParityError
from explorer.loading.model import CHECKPOINT, FROZEN_GRAPH, SAVED_MODEL, V1Model, as_model
from explorer.output_policy import staged_folder


def reference(
    model: V1Model | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    source: Any = None,
    *,
    signatures: Sequence[str] | str | None = None,
    inputs: Sequence[str] | None = None,
    outputs: Sequence[str] | None = None,
    allow_unsafe: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write ``out_dir`` (through the output policy) holding ``reference.py`` and ``feeds.npz``:
    the feeds of ``source`` (as :func:`~explorer.parity` takes it) for the targets parity would
    compare (``signatures``, or ``inputs``/``outputs``). Returns the folder. ParityError: a
    format the script cannot load, or a sparse tensor."""
    v1 = as_model(model)
    if v1.format not in (SAVED_MODEL, FROZEN_GRAPH, CHECKPOINT):
        raise ParityError(
            f"{v1.path} is a {v1.format}: the reference script loads a SavedModel, a frozen "
            "GraphDef or a .meta with its checkpoint"
        )
    targets = reference_feeds(
        v1, signatures, source, inputs=inputs, outputs=outputs, allow_unsafe=allow_unsafe
    )
    path = Path(v1.path).resolve()
    prefix = v1.checkpoint_prefix or ""
    config = {
        "format": v1.format,
        "model": str(path),
        "tags": list(v1.tags),
        "prefix": os.path.relpath(prefix, path.parent) if prefix else "",
        "targets": [
            {**{k: t[k] for k in ("name", "inputs", "outputs")}, "batches": len(t["feeds"])}
            for t in targets
        ],
    }
    arrays = {
        script.entry(i, b, "i", k): feeds[key]
        for i, t in enumerate(targets)
        for b, feeds in enumerate(t["feeds"])
        for k, (key, _) in enumerate(t["inputs"])
    }
    text = Path(script.__file__).read_text()
    filled = text.replace("CONFIG = {}", f"CONFIG = {pprint.pformat(config, width=96)}", 1)
    with staged_folder(out_dir, v1, overwrite, "reference") as staging:
        np.savez(staging.path / "feeds.npz", **script.pack(arrays))
        (staging.path / "reference.py").write_text(filled)
        return staging.publish()
