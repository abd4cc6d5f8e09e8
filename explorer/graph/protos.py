"""TensorFlow's protobuf classes without importing TensorFlow (its ``*_pb2.py`` files)."""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ALIAS = "explorer._tfproto"

MODULES = {  # public name -> module path inside the tensorflow package
    f"{m}_pb2": f"{package}.{m}_pb2"
    for package, names in (
        ("core.framework", "graph node_def op_def attr_value tensor tensor_shape types function"),
        ("core.framework", "variable"),
        ("core.protobuf", "meta_graph saved_model saver struct control_flow queue_runner"),
        ("python.training", "checkpoint_state"),
    )
    for m in names.split()
}
_IMPORT = re.compile(r"^from tensorflow\.", re.M)


@functools.cache
def tf_root() -> Path:
    """The installed tensorflow package folder (found without importing it)."""
    spec = importlib.util.find_spec("tensorflow")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("TensorFlow is not installed: pip install tensorflow")
    return Path(next(iter(spec.submodule_search_locations)))


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves ``explorer._tfproto.X.Y`` from ``tensorflow/X/Y.py`` (``*_pb2`` modules only)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != ALIAS and not name.startswith(ALIAS + "."):
            return None
        parts = name[len(ALIAS) :].strip(".").split(".") if name != ALIAS else []
        where = tf_root().joinpath(*parts)
        if not parts or where.is_dir():
            spec = importlib.machinery.ModuleSpec(name, self, is_package=True)
            spec.submodule_search_locations = []
            return spec
        source = where.with_suffix(".py")
        if parts[-1].endswith("_pb2") and source.is_file():
            return importlib.machinery.ModuleSpec(name, self, origin=str(source))
        return None

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        origin = module.__spec__.origin if module.__spec__ else None
        if not origin or not origin.endswith(".py"):
            module.__path__ = []  # an empty package
            return
        text = _IMPORT.sub(f"from {ALIAS}.", Path(origin).read_text(encoding="utf-8"))
        exec(compile(text, origin, "exec"), module.__dict__)  # noqa: S102 - TF's generated code


_FINDER = _Finder()


def module(name: str) -> ModuleType:
    """The ``*_pb2`` module ``name`` (a key of :data:`MODULES`, or a path in tensorflow)."""
    rel = MODULES.get(name, name)
    if "tensorflow" in sys.modules:
        return importlib.import_module(f"tensorflow.{rel}")
    if _FINDER not in sys.meta_path:
        sys.meta_path.append(_FINDER)
    return importlib.import_module(f"{ALIAS}.{rel}")


def __getattr__(name: str) -> ModuleType:
    if name in MODULES:
        return module(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *MODULES])
