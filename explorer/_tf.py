"""Lazy TensorFlow, its first import with fd 2 captured (``--verbose`` shows all); its numerics."""

from __future__ import annotations

import contextlib
import importlib.abc
import logging
import os
import platform
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

LEVEL_ENV = "TF_CPP_MIN_LOG_LEVEL"
VERBOSE_ENV = "TF1_EXPLORER_VERBOSE"
PYTHON_LOGGERS = ("tensorflow", "absl")  # TensorFlow's Python-side warnings go through these
QUIET_LEVEL = "3"  # FATAL only: a CHECK failure still reaches the isolation worker's log
_LOCK = threading.Lock()

# ``I0000 00:00:1796118043.685397    8908 port.cc:153] ...`` (absl / TSL native log line; the
# time field is seconds since the epoch, not HH:MM:SS)
_NATIVE = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d+(?:\.\d+)?\s+\d+\s+\S+:\d+\]")
_BANNER = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
_SEVERITY = {"I": 0, "W": 1, "E": 2, "F": 3}
_PYTHON_LINE = re.compile(r"^(\S+\.py:\d+: \w*(Warning|Error)\b|Traceback |\s+File \")")


def verbose() -> bool:
    """Whether TensorFlow's native log lines are shown (``TF1_EXPLORER_VERBOSE`` is set)."""
    return os.environ.get(VERBOSE_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


def show_native_logs() -> None:
    """Show every native log line from now on (the CLI's ``--verbose``; children too)."""
    os.environ[VERBOSE_ENV] = "1"
    os.environ.setdefault(LEVEL_ENV, "0")


def quiet_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default ``os.environ``) for a child that imports TensorFlow, as quiet as this."""
    out = dict(os.environ if env is None else env)
    out.setdefault(LEVEL_ENV, "0" if verbose() else QUIET_LEVEL)
    if verbose():
        out[VERBOSE_ENV] = "1"
    return out


def tf() -> ModuleType:
    """The ``tensorflow`` module, imported on first use without native log noise."""
    install()
    import tensorflow

    return tensorflow


def tf1() -> ModuleType:
    return tf().compat.v1


def numerics_environment() -> dict[str, Any]:
    """What can change a run's numbers here (versions, devices, flags), as JSON-ready builtins."""
    import numpy as np

    tfm = tf()
    from tensorflow.python.framework import config as tf_config
    from tensorflow.python.util import _pywrap_util_port

    onednn_var = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    mkl_build = bool(_pywrap_util_port.IsMklEnabled())
    devices = [
        f"{d.device_type}:{d.name.rsplit(':', 1)[-1]}" for d in tfm.config.list_physical_devices()
    ]
    return {
        "tensorflow": tfm.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "TF_ENABLE_ONEDNN_OPTS": "unset" if onednn_var is None else onednn_var,
        "onednn": mkl_build and onednn_var not in ("0", "false", "False"),
        "op_determinism": bool(tf_config.is_op_determinism_enabled()),
        "TF_DETERMINISTIC_OPS": os.environ.get("TF_DETERMINISTIC_OPS", "unset"),
        "intra_op_threads": int(tfm.config.threading.get_intra_op_parallelism_threads()),
        "inter_op_threads": int(tfm.config.threading.get_inter_op_parallelism_threads()),
        "cpu_count": os.cpu_count(),
        "devices": devices,
        "cuda_build": bool(tfm.sysconfig.get_build_info().get("is_cuda_build", False)),
    }


def install() -> None:
    """Quiet the first ``import tensorflow`` of this process (a finder)."""
    if "tensorflow" not in sys.modules and not any(
        isinstance(f, _QuietFinder) for f in sys.meta_path
    ):
        sys.meta_path.insert(0, _QuietFinder())


class _QuietFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``tensorflow`` through the other finders and loads it quietly with their loader."""

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != "tensorflow" or name in sys.modules:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            if (spec := finder.find_spec(name, path, target)) is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    self.inner, spec.loader = spec.loader, self
                return spec
        return None

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self.inner  # the package's own loader, for whoever asks it later
        if module.__spec__ is not None:
            module.__spec__.loader = self.inner
        with _LOCK:  # executing ``tensorflow/__init__.py`` with fd 2 captured (module doc)
            os.environ.setdefault(LEVEL_ENV, "0" if verbose() else QUIET_LEVEL)
            loggers = [logging.getLogger(name) for name in PYTHON_LOGGERS]
            left_alone = [lg for lg in loggers if lg.level != logging.NOTSET]  # the user set these
            if verbose():
                self.inner.exec_module(module)
                return
            try:
                level = int(os.environ[LEVEL_ENV])
            except ValueError:
                level = 0
            with _captured_fd(2) as read_back:
                try:
                    self.inner.exec_module(module)
                finally:
                    kept = kept_lines(read_back(), level)
            if kept:
                sys.stderr.write("".join(line + "\n" for line in kept))
                sys.stderr.flush()
            for lg in loggers:  # deprecation notices about explorer's own tf.compat.v1 calls, ...
                if lg not in left_alone:
                    lg.setLevel(logging.ERROR)
                    if lg.name == "absl":  # absl resets its level when its flags are parsed
                        lg.addFilter(lambda record: record.levelno >= logging.ERROR)


def kept_lines(text: str, level: int) -> list[str]:
    """The lines TensorFlow wrote while loading worth showing at log ``level``."""
    kept: list[str] = []
    show_current = True  # whether the native line being continued is shown
    in_native = False
    for line in text.splitlines():
        if m := _NATIVE.match(line):
            in_native, show_current = True, _SEVERITY[m.group(1)] >= level
        elif line.startswith(_BANNER):
            in_native, show_current = True, level <= 0
        elif in_native and line.strip() and not _PYTHON_LINE.match(line):
            pass  # continuation of a multi-line native message
        else:
            in_native, show_current = False, True
            if not line.strip():
                continue
        if show_current:
            kept.append(line)
    return kept


@contextlib.contextmanager
def _captured_fd(fd: int) -> Iterator[Callable[[], str]]:
    """Point ``fd`` at a temporary file for the block; yields a function reading it back."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    try:
        saved = os.dup(fd)
    except OSError:  # no such descriptor (a daemon without stderr): nothing to hide
        yield lambda: ""
        return
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), fd)

        def read_back() -> str:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            tmp.seek(0)
            return tmp.read().decode("utf-8", "replace")

        try:
            yield read_back
        finally:
            os.dup2(saved, fd)
            os.close(saved)
