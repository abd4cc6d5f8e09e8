"""Latency of the native Keras 3 rewrite (``explorer.to_keras``) vs the v1 ``session.run``.

For the shared fc-layers and regression models and the tf.compat.v1 fixtures of
``tests/rewriting/keras_fixtures.py`` (MLP, CNN with batch norm + dropout, LSTM and GRU text
models, built in one subprocess), at batch 1 and 64, on the same feeds:

* ``session``: the v1 ``session.run`` in this process (the baseline, ratio 1.0);
* ``tensorflow`` / ``jax``: the generated ``model.py`` in a fresh process per backend, called
  through ``predict_on_batch`` (a ``tf.function`` on TensorFlow, ``jax.jit`` on JAX: what a
  user serving it gets), after a warm-up call.

Each contender's median per-call time is taken over ``--calls`` calls; the ratios are medians
against ``session`` measured in the same run. The max error against v1 is printed beside them.
Run: ``python -m benchmarks.bench_rewrite [--calls N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT.parent / "shared" / "models"
FIXTURES = ("mlp", "cnn_bn_dropout", "lstm", "gru")
BATCHES = (1, 64)

_TIMER = r"""
import importlib.util, json, statistics, sys, time
import numpy as np
import keras
jobs, calls = json.loads(sys.argv[1]), int(sys.argv[2])
out = {}
for label, folder, feeds_path in jobs:
    spec = importlib.util.spec_from_file_location(label, folder + "/model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model()
    data = np.load(feeds_path)
    for batch in sorted({k.split("_", 1)[0] for k in data.files}):
        feeds = {k.split("_", 1)[1]: data[k] for k in data.files if k.startswith(batch + "_")}
        y = model.predict_on_batch(feeds)  # warm-up: traces / compiles
        times = []
        for _ in range(calls):
            t = time.perf_counter()
            y = model.predict_on_batch(feeds)
            times.append(time.perf_counter() - t)
        arrays = {k: np.asarray(v) for k, v in y.items()}
        np.savez(f"{feeds_path}.{batch}.{keras.backend.backend()}.npz", **arrays)
        out[f"{label}/{batch}"] = statistics.median(times)
print(json.dumps(out))
"""


def _cases(tmp: Path) -> dict[str, tuple[Path, list[str], list[str]]]:
    cases = {
        "fc-layers": (MODELS / "tf2onnx_fc_layers_frozen", ["X:0"], ["output:0"]),
        "regression": (MODELS / "tf2onnx_regression_checkpoint", ["X:0"], ["pred:0"]),
    }
    builder = ROOT / "tests" / "rewriting" / "keras_fixtures.py"
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, str(builder), str(tmp / "fx"), *FIXTURES],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode == 0:
        for name in FIXTURES:
            cases[name] = (tmp / "fx" / name / "model.meta", ["x:0"], ["y:0"])
    else:
        print(f"   (fixtures not built: {done.stderr.strip().splitlines()[-1:]})")
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_rewrite")
    parser.add_argument("--calls", type=int, default=100, help="timed calls per contender")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    import explorer
    from explorer.feeding.sampling import sample

    with tempfile.TemporaryDirectory(prefix="tf1x-bench-rewrite-") as tmp_name:
        tmp = Path(tmp_name)
        jobs, session_times, expected, layers = [], {}, {}, {}
        for label, (path, ins, outs) in _cases(tmp).items():
            model = explorer.load(path)
            rw = explorer.to_keras(model, inputs=ins, outputs=outs, check=False)
            folder = rw.save(tmp / label)
            layers[label] = (len(rw.native_layers), len(rw.fallbacks))
            arrays = {}
            with explorer.ModelSession(model) as sess:
                for batch in BATCHES:
                    f = sample(model, inputs=ins, batch=batch, seed=batch)
                    keyed = {k: np.asarray(f[t]) for k, t in rw.inputs.items()}
                    arrays.update({f"b{batch}_{k}": v for k, v in keyed.items()})
                    feed = {t: keyed[k] for k, t in rw.inputs.items()}
                    fetch = dict(rw.outputs)
                    expected[f"{label}/b{batch}"] = sess.run(fetch, feed)
                    times = []
                    for _ in range(args.calls):
                        t = time.perf_counter()
                        sess.run(fetch, feed)
                        times.append(time.perf_counter() - t)
                    session_times[f"{label}/b{batch}"] = statistics.median(times)
            feeds_path = tmp / f"{label}.npz"
            np.savez(feeds_path, **arrays)
            jobs.append([label, str(folder), str(feeds_path)])
        backend_times = {}
        for backend in ("tensorflow", "jax"):
            env = {**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu"}
            env["TF_CPP_MIN_LOG_LEVEL"] = "3"
            done = subprocess.run(
                [sys.executable, "-c", _TIMER, json.dumps(jobs), str(args.calls)],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                print(f"   {backend}: failed ({done.stderr.strip().splitlines()[-1:]})")
                continue
            backend_times[backend] = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"   {'model':<16}{'batch':>6}{'session ms':>12}"
            + "".join(f"{b + ' x':>14}{'max err':>10}" for b in backend_times)
            + "   native/fallback"
        )
        for label, _folder, feeds_path in jobs:
            for batch in BATCHES:
                key = f"{label}/b{batch}"
                row = f"   {label:<16}{batch:>6}{session_times[key] * 1e3:>12.3f}"
                for backend, times in backend_times.items():
                    got = np.load(f"{feeds_path}.b{batch}.{backend}.npz")
                    err = max(
                        float(np.max(np.abs(got[k] - np.asarray(v))))
                        for k, v in expected[key].items()
                    )
                    row += f"{times[key] / session_times[key]:>14.2f}{err:>10.1e}"
                print(row + f"   {layers[label][0]}/{layers[label][1]}")
    print("   x = median latency / v1 session.run median (same feeds, same run); < 1 is faster")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
