"""Where outputs may go: never into the model.

A model is its files: a SavedModel is its whole folder; a frozen GraphDef is its ``.pb``/``.pbtxt``
file; a checkpoint is its ``.meta`` file, the checkpoint's data (``prefix.index``,
``prefix.data-*``, or the V1 file) and the ``checkpoint`` state file naming it; asset files count
too. An output (a converted SavedModel folder, a report, an ``.npz``) is refused when it is

* one of those files, or a folder holding any of them (``--overwrite`` would delete them);
* inside a SavedModel folder (it would become part of that model).

Writing beside a frozen ``.pb`` or a ``.meta`` file, in the folder that holds it, is fine:
``cd models && tf1-explorer convert frozen.pb v2`` writes ``models/v2``.
:func:`default_output_dir` proposes ``<model>_tf2`` beside the model (the widgets' default).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from explorer.errors import ConversionError


def model_files(model: Any) -> list[Path]:
    """The files (and, for a SavedModel, the folder) that make up ``model``, resolved."""
    src = Path(model.path).expanduser().resolve()
    out = [src]
    if model.format != "saved_model" and model.checkpoint_prefix:
        prefix = Path(model.checkpoint_prefix).expanduser().resolve()
        folder = prefix.parent
        out += [p for p in (prefix, Path(f"{prefix}.index")) if p.exists()]
        out += sorted(folder.glob(prefix.name + ".data-*"))
        state = folder / "checkpoint"
        if state.is_file():
            out.append(state)
    for asset in getattr(model, "assets", {}).values():
        p = Path(asset).expanduser().resolve()
        if p.exists():
            out.append(p)
    return list(dict.fromkeys(out))


def output_problem(model: Any, out: str | os.PathLike[str]) -> str | None:
    """Why writing ``out`` would touch ``model``'s files (one line), or ``None`` when it is fine."""
    target = Path(out).expanduser().resolve()
    src = Path(model.path).expanduser().resolve()
    if model.format == "saved_model" and (target == src or src in target.parents):
        return (
            f"{target} is inside the source model {src} (a SavedModel folder): choose an "
            f"output folder elsewhere, e.g. {default_output_dir(model)}"
        )
    for f in model_files(model):
        if target == f:
            return (
                f"{target} is a file of the model {src}: choose another name, "
                f"e.g. {default_output_dir(model)}"
            )
        if target in f.parents:
            return (
                f"{target} holds the model's file {f.name}: choose an output folder beside it, "
                f"e.g. {default_output_dir(model)}"
            )
    return None


def check_output(model: Any, out: str | os.PathLike[str]) -> Path:
    """``out`` resolved; raises :class:`~explorer.errors.ConversionError` when
    :func:`output_problem` finds one."""
    problem = output_problem(model, out)
    if problem:
        raise ConversionError(problem)
    return Path(out).expanduser().resolve()


def default_output_dir(model: Any) -> Path:
    """``<name>_tf2`` beside the model: ``exports/1_tf2`` for the SavedModel ``exports/1``,
    ``models/frozen_tf2`` for ``models/frozen.pb``, ``ckpt/model_tf2`` for ``ckpt/model.meta``."""
    src = Path(model.path).expanduser().resolve()
    name = src.name if src.is_dir() else src.stem
    return src.parent / f"{name}_tf2"
