"""The numerics environment: versions, devices and flags that can change the numbers parity sees."""

from __future__ import annotations

import os
import platform
from typing import Any

from explorer._tf import tf


def numerics_environment() -> dict[str, Any]:
    """What affects the numbers of a run on this machine, as JSON-ready builtins."""
    import numpy as np

    tfm = tf()
    from tensorflow.python.framework import config as tf_config
    from tensorflow.python.util import _pywrap_util_port

    onednn_var = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    mkl_build = bool(_pywrap_util_port.IsMklEnabled())
    onednn = mkl_build and onednn_var not in ("0", "false", "False")
    devices = [
        f"{d.device_type}:{d.name.rsplit(':', 1)[-1]}" for d in tfm.config.list_physical_devices()
    ]
    build = tfm.sysconfig.get_build_info()
    return {
        "tensorflow": tfm.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "TF_ENABLE_ONEDNN_OPTS": "unset" if onednn_var is None else onednn_var,
        "onednn": onednn,
        "op_determinism": bool(tf_config.is_op_determinism_enabled()),
        "TF_DETERMINISTIC_OPS": os.environ.get("TF_DETERMINISTIC_OPS", "unset"),
        "intra_op_threads": int(tfm.config.threading.get_intra_op_parallelism_threads()),
        "inter_op_threads": int(tfm.config.threading.get_inter_op_parallelism_threads()),
        "cpu_count": os.cpu_count(),
        "devices": devices,
        "cuda_build": bool(build.get("is_cuda_build", False)),
    }
