"""Latency of converted signatures vs the v1 ``session.run`` on the same feeds.

For the fc-layers and chicago-taxi models at batch 1 and 64, interleaved in one process (each
round calls every contender once, in rotating order), it reports the median per-call time of:

* ``session``: the v1 ``session.run`` (the baseline, ratio 1.0);
* ``v2_runner``: the in-process converted function (what ``V2Runner`` over a ``V2Model`` calls);
* ``saved``: the signature of the saved TF2 SavedModel, loaded back;
* ``pruned``: the bare ``wrap_function(...).prune`` function called directly (do not serve it);
* ``keras_session``: a Keras model calling ``session.run`` in ``call`` (the common pattern);
* ``xla``: the converted function under ``jit_compile=True`` (opt-in; parity reported). Only for
  fc-layers: XLA aborts the process (a failed CHECK, not an exception) on chicago-taxi's
  string/table ops.

Ratios are medians of per-round ratios against ``session``; ``bitwise`` says whether the outputs
equal the session's exactly. Run: ``python -m benchmarks.bench_convert [--rounds N]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT.parent / "shared" / "models"
# label -> (model folder, signature, or (inputs, outputs) for a graph without signatures)
CASES: dict[str, tuple[str, Any]] = {
    "fc-layers": ("tf2onnx_fc_layers_frozen", (["X:0"], ["output:0"])),
    "chicago-taxi": ("tfx_chicago_taxi_serving", "predict"),
}
XLA = {"tf2onnx_fc_layers_frozen": True}


def _contenders(name: str, which: Any, batch: int, tmp: Path) -> tuple[dict, dict]:
    import keras

    import explorer
    from explorer._tf import tf
    from explorer.running.v1_runner import V1Runner

    tf = tf()
    model = explorer.load(MODELS / name)
    if isinstance(which, str):
        signature = which
        v2 = explorer.convert(model, signatures=[signature])
        r1 = V1Runner(model, signature=signature).start()
    else:
        signature = "serving_default"
        v2 = explorer.convert(model, inputs=which[0], outputs=which[1])
        r1 = V1Runner(model, inputs=which[0], outputs=which[1]).start()
    saved = tf.saved_model.load(str(v2.save(tmp / f"{name}-{batch}")))
    sig = v2.signatures[signature]
    feeds = r1.sample(batch=batch, seed=batch)
    sess = r1.session.session
    feed_dict = {r1._feed_tensors[k]: v for k, v in feeds.items()}
    fetch = r1._fetch
    flat = {sig.input_parts[k][0]: v for k, v in feeds.items()}
    args = [tf.constant(flat[k]) for k in sig.inputs]
    kwargs = dict(zip(sig.inputs, args))
    out_key = {k: sig.output_parts[k][0] for k in fetch}
    fn = v2.functions[signature]
    saved_fn = saved.signatures[signature]
    pruned = v2._pruned[signature]  # the bare wrap_function(...).prune result
    first_key = next(iter(fetch))

    class SessionInCall(keras.Model):
        def call(self, x: Any) -> Any:
            return sess.run(fetch[first_key], {next(iter(feed_dict)): x.numpy()})

    keras_model = SessionInCall()
    x0 = args[0]

    out = {
        "session": lambda: sess.run(fetch, feed_dict),
        "v2_runner": lambda: fn(*args),
        "saved": lambda: saved_fn(**kwargs),
        "pruned": lambda: pruned(*args),
        "keras_session": lambda: keras_model(x0),
    }
    if XLA.get(name):
        xla = tf.function(lambda *a: fn(*a), jit_compile=True)
        out["xla"] = lambda: xla(*args)
    ref = sess.run(fetch, feed_dict)
    parity = {}
    for key in [k for k in ("v2_runner", "saved", "pruned", "xla") if k in out]:
        try:
            got = out[key]()
        except Exception as e:  # noqa: BLE001 - a contender that cannot run is reported
            parity[key] = f"fails: {str(e).splitlines()[0][:80]}"
            out.pop(key)
            continue
        parity[key] = all(
            np.array_equal(np.asarray(ref[k]), np.asarray(got[out_key[k]])) for k in ref
        )
    return out, parity


def bench(rounds: int = 200, batches: tuple[int, ...] = (1, 64)) -> list[dict[str, Any]]:
    """Time every contender; returns one row per (model, batch, contender)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-convert-") as d:
        for label, (name, which) in CASES.items():
            if not (MODELS / name).exists():
                print(f"skip {label}: {MODELS / name} not found")
                continue
            for batch in batches:
                fns, parity = _contenders(name, which, batch, Path(d))
                for f in fns.values():  # warm up (tracing, XLA compile)
                    for _ in range(3):
                        f()
                times: dict[str, list[float]] = {k: [] for k in fns}
                order = list(fns)
                for i in range(rounds):
                    rot = order[i % len(order) :] + order[: i % len(order)]
                    for k in rot:
                        t0 = time.perf_counter()
                        fns[k]()
                        times[k].append(time.perf_counter() - t0)
                base = times["session"]
                for k, ts in times.items():
                    ratio = statistics.median(t / b for t, b in zip(ts, base))
                    rows.append(
                        {
                            "model": label,
                            "batch": batch,
                            "contender": k,
                            "median_us": statistics.median(ts) * 1e6,
                            "ratio_vs_session": ratio,
                            "bitwise": parity.get(k, True if k == "session" else "-"),
                        }
                    )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=200)
    args = p.parse_args(argv)
    rows = bench(args.rounds)
    print(f"{'model':13} {'batch':>5} {'contender':14} {'median µs':>10} {'ratio':>7}  bitwise")
    for r in rows:
        print(
            f"{r['model']:13} {r['batch']:>5} {r['contender']:14} {r['median_us']:>10.1f} "
            f"{r['ratio_vs_session']:>7.2f}  {r['bitwise']}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
