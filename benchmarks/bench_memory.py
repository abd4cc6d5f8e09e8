"""Peak memory of ``tf1-explorer inspect``, ``scan`` and ``run`` on a big SavedModel (issue 23:
a 125 MB ``saved_model.pb`` took 3.8 GB), as the ratio peak RSS / file size.

The model (built once per run in a temp folder by a TensorFlow child, never committed) is a v1
graph whose weights are ``Const`` nodes, so nearly all of its ``--mb`` MB lie in the graph file.
Each verb runs as a fresh process; its peak RSS (its own or a child's, from ``wait4``) is
divided by the file's size. Target for inspect and scan: ratio ≤ 3 (the file's bytes and one
parsed copy: measured 2.2 at 150 MB). Target for ``run``: ratio ≤ 14. It
imports TensorFlow (~700 MB alone) and the graph, and the first ``session.run`` builds
TensorFlow's own copies of the graph and its constants (~600 MB at 150 MB). Measured 12.9
(1.94 GB) since sessions of graphs over 64 MB run without Grappler; 19.7 (2.95 GB) before.

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
TARGETS = {"run": 14.0}  # ratio peak RSS / file size; other verbs: 3.0
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
    parser.add_argument(
        "--verbs", nargs="+", default=["inspect", "scan", "run"], help="verbs to run"
    )
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
            target = TARGETS.get(verb, 3.0)
            verdict = "meets" if ratio <= target else "MISSES"
            print(f"  {verb:8s} peak RSS {peak / 2**20:7,.0f} MB  ratio {ratio:5.2f} ", end="")
            print(f"({verdict} the target ≤ {target})")


if __name__ == "__main__":
    main()
