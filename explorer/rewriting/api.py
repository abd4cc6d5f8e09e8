"""``explorer.to_keras(model, inputs=, outputs=)`` (or ``signature=``): a TF1 graph as a native
Keras 3 model, proved against the v1 session by :func:`check_rewrites` (``model.py`` in a fresh
process per Keras backend, on every feed batch)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from explorer.comparing.outputs import Comparator
from explorer.comparing.records import Tolerance
from explorer.errors import ConversionError, plain
from explorer.feeding.data.sources import rows_of
from explorer.feeding.sampling import sample
from explorer.graph.names import op_name, tensor_name
from explorer.inspection.suggestions import check_custom_io, default_io
from explorer.loading.model import V1Model, as_model
from explorer.output_policy import staged_folder, temp_folder
from explorer.rewriting.graph import GraphContext, out_index, py_name
from explorer.rewriting.translate import generate, translate
from explorer.running.session import ModelSession

BACKENDS = ("tensorflow", "jax")
KERAS_BACKENDS = ("tensorflow", "jax", "torch", "numpy", "openvino")  # what KERAS_BACKEND accepts
TOLERANCE = Tolerance(1e-5, 1e-5)
CHILD_TIMEOUT = 600.0  # seconds a Keras child process may run
CHILD_ENV = {"JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}

# Runs in a fresh process: argv[1] is a JSON list of [folder, feeds.npz, result.npz, output keys]
# jobs; it imports only our generated model.py (see verify_source). Arrays go by position, never
# a model's key. A failed job writes its one-line error to result.npz + ".err"; the rest run.
_RUNNER = r"""
import json, os, runpy, sys
import numpy as np
import keras
for i, (folder, feeds_path, result_path, keys) in enumerate(json.loads(sys.argv[1])):
    try:
        path = os.path.join(folder, "model.py")
        model = runpy.run_path(path, run_name=f"rewritten_{i}")["build_model"]()
        data = np.load(feeds_path)
        res = {}
        for b, names in enumerate(json.loads(open(feeds_path + ".json").read())):
            out = model({k: data[f"b{b}_{j}"] for j, k in enumerate(names)}, training=False)
            for j, k in enumerate(keys):
                if k in out:
                    res[f"b{b}_{j}"] = keras.ops.convert_to_numpy(out[k])
        np.savez(result_path, **res)
    except Exception as e:
        line = (str(e).strip().splitlines() or [""])[0][:300]
        open(result_path + ".err", "w").write(f"{type(e).__name__}: {line}")
"""


@dataclass
class KerasRewrite:
    """``source`` (``model.py``), ``weights_h5`` (bytes), ``layers`` (one row per step),
    ``inputs``/``outputs`` (Keras key -> TF1 tensor), ``parity`` (``{}`` when ``check=False``)."""

    source: str
    weights_h5: bytes
    layers: list[dict[str, Any]]
    inputs: dict[str, str]
    outputs: dict[str, str]
    parity: dict[str, Any] = field(default_factory=dict)
    model: V1Model | None = field(default=None, repr=False)
    _feeds: list[dict[str, np.ndarray]] = field(default_factory=list, repr=False)
    _expected: list[dict[str, np.ndarray]] = field(default_factory=list, repr=False)

    @property
    def fallbacks(self) -> list[dict[str, Any]]:
        """The rows of marked fallback layers (leftover TF1 ops)."""
        return [r for r in self.layers if not r["native"]]

    @property
    def native_layers(self) -> list[dict[str, Any]]:
        return [r for r in self.layers if r["native"]]

    @property
    def passed(self) -> bool:
        return bool(self.parity.get("passed"))

    def save(self, out_dir: str | os.PathLike[str], overwrite: bool = False) -> Path:
        """``model.py``, ``model.weights.h5``, ``parity.json`` published whole in ``out_dir``."""
        with staged_folder(out_dir, self.model, overwrite, "Keras rewrite") as staging:
            self._write(staging.path)
            return staging.publish()

    def _write(self, folder: Path) -> None:
        (folder / "model.py").write_text(self.source)
        (folder / "model.weights.h5").write_bytes(self.weights_h5)
        (folder / "parity.json").write_text(json.dumps(self.parity, indent=2, default=str) + "\n")

    def build(self) -> Any:
        """The Keras model in this process (current Keras backend), weights loaded."""
        with temp_folder("tf1x-keras-") as tmp:
            self._write(tmp)
            ns = exec_source(self.source, str(tmp / "model.py"))
            return ns["build_model"](weights=str(tmp / "model.weights.h5"))

    def summary(self) -> dict[str, Any]:
        """The ``rewrite --json`` object: the parity report plus the layer table."""
        return {**self.parity, "layers_table": self.layers}


def _key(tensor: str) -> str:
    t = tensor_name(tensor)
    return py_name(op_name(t)) + ("" if out_index(t) == 0 else f"_{out_index(t)}")


def _choose_io(
    model: V1Model, inputs: list[str] | None, outputs: list[str] | None, signature: str | None
) -> tuple[dict[str, str], dict[str, str]]:
    if inputs is not None or outputs is not None:
        check_custom_io(model, signature is not None, outputs, ConversionError)
        return tuple({_key(t): tensor_name(t) for t in ts} for ts in (inputs or [], outputs or []))
    if model.signatures or signature is not None:
        sig = model.signature(signature)
        ins = {k: tensor_name(s.name) for k, s in sig.inputs.items()}
        outs = {k: tensor_name(s.name) for k, s in sig.outputs.items()}
        if any(not t or t == ":0" for t in [*ins.values(), *outs.values()]):
            raise ConversionError(
                f"signature {sig.name!r} has sparse tensors: a Keras model takes dense inputs; "
                "pick dense tensors with inputs=/outputs="
            )
        return ins, outs
    ins, outs = default_io(model)
    return {_key(t): t for t in ins}, {_key(t): t for t in outs}


def _feeds(
    model: V1Model,
    inputs: dict[str, str],
    batches: tuple[int, ...],
    seed: int,
    given: list[dict[str, Any]] | None,
) -> list[dict[str, np.ndarray]]:
    names = list(inputs.values())
    out = []
    for i, b in enumerate(batches):
        f = sample(model, inputs=names, batch=b, seed=seed + i)
        if missing := [t for t in names if t not in f]:
            raise ConversionError(
                f"no sample value for input {missing[0]} (the sampler leaves it to the graph): "
                "drop it from inputs or pass feeds="
            )
        out.append({k: np.asarray(f[t]) for k, t in inputs.items()})
    for g in given or []:
        out.append({k: np.asarray(g[k] if k in g else g[t]) for k, t in inputs.items()})
    return out


def to_keras(
    model: V1Model | str | os.PathLike[str],
    inputs: list[str] | None = None,
    outputs: list[str] | None = None,
    signature: str | None = None,
    *,
    check: bool = True,
    backends: tuple[str, ...] = BACKENDS,
    feeds: list[dict[str, Any]] | None = None,
    batches: tuple[int, ...] = (1, 4),
    seed: int = 0,
    atol: float = 1e-5,
    rtol: float = 1e-5,
    allow_unsafe: bool = False,
    nonfinite: str = "refuse",
) -> KerasRewrite:
    """A TF1 graph between ``inputs`` and ``outputs`` (or a signature) as a Keras 3 functional
    model; ``check`` proves it on generated feeds (``batches``) and ``feeds`` (key or tensor ->
    array). ``ConversionError`` names an op with no rewrite, or why the io cannot be Keras's."""
    model = as_model(model)
    ins, outs = _choose_io(model, inputs, outputs, signature)
    with ModelSession(model, allow_unsafe=allow_unsafe) as sess:
        ctx = GraphContext(list(ins.values()), list(outs.values()), sess)
        all_feeds = _feeds(model, ins, batches, seed, feeds)
        shapes = {k: (None, *v.shape[1:]) if v.ndim else () for k, v in all_feeds[0].items()}
        program = translate(ctx, ins, outs, shapes)
        runs = [sess.run(outs, {ins[k]: v for k, v in f.items()}) for f in all_feeds]
        expected = [{k: np.asarray(v) for k, v in got.items()} for got in runs]
    source, weights, rows = generate(program, Path(str(model.path)).name)
    weights_h5 = write_weights(source, weights)
    fallbacks = [{k: r[k] for k in ("layer", "kind", "replaces")} for r in rows if not r["native"]]
    report: dict[str, Any] = {
        "model": str(model.path),
        "inputs": ins,
        "outputs": outs,
        "native_layers": sum(r["native"] for r in rows),
        "fallbacks": fallbacks,
        "atol": atol,
        "rtol": rtol,
        "feeds": [
            {
                "source": "given" if i >= len(batches) else "generated",
                "batch": rows_of(next(iter(f.values()), 0)),
            }
            for i, f in enumerate(all_feeds)
        ],
    }
    rw = KerasRewrite(source, weights_h5, rows, ins, outs, report, model, all_feeds, expected)
    if check:
        check_rewrites([rw], backends, Tolerance(atol, rtol, nonfinite=nonfinite))
    return rw


def exec_source(source: str, filename: str) -> dict[str, Any]:
    """Run generated source as a module namespace (``__file__`` = ``filename``)."""
    ns: dict[str, Any] = {"__file__": filename, "__name__": "rewritten_model"}
    exec(compile(source, filename, "exec"), ns)  # noqa: S102 - source we generated
    return ns


def write_weights(source: str, weights: dict[str, list[np.ndarray]]) -> bytes:
    """``model.weights.h5`` of ``source``'s model built here with ``weights`` (layer -> arrays)."""
    with temp_folder("tf1x-rewrite-") as tmp:
        model = exec_source(source, f"{tmp}/model.py")["build_model"](weights=None)
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
        model.save_weights(f"{tmp}/model.weights.h5")
        return (tmp / "model.weights.h5").read_bytes()


def check_rewrites(
    rewrites: list[KerasRewrite],
    backends: tuple[str, ...] = BACKENDS,
    tolerance: Tolerance = TOLERANCE,
) -> None:
    """Run every rewrite's ``model.py`` on its feeds in ONE fresh process per backend (imports are
    the slow part); fills each ``parity``: ``backends`` (backend -> ``{passed, seconds, outputs:
    {key: {passed, max_abs, max_rel}}, error}``), ``per_output`` and ``passed``."""
    if unknown := [b for b in backends if b not in KERAS_BACKENDS]:
        raise ConversionError(
            f"{plain(unknown[0])!r} is no Keras backend: choose from {', '.join(KERAS_BACKENDS)}"
        )
    results: list[dict[str, Any]] = [{} for _ in rewrites]
    with temp_folder("tf1x-check-") as tmp:
        for i, rw in enumerate(rewrites):  # arrays by position, their keys in feeds{i}.npz.json
            (folder := tmp / f"m{i}").mkdir()
            rw._write(folder)
            arrays = {
                f"b{b}_{j}": v for b, f in enumerate(rw._feeds) for j, v in enumerate(f.values())
            }
            np.savez(f"{tmp}/feeds{i}.npz", **arrays)
            Path(f"{tmp}/feeds{i}.npz.json").write_text(json.dumps([list(f) for f in rw._feeds]))
        for backend in backends:
            spec = []
            for i, rw in enumerate(rewrites):
                out = f"{tmp}/out{i}_{backend}.npz"
                spec.append([f"{tmp}/m{i}", f"{tmp}/feeds{i}.npz", out, [*rw._expected[0]]])
            start = time.perf_counter()
            error = run_child(_RUNNER, spec, backend)
            seconds = round((time.perf_counter() - start) / max(len(rewrites), 1), 2)
            for i, rw in enumerate(rewrites):
                got = child_result(spec[i][2], error)
                if isinstance(got, str):
                    results[i][backend] = dict(passed=False, seconds=seconds, error=got, outputs={})
                else:
                    results[i][backend] = _compare_job(got, rw._expected, tolerance, seconds)
    for rw, res in zip(rewrites, results):
        rw.parity.update(backends=res, atol=tolerance.atol, rtol=tolerance.rtol)
        rw.parity["per_output"] = {
            k: {b: r["outputs"].get(k, {}).get("passed", False) for b, r in res.items()}
            for k in rw.outputs
        }
        rw.parity["passed"] = bool(res) and all(r["passed"] for r in res.values())


def run_child(script: str, spec: Any, backend: str) -> str | None:
    """Run ``script`` (``spec`` as JSON in argv[1]) on the Keras ``backend`` in its own process
    group, killed whole past ``CHILD_TIMEOUT``, on an error or a signal (SIGINT, SIGTERM raised
    here as ``KeyboardInterrupt``); its last stderr line (or the timeout) on failure."""
    with subprocess.Popen(
        [sys.executable, "-c", script, json.dumps(spec)],
        env={**os.environ, **CHILD_ENV, "KERAS_BACKEND": backend},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            _, err = proc.communicate(timeout=CHILD_TIMEOUT)
        except BaseException as e:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            if isinstance(e, subprocess.TimeoutExpired):
                return f"did not finish within {CHILD_TIMEOUT:g} s"
            raise
    if proc.returncode == 0:
        return None
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else f"exit status {proc.returncode}"


def child_result(path: str, error: str | None) -> dict[str, np.ndarray] | str:
    """The arrays a child saved in ``path``, else its one-line error (``path.err``, ``error``)."""
    if (err := Path(path + ".err")).exists():
        return err.read_text()
    return dict(np.load(path)) if Path(path).exists() else error or "no result"


def _compare_job(
    got: Any, expected: list[dict[str, np.ndarray]], tolerance: Tolerance, seconds: float
) -> dict[str, Any]:
    """One backend's outputs (by position) against v1's ``expected`` batches, one comparator."""
    at = {k: j for j, k in enumerate(expected[0])}
    keys = [k for k in at if all(f"b{b}_{at[k]}" in got for b in range(len(expected)))]
    acc = Comparator(tolerance)
    for b, want in enumerate(expected):
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
    missing = {"passed": False, "max_abs": None, "max_rel": None}
    for key in (k for k in expected[0] if k not in outputs):
        outputs[key] = {**missing, "error": "missing from the Keras outputs"}
    passed = bool(outputs) and all(o["passed"] for o in outputs.values())
    return {"passed": passed, "seconds": seconds, "outputs": outputs, "error": None}
