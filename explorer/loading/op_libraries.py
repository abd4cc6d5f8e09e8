"""Custom ops stock TensorFlow does not register, and the three ways on."""

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
    """The resolved ``paths``; ``ModelNotFoundError`` when one is not an existing file."""
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
    """``tf.load_op_library`` each path once per process (``UnsupportedOpError``)."""
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


def require_registered(model: V1Model) -> None:
    """Raise :class:`UnsupportedOpError` when ``model`` uses op types nothing defines."""
    load_libraries(model.op_libraries)
    missing = [t for t in unregistered_op_types(model.graph_def) if t not in model.replacements]
    if not missing:
        return
    builtin = [t for t in missing if t in BUILTIN_REPLACEMENTS]
    first = next((t for t in missing if t not in builtin), missing[0])
    way1 = (
        f"built-in replacements for {', '.join(builtin)}: "
        "replacements=explorer.replacements_for(model)"
        if builtin
        else "no built-in replacement is known for these"
    )
    raise UnsupportedOpError(
        f"{model.path} uses op types this TensorFlow ({tf().__version__}) does not register: "
        f"{', '.join(missing)}; ways on: (1) {way1}; (2) your own, "
        f"explorer.load(path, replacements={{{first!r}: fn, ...}}) computing each with TF ops "
        "(README: Custom ops); (3) the library that defines them, explorer.load(path, "
        "op_libraries=['lib.so']) (CLI: --op-library PATH; it runs native code: trust it as "
        "you would --allow-unsafe)"
    )
