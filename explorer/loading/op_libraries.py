"""Custom ops: the op libraries that define them, and the one-line refusal naming the ways on.

A graph from a scientific package (DeePMD-kit's ``DescrptSeA``/``ProdForceSeA``) or an old
``tf.contrib`` build uses op types stock TensorFlow does not register. There are three ways on,
and :func:`require_registered` names them all when none is taken:

1. a **built-in replacement** (``explorer.replacements_for(model)``) for op types this project
   knows how to compute with stock ops;
2. **your own replacement**: ``explorer.load(path, replacements={"MyOp": fn})`` with
   ``fn(inputs, attrs)`` computing it with TF ops (see the README, "Custom ops");
3. the package's **op library**: ``explorer.load(path, op_libraries=["libmy_ops.so"])`` (CLI:
   ``--op-library PATH`` on every verb). Each path must exist; it is loaded with
   ``tf.load_op_library`` in this process (and in the import-check worker), which runs its
   native code: that is the trust ``allow_unsafe`` asks for, so pass only libraries you trust.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from explorer._tf import tf
from explorer.errors import ModelNotFoundError, UnsupportedOpError, first_line
from explorer.graph.runtime import unregistered_op_types
from explorer.loading.replacements import BUILTIN_REPLACEMENTS

if TYPE_CHECKING:
    from explorer.loading.model import V1Model


def check_libraries(paths: Iterable[str | os.PathLike[str]]) -> tuple[str, ...]:
    """The resolved paths of ``paths``, each checked to be an existing file.

    Raises:
        ModelNotFoundError: a path does not exist or is not a file.
    """
    out = []
    for p in paths:
        path = Path(p).expanduser()
        if not path.is_file():
            raise ModelNotFoundError(
                f"op library {path} does not exist: pass the path of the package's compiled ops "
                "(a .so file, e.g. its libop_abi.so)"
            )
        out.append(str(path.resolve()))
    return tuple(out)


def load_libraries(paths: Iterable[str]) -> None:
    """``tf.load_op_library`` each path once per process (native code runs: trusted files only).

    Raises:
        UnsupportedOpError: TensorFlow cannot load a library (built for another version).
    """
    for p in paths:
        _load_one(p)


@functools.cache
def _load_one(path: str) -> None:
    try:
        tf().load_op_library(path)
    except Exception as e:  # noqa: BLE001 - NotFoundError, symbol errors: all one line
        raise UnsupportedOpError(
            f"op library {path} does not load into TensorFlow {tf().__version__} "
            f"({first_line(e)}): use a build of the library for this TensorFlow version"
        ) from None


def missing_op_types(model: V1Model) -> list[str]:
    """Op types of ``model`` that neither TensorFlow (with the model's op libraries loaded) nor
    its function library defines, and that no replacement covers; sorted."""
    load_libraries(model.op_libraries)
    return [t for t in unregistered_op_types(model.graph_def) if t not in model.replacements]


def require_registered(model: V1Model) -> None:
    """Raise :class:`UnsupportedOpError` (one line: the op types and the three ways on) when
    ``model`` uses op types this TensorFlow does not register."""
    missing = missing_op_types(model)
    if missing:
        raise UnsupportedOpError(custom_op_message(model, missing))


def custom_op_message(model: V1Model, missing: list[str]) -> str:
    """The one-line refusal for ``missing`` op types of ``model``."""
    builtin = [t for t in missing if t in BUILTIN_REPLACEMENTS]
    first = next((t for t in missing if t not in builtin), missing[0])
    way1 = (
        f"built-in replacements for {', '.join(builtin)}: "
        "replacements=explorer.replacements_for(model)"
        if builtin
        else "no built-in replacement is known for these"
    )
    return (
        f"{model.path} uses op types this TensorFlow ({tf().__version__}) does not register: "
        f"{', '.join(missing)}; ways on: (1) {way1}; (2) your own, "
        f"explorer.load(path, replacements={{{first!r}: fn, ...}}) computing each with TF ops "
        "(README: Custom ops); (3) the library that defines them, explorer.load(path, "
        "op_libraries=['lib.so']) (CLI: --op-library PATH; it runs native code: trust it as "
        "you would --allow-unsafe)"
    )
