"""Peak memory of ``tf1-explorer inspect`` and ``scan`` on a big SavedModel (issue 23: a 125 MB
``saved_model.pb`` took 3.8 GB), as the ratio peak RSS / file size.

The model (built once per run in a temp folder by a TensorFlow child, never committed) is a v1
graph whose weights are ``Const`` nodes, so nearly all of its ``--mb`` MB lie in the graph file.
Each verb runs as a fresh process; its peak RSS (its own or a child's, from ``wait4``) is
divided by the file's size. Target for inspect and scan: ratio ≤ 3 (the file's bytes and one
parsed copy: measured 2.2 at 150 MB). ``run`` (``--verbs run``) is shown without a target: it
imports TensorFlow and the graph (measured 3.0 GB, ratio 20, most of it TensorFlow's own graph
optimisation during ``session.run``).

Run: ``python -m benchmarks memory`` or ``python -m benchmarks.bench_memory [--mb N]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 3.0
_BUILD = """
import sys, numpy as np, tensorflow as tf
v1 = tf.compat.v1
g, n, rows = tf.Graph(), 1024, int(sys.argv[2]) * 2**20 // (4 * 1024 * 4)
with g.as_default():
    x = v1.placeholder(tf.float32, [None, n], name="x")
    for i in range(4):
        w = np.random.default_rng(i).normal(size=(n, rows)).astype(np.float32)
        x = tf.matmul(x, tf.constant(w), name=f"dense_{i}")[:, :n]
    with v1.Session(graph=g) as sess:
        b = v1.saved_model.Builder(sys.argv[1])
        sig = v1.saved_model.predict_signature_def({"x": g.get_tensor_by_name("x:0")}, {"y": x})
        b.add_meta_graph_and_variables(sess, ["serve"], {"serving_default": sig})
        b.save()
"""


def peak_rss(cmd: list[str], env: dict[str, str]) -> int:
    """Peak resident bytes of ``cmd`` or any child it waited for."""
    proc = subprocess.Popen(cmd, env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"bench_memory: {' '.join(cmd[2:4])} exited {proc.returncode}")
    return usage.ru_maxrss * 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_memory")
    parser.add_argument("--mb", type=int, default=150, help="size of the graph file (MB)")
    parser.add_argument("--verbs", nargs="+", default=["inspect", "scan"], help="verbs to run")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        model = Path(tmp) / "big"
        build = [sys.executable, "-c", _BUILD, str(model), str(args.mb)]
        subprocess.run(build, env=env, check=True, capture_output=True)
        size = (model / "saved_model.pb").stat().st_size
        print(f"  saved_model.pb: {size / 2**20:,.0f} MB")
        for verb in args.verbs:
            peak = peak_rss([sys.executable, "-m", "explorer", verb, str(model)], env)
            ratio = peak / size
            verdict = "meets" if ratio <= TARGET else "MISSES"
            print(f"  {verb:8s} peak RSS {peak / 2**20:7,.0f} MB  ratio {ratio:5.2f} ", end="")
            print(f"({verdict} the target ≤ {TARGET})" if verb != "run" else "(no target)")


if __name__ == "__main__":
    main()
