"""``explorer.to_keras``: a TF1 graph rewritten as a native Keras 3 model, with proof.
``rw = explorer.to_keras(model, inputs=["x:0"], outputs=["y:0"])`` (or ``signature=``);
``rw.source`` (the Keras model), ``rw.fallbacks`` (marked fallback layers), ``rw.parity``
(v1 session vs ``model.py`` in fresh TF and JAX processes), ``rw.save("out/")``, ``rw.build()``."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from explorer.comparing.records import Tolerance
from explorer.errors import ConversionError
from explorer.feeding.sampling import sample
from explorer.graph.names import op_name, tensor_name
from explorer.inspection.io_choice import check_custom_io, default_io
from explorer.loading.model import V1Model, as_model
from explorer.output_policy import staged_folder
from explorer.rewriting.check import TOLERANCE, Job, check_jobs, exec_source, write_weights
from explorer.rewriting.codegen import generate
from explorer.rewriting.graph import GraphContext, out_index, py_name
from explorer.rewriting.translate import translate
from explorer.running.session import ModelSession


@dataclass
class KerasRewrite:
    """The result of :func:`to_keras`: ``source`` (``model.py``, imports only keras and numpy),
    ``weights_h5`` (bytes), ``layers`` (one row per step: ``{layer, kind, rule, native,
    replaces, weights}``), ``inputs``/``outputs`` (Keras key -> TF1 tensor) and ``parity``
    (``parity.json``; ``{}`` when ``check=False``)."""

    source: str
    weights_h5: bytes
    layers: list[dict[str, Any]]
    inputs: dict[str, str]
    outputs: dict[str, str]
    parity: dict[str, Any] = field(default_factory=dict)
    model_path: str = ""
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
        """Write ``model.py``, ``model.weights.h5``, ``parity.json`` into ``out_dir``, published
        whole (:mod:`explorer.output_policy`: an earlier output replaced only on ``overwrite``)."""
        with staged_folder(out_dir, self.model, overwrite, "Keras rewrite") as staging:
            self._write(staging.path)
            return staging.publish()

    def _write(self, folder: Path) -> None:
        (folder / "model.py").write_text(self.source)
        (folder / "model.weights.h5").write_bytes(self.weights_h5)
        (folder / "parity.json").write_text(json.dumps(self.parity, indent=2, default=str) + "\n")

    def build(self) -> Any:
        """The Keras model in this process (current Keras backend), weights loaded."""
        with tempfile.TemporaryDirectory(prefix="tf1x-keras-") as tmp:
            self._write(folder := Path(tmp))
            ns = exec_source(self.source, str(folder / "model.py"))
            return ns["build_model"](weights=str(folder / "model.weights.h5"))

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
        ins, outs = ({_key(t): tensor_name(t) for t in ts} for ts in (inputs or [], outputs or []))
        return ins, outs
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
        missing = [t for t in names if t not in f]
        if missing:
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
    backends: tuple[str, ...] = ("tensorflow", "jax"),
    feeds: list[dict[str, Any]] | None = None,
    batches: tuple[int, ...] = (1, 4),
    seed: int = 0,
    atol: float = 1e-5,
    rtol: float = 1e-5,
    allow_unsafe: bool = False,
    nonfinite: str = "refuse",
) -> KerasRewrite:
    """Rewrite a TF1 model's graph between ``inputs`` and ``outputs`` (or a signature) as a
    native Keras 3 functional model; with ``check`` prove it against the v1 session on
    generated feeds (``batches``) and ``feeds`` (key or tensor -> array), in a fresh process per
    backend. ``ConversionError`` names an op with no rewrite, or why the inputs/outputs cannot
    become a Keras model."""
    model = as_model(model)
    ins, outs = _choose_io(model, inputs, outputs, signature)
    with ModelSession(model, allow_unsafe=allow_unsafe) as sess:
        ctx = GraphContext(model, list(ins.values()), list(outs.values()), sess)
        all_feeds = _feeds(model, ins, batches, seed, feeds)
        shapes = {k: (None, *v.shape[1:]) if v.ndim else () for k, v in all_feeds[0].items()}
        program = translate(ctx, ins, outs, shapes)
        expected = []
        for f in all_feeds:
            got = sess.run(outs, {ins[k]: v for k, v in f.items()})
            expected.append({k: np.asarray(v) for k, v in got.items()})
    source, weights, rows = generate(program, Path(str(model.path)).name)
    with tempfile.TemporaryDirectory(prefix="tf1x-rewrite-") as tmp:
        h5 = Path(tmp) / "model.weights.h5"
        write_weights(source, weights, h5)
        weights_h5 = h5.read_bytes()
    fallbacks = [{k: r[k] for k in ("layer", "kind", "replaces")} for r in rows if not r["native"]]
    given = [False] * len(batches) + [True] * len(feeds or [])
    report: dict[str, Any] = {
        "model": str(model.path),
        "inputs": ins,
        "outputs": outs,
        "native_layers": sum(r["native"] for r in rows),
        "fallbacks": fallbacks,
        "atol": atol,
        "rtol": rtol,
        "feeds": [
            {"source": "given" if g else "generated", "batch": _batch(f)}
            for g, f in zip(given, all_feeds)
        ],
    }
    rw = KerasRewrite(source, weights_h5, rows, ins, outs, report, str(model.path), model)
    rw._feeds, rw._expected = all_feeds, expected
    if check:
        check_rewrites([rw], backends, Tolerance(atol, rtol, nonfinite=nonfinite))
    return rw


def _batch(feed: dict[str, np.ndarray]) -> int:
    first = next(iter(feed.values()), None)
    return int(first.shape[0]) if first is not None and first.ndim else 1


def check_rewrites(
    rewrites: list[KerasRewrite],
    backends: tuple[str, ...] = ("tensorflow", "jax"),
    tolerance: Tolerance = TOLERANCE,
) -> None:
    """Check several rewrites in one fresh process per backend (fills each ``parity``)."""
    with tempfile.TemporaryDirectory(prefix="tf1x-rewrites-") as tmp:
        jobs = []
        for i, rw in enumerate(rewrites):
            folder = Path(tmp) / f"m{i}"
            folder.mkdir()
            rw._write(folder)
            jobs.append(Job(folder, rw._feeds, rw._expected))
        results = check_jobs(jobs, tuple(backends), tolerance)
    for rw, res in zip(rewrites, results):
        rw.parity["backends"] = res
        rw.parity["atol"], rw.parity["rtol"] = tolerance.atol, tolerance.rtol
        rw.parity["per_output"] = {
            k: {b: r["outputs"].get(k, {}).get("passed", False) for b, r in res.items()}
            for k in rw.outputs
        }
        rw.parity["passed"] = bool(res) and all(r["passed"] for r in res.values())
