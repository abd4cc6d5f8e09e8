"""What this process has: TensorFlow's op registry, version and device types without importing
it (a table cached on disk, built by a child process), device pins and env limits."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer._tf import quiet_env, tf
from explorer.graph.protos import module, tf_root
from explorer.output_policy import temp_folder

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef

CACHE_ENV = "TF1_EXPLORER_CACHE_DIR"
BUILD_TIMEOUT_S = 300.0  # one TensorFlow import on a busy machine
_LOCK = threading.Lock()
_TABLE: dict[str, Any] = {}  # "ops": name -> OpDef, "version", "devices" (loaded once)


def tf_loaded() -> bool:
    return "tensorflow" in sys.modules


def op_def(op_type: str) -> Any | None:
    """The ``OpDef`` TensorFlow registers for ``op_type``, or ``None``."""
    if tf_loaded():
        from tensorflow.python.framework import op_def_registry

        return op_def_registry.get(op_type)
    return _table()["ops"].get(op_type)


def is_registered(op_type: str) -> bool:
    return op_def(op_type) is not None


def tf_version() -> str:
    """The installed TensorFlow's ``__version__`` (``2.21.0``)."""
    return str(tf().__version__ if tf_loaded() else _table()["version"])


@functools.cache
def device_types() -> frozenset[str]:
    """Device types TensorFlow finds on this machine, upper case (``CPU``, ``GPU``, ...)."""
    if tf_loaded():
        return frozenset(d.device_type.upper() for d in tf().config.list_physical_devices())
    return frozenset(_table()["devices"])


def cache_dir() -> Path:
    """Where the op table is kept: ``$TF1_EXPLORER_CACHE_DIR``, else the user's cache folder."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tf1-explorer"


def cache_key() -> str:
    """Hash of the installed TensorFlow and the accelerators visible here."""
    root = tf_root().resolve()
    parts = [str(root), sys.version.split()[0]]
    for rel in ("__init__.py", "python/_pywrap_tensorflow_internal.so", "libtensorflow_cc.so.2"):
        with contextlib.suppress(OSError):
            st = (root / rel).stat()
            parts.append(f"{rel}:{st.st_size}:{st.st_mtime_ns}")
    with contextlib.suppress(OSError):
        parts += sorted(n for n in os.listdir("/dev") if n.startswith(("nvidia", "accel", "kfd")))
    for var in ("CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "TPU_VISIBLE_CHIPS"):
        parts.append(f"{var}={os.environ.get(var, '<unset>')}")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _table() -> dict[str, Any]:
    with _LOCK:
        if not _TABLE:
            _TABLE.update(_load_or_build())
        return _TABLE


def _load_or_build() -> dict[str, Any]:
    key = cache_key()
    folder = cache_dir()
    if (found := _read(folder / f"op-defs-{key}.pb", folder / f"{key}.json")) is not None:
        return found
    with temp_folder("tf1-explorer-ops-") as tmp:
        built = None
        code = (
            f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r}); "
            "from explorer.graph.runtime import _dump; _dump(sys.argv[1])"
        )
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            proc = subprocess.run(
                [sys.executable, "-c", code, str(tmp)],
                env=quiet_env(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=BUILD_TIMEOUT_S,
            )
            if proc.returncode == 0:
                built = _read(tmp / "ops.pb", tmp / "facts.json")
        if built is None:  # the child failed: ask TensorFlow here
            tf()
            from tensorflow.python.framework import op_def_registry  # its get(name) answers

            devices = sorted(device_types())
            return {"ops": op_def_registry, "version": tf_version(), "devices": devices}
        with contextlib.suppress(OSError):  # into the cache, the JSON last (never read alone)
            folder.mkdir(parents=True, exist_ok=True)
            for src, dst in (("ops.pb", f"op-defs-{key}.pb"), ("facts.json", f"{key}.json")):
                part = folder / f".{dst}.{os.getpid()}.part"
                shutil.copyfile(tmp / src, part)
                os.replace(part, folder / dst)
        return built


def _read(ops_file: Path, facts_file: Path) -> dict[str, Any] | None:
    parse = module("op_def_pb2").OpList.FromString
    try:
        facts = json.loads(facts_file.read_text())
        op_list = parse(ops_file.read_bytes())
    except Exception:  # noqa: BLE001 - a missing or damaged cache file is rebuilt
        return None
    if len(op_list.op) != facts.get("op_count"):
        return None
    ops = {op.name: op for op in op_list.op}
    return {"ops": ops, "version": facts["version"], "devices": facts["devices"]}


def _dump(out_dir: str) -> None:
    """Child-process entry: write TensorFlow's ``OpList`` and facts into ``out_dir``."""
    t = tf()
    from tensorflow.python.client import pywrap_tf_session as c_api

    data = c_api.TF_GetBuffer(c_api.TF_GetAllOpList())
    count = len(module("op_def_pb2").OpList.FromString(data).op)
    (Path(out_dir) / "ops.pb").write_bytes(data)
    facts = {"version": t.__version__, "devices": sorted(device_types()), "op_count": count}
    (Path(out_dir) / "facts.json").write_text(json.dumps(facts))


def env_number(name: str, default: float) -> float:
    """The number in environment variable ``name``; ``default`` when unset or not a number."""
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def device_type_of(device: str) -> str | None:
    """``GPU`` for ``/device:GPU:0`` or ``/gpu:0``; ``None`` when the string names no type."""
    for part in device.split("/"):
        m = re.fullmatch(r"(?:device:)?([A-Za-z_]+):\d+", part)
        if m and m.group(1).lower() not in _PLACEMENT_FIELDS:
            return m.group(1).upper()
    return None


# The parts of a device string that place a node on a cluster member rather than a device type.
_PLACEMENT_FIELDS = frozenset({"job", "replica", "task"})


def remote_job_of(device: str) -> str | None:
    """``ps`` for ``/job:ps/task:0``; ``None`` for no job or the local one (``localhost``)."""
    m = re.search(r"/job:([^/]+)", device)
    return m.group(1) if m and m.group(1) != "localhost" else None


def absent_device_pins(graph_def: GraphDef) -> list[str]:
    """Nodes pinned to a device type this machine lacks, or to a cluster job (``/job:ps``)."""
    return [
        n.name for n in all_nodes(graph_def) if absent_type(n.device) or remote_job_of(n.device)
    ]


def absent_type(device: str) -> bool:
    """Whether ``device`` names a device type this machine lacks (``/device:GPU:0`` on a CPU)."""
    t = device_type_of(device) if device else None
    return t is not None and t not in device_types()


def all_nodes(graph_def: GraphDef) -> Iterable[Any]:
    yield from graph_def.node
    for fn in graph_def.library.function:
        yield from fn.node_def


def unregistered_op_types(graph_def: GraphDef) -> list[str]:
    """Op types used by the graph that neither TF's registry nor its function library defines."""
    fn_names = {f.signature.name for f in graph_def.library.function}
    types = {node.op for node in all_nodes(graph_def)} - fn_names
    return sorted(t for t in types if not is_registered(t))
