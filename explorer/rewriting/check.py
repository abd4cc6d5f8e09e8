"""Weights and proof: :func:`write_weights` builds the generated model here and saves the
checkpoint's arrays with Keras's ``save_weights``; :func:`check_jobs` runs each ``model.py`` in
one fresh process per Keras backend on every feed batch and compares its outputs with v1's."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from explorer.comparing.outputs import Comparator
from explorer.comparing.records import Tolerance
from explorer.errors import ConversionError, plain

BACKENDS = ("tensorflow", "jax")
KERAS_BACKENDS = ("tensorflow", "jax", "torch", "numpy", "openvino")  # what KERAS_BACKEND accepts
TOLERANCE = Tolerance(1e-5, 1e-5)
_CHILD_ENV = {"JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}

# Runs in a fresh process: argv[1] is a JSON list of [folder, feeds.npz, result.npz, output keys]
# jobs; it imports only our generated model.py (verified by codegen.verify_source). Arrays are
# stored by position ("b{batch}_{i}"), never under a model's key. A job that fails writes its
# one-line error to result.npz + ".err" and the next job still runs.
_RUNNER = r"""
import importlib.util, json, os, sys
import numpy as np
import keras
for i, (folder, feeds_path, result_path, keys) in enumerate(json.loads(sys.argv[1])):
    try:
        path = os.path.join(folder, "model.py")
        spec = importlib.util.spec_from_file_location(f"rewritten_{i}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        model = module.build_model()
        data = np.load(feeds_path)
        index = json.loads(open(feeds_path + ".json").read())
        res = {}
        for b, names in enumerate(index):
            out = model({k: data[f"b{b}_{j}"] for j, k in enumerate(names)}, training=False)
            for j, k in enumerate(keys):
                if k in out:
                    res[f"b{b}_{j}"] = keras.ops.convert_to_numpy(out[k])
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


@dataclass
class Job:
    """One generated model folder to run on feed batches and compare with v1's outputs."""

    folder: Path
    feeds: list[dict[str, np.ndarray]]
    expected: list[dict[str, np.ndarray]]


def check_jobs(
    jobs: list[Job],
    backends: tuple[str, ...] = BACKENDS,
    tolerance: Tolerance = TOLERANCE,
    timeout: float = 600.0,
) -> list[dict[str, Any]]:
    """Run every job's ``model.py`` in ONE fresh process per backend (imports are the slow part);
    per job: backend -> ``{passed, seconds, outputs: {key: {passed, max_abs, max_rel}}, error}``."""
    unknown = [b for b in backends if b not in KERAS_BACKENDS]
    if unknown:
        raise ConversionError(
            f"{plain(unknown[0])!r} is no Keras backend: choose from {', '.join(KERAS_BACKENDS)}"
        )
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
            spec = []
            for i, job in enumerate(jobs):
                result = str(Path(tmp) / f"out{i}_{backend}.npz")
                spec.append([str(job.folder), str(paths[i]), result, [*job.expected[0]]])
            env = {**os.environ, **_CHILD_ENV, "KERAS_BACKEND": backend}
            start = time.perf_counter()
            try:
                error = _run_child([sys.executable, "-c", _RUNNER, json.dumps(spec)], env, timeout)
            except subprocess.TimeoutExpired:
                error = f"did not finish within {timeout:g} s"
            seconds = round((time.perf_counter() - start) / max(len(jobs), 1), 2)
            for i, job in enumerate(jobs):
                out, err = Path(spec[i][2]), Path(spec[i][2] + ".err")
                if err.exists() or not out.exists():
                    why = err.read_text() if err.exists() else error or "no result"
                    results[i][backend] = dict(passed=False, seconds=seconds, error=why, outputs={})
                else:
                    results[i][backend] = _compare_job(np.load(out), job, tolerance, seconds)
    return results


def _run_child(argv: list[str], env: dict[str, str], timeout: float) -> str | None:
    """Run ``argv`` in its own process group, killed whole on a timeout, an error or a signal
    (SIGINT, SIGTERM raised here as ``KeyboardInterrupt``); its last stderr line on failure."""
    with subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            _, err = proc.communicate(timeout=timeout)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
    if proc.returncode == 0:
        return None
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else f"exit status {proc.returncode}"


def _compare_job(got: Any, job: Job, tolerance: Tolerance, seconds: float) -> dict[str, Any]:
    """One backend's outputs of a job against v1's, every batch through one comparator."""
    at = {k: j for j, k in enumerate(job.expected[0])}
    keys = [k for k in at if all(f"b{b}_{at[k]}" in got.files for b in range(len(job.expected)))]
    acc = Comparator(tolerance)
    for b, want in enumerate(job.expected):
        mine = {}
        for k in keys:
            value, ref = np.asarray(got[f"b{b}_{at[k]}"]), np.asarray(want[k])
            numeric = value.dtype.kind in "biuf" and ref.dtype.kind in "biuf"
            mine[k] = value.astype(ref.dtype) if numeric else value  # Keras may widen or narrow
        acc.add({k: want[k] for k in keys}, mine)
    outputs: dict[str, Any] = {}
    for key, rec in (acc.report().outputs if keys else {}).items():
        outputs[key] = {"passed": rec.passed, "max_abs": rec.max_abs, "max_rel": rec.max_rel}
        if rec.nonfinite:
            outputs[key]["nonfinite"] = rec.nonfinite
        if rec.shape_a != rec.shape_b:
            outputs[key]["error"] = f"shape {rec.shape_b} but v1 gives {rec.shape_a}"
    for key in job.expected[0]:
        if key not in outputs:
            missing = "missing from the Keras outputs"
            outputs[key] = {"passed": False, "max_abs": None, "max_rel": None, "error": missing}
    passed = bool(outputs) and all(o["passed"] for o in outputs.values())
    return {"passed": passed, "seconds": seconds, "outputs": outputs, "error": None}
