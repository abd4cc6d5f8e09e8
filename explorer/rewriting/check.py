"""Weights file and proof: write ``model.weights.h5``, then run ``model.py`` in fresh processes.

:func:`write_weights` builds the generated model in this process (its ``build_model(weights=None)``)
and fills each layer with the checkpoint's arrays in Keras's layout, then saves them with Keras's
own ``save_weights``, so the file is exactly what ``load_weights`` expects on every backend.
:func:`check_backends` runs the folder's ``model.py`` in one fresh Python process per Keras
backend (``KERAS_BACKEND=tensorflow``, ``jax``) on every feed batch at once and compares each
output with the v1 session's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from explorer.errors import ConversionError

BACKENDS = ("tensorflow", "jax")

# Runs in a fresh process: argv[1] is a JSON list of [folder, feeds.npz, result.npz] jobs. A job
# that fails writes its one-line error to result.npz + ".err" and the next job still runs.
_RUNNER = r"""
import importlib.util, json, os, sys, traceback
import numpy as np
import keras
for i, (folder, feeds_path, result_path) in enumerate(json.loads(sys.argv[1])):
    try:
        path = os.path.join(folder, "model.py")
        spec = importlib.util.spec_from_file_location(f"rewritten_{i}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.build_model()
        data = np.load(feeds_path)
        index = json.loads(open(feeds_path + ".json").read())
        res = {}
        for b, keys in enumerate(index):
            feeds = {key: data[f"b{b}_{j}"] for j, key in enumerate(keys)}
            out = model(feeds, training=False)
            for k, v in out.items():
                res[f"b{b}__{k}"] = keras.ops.convert_to_numpy(v)
        np.savez(result_path, **res)
    except Exception as e:
        line = (str(e).strip().splitlines() or [""])[0][:300]
        open(result_path + ".err", "w").write(f"{type(e).__name__}: {line}")
"""


def exec_source(source: str, filename: str) -> dict[str, Any]:
    """Run generated source as a module namespace (``__file__`` = ``filename``)."""
    ns: dict[str, Any] = {"__file__": filename, "__name__": "rewritten_model"}
    exec(compile(source, filename, "exec"), ns)  # noqa: S102 - source we generated
    return ns


def write_weights(source: str, weights: dict[str, list[np.ndarray]], path: Path) -> None:
    """Build the model from ``source`` here, assign ``weights`` (layer name -> arrays) and save
    them to ``path`` (a ``.weights.h5`` file)."""
    ns = exec_source(source, str(path.parent / "model.py"))
    model = ns["build_model"](weights=None)
    for name, arrays in weights.items():
        layer = model.get_layer(name)
        want = [tuple(v.shape) for v in layer.weights]
        got = [tuple(a.shape) for a in arrays]
        if want != got:
            raise ConversionError(
                f"layer {name}: the TF1 weights have shapes {got} but Keras expects {want}: "
                "a pattern rule mapped them wrongly (report it)"
            )
        layer.set_weights([np.asarray(a) for a in arrays])
    model.save_weights(str(path))


def _compare(got: np.ndarray, want: np.ndarray, atol: float, rtol: float) -> dict[str, Any]:
    want = np.asarray(want)
    got = np.asarray(got)
    if got.shape != want.shape:
        return {
            "passed": False,
            "max_abs": None,
            "max_rel": None,
            "error": f"shape {list(got.shape)} but v1 gives {list(want.shape)}",
        }
    if want.dtype.kind not in "fc":
        eq = bool(np.array_equal(got, want))
        return {"passed": eq, "max_abs": 0.0 if eq else None, "max_rel": 0.0 if eq else None}
    diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
    max_abs = float(diff.max()) if diff.size else 0.0
    rel = diff / np.maximum(np.abs(want.astype(np.float64)), 1e-30)
    max_rel = float(rel.max()) if rel.size else 0.0
    ok = bool(np.allclose(got, want, atol=atol, rtol=rtol, equal_nan=True))
    return {"passed": ok, "max_abs": max_abs, "max_rel": max_rel}


@dataclass
class Job:
    """One generated model folder to run on feed batches and compare with v1's outputs."""

    folder: Path
    feeds: list[dict[str, np.ndarray]]
    expected: list[dict[str, np.ndarray]]


def check_backends(
    folder: Path,
    feeds: list[dict[str, np.ndarray]],
    expected: list[dict[str, np.ndarray]],
    backends: tuple[str, ...] = BACKENDS,
    atol: float = 1e-5,
    rtol: float = 1e-5,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """backend -> ``{passed, seconds, outputs: {key: {passed, max_abs, max_rel}}, error}``."""
    return check_jobs([Job(folder, feeds, expected)], backends, atol, rtol, timeout)[0]


def check_jobs(
    jobs: list[Job],
    backends: tuple[str, ...] = BACKENDS,
    atol: float = 1e-5,
    rtol: float = 1e-5,
    timeout: float = 600.0,
) -> list[dict[str, Any]]:
    """Run every job's ``model.py`` in ONE fresh process per backend (imports are the slow part);
    one ``check_backends``-style result per job."""
    results: list[dict[str, Any]] = [{} for _ in jobs]
    with tempfile.TemporaryDirectory(prefix="tf1x-check-") as tmp:
        paths = []
        for i, job in enumerate(jobs):
            feeds_path = Path(tmp) / f"feeds{i}.npz"
            arrays = {
                f"b{b}_{j}": v for b, f in enumerate(job.feeds) for j, v in enumerate(f.values())
            }
            np.savez(feeds_path, **arrays)
            Path(str(feeds_path) + ".json").write_text(json.dumps([list(f) for f in job.feeds]))
            paths.append(feeds_path)
        for backend in backends:
            spec = [
                [str(job.folder), str(paths[i]), str(Path(tmp) / f"out{i}_{backend}.npz")]
                for i, job in enumerate(jobs)
            ]
            env = {
                **os.environ,
                "KERAS_BACKEND": backend,
                "JAX_PLATFORMS": "cpu",
                "TF_CPP_MIN_LOG_LEVEL": "3",
                "CUDA_VISIBLE_DEVICES": "",
            }
            start = time.perf_counter()
            error = None
            try:
                proc = subprocess.run(
                    [sys.executable, "-c", _RUNNER, json.dumps(spec)],
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=timeout,
                )
                if proc.returncode != 0:
                    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
                    error = lines[-1][:300] if lines else f"exit status {proc.returncode}"
            except subprocess.TimeoutExpired:
                error = f"did not finish within {timeout:g} s"
            seconds = round((time.perf_counter() - start) / max(len(jobs), 1), 2)
            for i, job in enumerate(jobs):
                out_path = Path(spec[i][2])
                err_path = Path(str(out_path) + ".err")
                if err_path.exists() or not out_path.exists():
                    why = err_path.read_text() if err_path.exists() else error or "no result"
                    results[i][backend] = {
                        "passed": False,
                        "seconds": seconds,
                        "error": why,
                        "outputs": {},
                    }
                    continue
                results[i][backend] = _compare_job(np.load(out_path), job, atol, rtol, seconds)
    return results


def _compare_job(got: Any, job: Job, atol: float, rtol: float, seconds: float) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    for b, want in enumerate(job.expected):
        for key, value in want.items():
            name = f"b{b}__{key}"
            cmp = (
                _compare(got[name], value, atol, rtol)
                if name in got.files
                else {
                    "passed": False,
                    "max_abs": None,
                    "max_rel": None,
                    "error": "missing from the Keras outputs",
                }
            )
            prev = outputs.get(key)
            if prev is None:
                outputs[key] = cmp
                continue
            prev["passed"] = prev["passed"] and cmp["passed"]
            for m in ("max_abs", "max_rel"):
                both = cmp.get(m) is not None and prev.get(m) is not None
                prev[m] = max(prev[m], cmp[m]) if both else None
    return {
        "passed": bool(outputs) and all(o["passed"] for o in outputs.values()),
        "seconds": seconds,
        "outputs": outputs,
        "error": None,
    }
