"""Catalog of a 100,000-node frozen graph versus the user's way today.

The user's way: ``tf.import_graph_def`` into a fresh graph, then scan ``graph.get_operations()``
(names, types, output dtypes) and filter names in Python for each search. Ours:
``Catalog.from_graph_def`` (protobuf only) and ``Catalog.search``. Both run here, on the same
graph, in the same process; the script prints both times and their ratio.

Run: ``python -m benchmarks`` (every benchmark) or ``python -m benchmarks.bench_catalog``.
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import time
from typing import Any

N_NODES = 100_000
N_SEARCHES = 100


def synthetic_graph_def(n_nodes: int = N_NODES, seed: int = 0) -> Any:
    """A valid frozen GraphDef of ``n_nodes`` nodes: an input placeholder, then blocks of
    Const kernel -> MatMul -> BiasAdd(Const bias) -> Relu -> Identity, plus a Shape per block,
    grouped in name scopes ``model/stage_<s>/block_<b>/``, ending in ``output`` (Softmax)."""
    import numpy as np

    from explorer._tf import tf

    tf()
    from tensorflow.core.framework import graph_pb2, types_pb2
    from tensorflow.python.framework import tensor_util

    rng = np.random.default_rng(seed)
    width = 8
    kernel = tensor_util.make_tensor_proto(rng.normal(size=(width, width)).astype(np.float32))
    bias = tensor_util.make_tensor_proto(rng.normal(size=(width,)).astype(np.float32))
    f32 = types_pb2.DT_FLOAT
    gd = graph_pb2.GraphDef()
    gd.versions.producer = 27
    x = gd.node.add(name="input", op="Placeholder")
    x.attr["dtype"].type = f32
    for size in (-1, width):
        x.attr["shape"].shape.dim.add().size = size
    prev = "input"
    per_block = 7
    blocks = (n_nodes - 2) // per_block
    for b in range(blocks):
        s = f"model/stage_{b // 100}/block_{b % 100}"
        k = gd.node.add(name=f"{s}/kernel", op="Const")
        k.attr["dtype"].type = f32
        k.attr["value"].tensor.CopyFrom(kernel)
        c = gd.node.add(name=f"{s}/bias", op="Const")
        c.attr["dtype"].type = f32
        c.attr["value"].tensor.CopyFrom(bias)
        mm = gd.node.add(name=f"{s}/MatMul", op="MatMul", input=[prev, k.name])
        ba = gd.node.add(name=f"{s}/BiasAdd", op="BiasAdd", input=[mm.name, c.name])
        relu = gd.node.add(name=f"{s}/Relu", op="Relu", input=[ba.name])
        shape = gd.node.add(name=f"{s}/Shape", op="Shape", input=[relu.name])
        ident = gd.node.add(name=f"{s}/Identity", op="Identity", input=[relu.name])
        for node in (mm, ba, relu, shape, ident):
            node.attr["T"].type = f32
        prev = ident.name
    while len(gd.node) < n_nodes - 1:
        extra = gd.node.add(name=f"model/extra_{len(gd.node)}", op="Identity", input=[prev])
        extra.attr["T"].type = f32
        prev = extra.name
    out = gd.node.add(name="output", op="Softmax", input=[prev])
    out.attr["T"].type = f32
    return gd


def queries(n: int = N_SEARCHES, seed: int = 0) -> list[dict[str, Any]]:
    """A fixed mix of what people type: exact-ish names, substrings, globs, regexes, filters."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    kinds = ("name", "substring", "glob", "regex", "type", "scope")
    for q in range(n):
        stage, block = rng.randrange(140), rng.randrange(100)
        kind = kinds[q % len(kinds)]
        if kind == "name":
            out.append({"text": f"model/stage_{stage}/block_{block}/relu"})
        elif kind == "substring":
            out.append({"text": f"block_{block}/bias"})
        elif kind == "glob":
            out.append({"text": f"model/stage_{stage}/*/MatMul"})
        elif kind == "regex":
            out.append({"text": rf"re:stage_{stage}/block_{block}\d?/(Relu|Identity)$"})
        elif kind == "type":
            out.append({"text": "output", "op_type": "Softmax"})
        else:
            out.append({"text": "relu", "scope": f"model/stage_{stage}"})
    return out


def baseline(gd: Any, qs: list[dict[str, Any]]) -> tuple[float, list[float], list[int]]:
    """Import + scan ``get_operations()``; returns (build s, per-search s, hit counts)."""
    from explorer._tf import tf, tf1

    t0 = time.perf_counter()
    graph = tf().Graph()
    with graph.as_default():
        tf1().import_graph_def(gd, name="")
    ops = graph.get_operations()
    table = [(op.name, op.name.lower(), op.type, [t.dtype.name for t in op.outputs]) for op in ops]
    build = time.perf_counter() - t0
    times, hits = [], []
    for q in qs:
        t = time.perf_counter()
        found = [row[0] for row in table if _baseline_match(row, q)]
        times.append(time.perf_counter() - t)
        hits.append(len(found))
    return build, times, hits


def _baseline_match(row: tuple[str, str, str, list[str]], q: dict[str, Any]) -> bool:
    import fnmatch
    import re

    name, lower, op_type, _ = row
    text = q["text"]
    if q.get("op_type") and op_type != q["op_type"]:
        return False
    if q.get("scope") and not name.startswith(q["scope"] + "/"):
        return False
    if text.startswith("re:"):
        return re.search(text[3:], name) is not None
    if "*" in text:
        return fnmatch.fnmatchcase(lower, text.lower())
    return text.lower() in lower


def ours(gd: Any, qs: list[dict[str, Any]]) -> tuple[float, list[float], list[int], float, float]:
    """Catalog build + searches; returns (build s, per-search s, hit counts, materialise s,
    scope-tree s)."""
    from explorer.inspection.catalog import Catalog

    t0 = time.perf_counter()
    catalog = Catalog.from_graph_def(gd)
    build = time.perf_counter() - t0
    t = time.perf_counter()
    catalog.scope_tree()  # built on first use (scope searches, the browser's tree)
    tree = time.perf_counter() - t
    times, hits = [], []
    for q in qs:
        t = time.perf_counter()
        found = catalog.search(**q)
        times.append(time.perf_counter() - t)
        hits.append(len(found))
    t = time.perf_counter()
    n_tensors = len(catalog.tensors)
    materialise = time.perf_counter() - t
    assert n_tensors >= len(catalog)
    return build, times, hits, materialise, tree


TYPED = (
    "model/stage_12/block_3/relu",
    "block_7/bias",
    "*/MatMul",
    "stage_1*/Relu",
    "re:block_9\\d/Shape$",
)


def typing(gd: Any) -> list[float]:
    """The TensorBrowser's search box on the graph: every prefix of a few words typed (substring,
    glob, regex), each keystroke timed from the state change to the page's rows; seconds."""
    from explorer.inspection.catalog import Catalog
    from explorer.widgets.browse_state import BrowserState

    state = BrowserState(Catalog.from_graph_def(gd))
    times = []
    for word in TYPED:
        for k in range(1, len(word) + 1):
            t = time.perf_counter()
            state.query = word[:k]
            state.page_rows()
            times.append(time.perf_counter() - t)
        state.query = ""
    return times


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20)[-1]


def main() -> dict[str, Any]:
    """Run the benchmark, print a short table, return the numbers (seconds)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    gd = synthetic_graph_def()
    qs = queries()
    ours(synthetic_graph_def(200), qs[:5])  # warm up imports and the op-registry cache
    gc.collect()
    b_build, b_times, b_hits = baseline(gd, qs)
    gc.collect()  # the baseline's graph is garbage now: do not bill its collection to ours
    o_build, o_times, o_hits, o_mat, o_tree = ours(gd, qs)
    gc.collect()
    keys = typing(gd)
    if b_hits != o_hits:
        raise AssertionError("catalog search and the baseline scan disagree on hit counts")
    res = {
        "nodes": len(gd.node),
        "baseline_build_s": b_build,
        "catalog_build_s": o_build,
        "build_speedup": b_build / o_build,
        "baseline_search_p95_ms": p95(b_times) * 1e3,
        "catalog_search_p95_ms": p95(o_times) * 1e3,
        "catalog_search_max_ms": max(o_times) * 1e3,
        "catalog_all_tensor_infos_s": o_mat,
        "catalog_scope_tree_s": o_tree,
        "typing_p95_ms": p95(keys) * 1e3,
        "typing_max_ms": max(keys) * 1e3,
        "keystrokes": len(keys),
        "searches": len(qs),
        "hits_total": sum(o_hits),
    }
    print(f"catalog benchmark: {res['nodes']:,} nodes, {res['searches']} searches")
    print(
        f"  import_graph_def + get_operations scan  {b_build:7.2f} s   "
        f"search p95 {res['baseline_search_p95_ms']:6.2f} ms"
    )
    print(
        f"  Catalog.from_graph_def                  {o_build:7.2f} s   "
        f"search p95 {res['catalog_search_p95_ms']:6.2f} ms "
        f"(max {res['catalog_search_max_ms']:.2f})"
    )
    print(
        f"  TensorBrowser search box: {len(keys)} keystrokes, p95 {res['typing_p95_ms']:.2f} ms "
        f"(max {res['typing_max_ms']:.2f}; target <= 10 ms)"
    )
    print(f"  build speed-up {res['build_speedup']:.1f}x (target >= 5x); search p95 target < 10 ms")
    print(
        f"  (on first use, not in the build time: scope tree {o_tree:.2f} s, "
        f"every TensorInfo {o_mat:.2f} s)"
    )
    return res


if __name__ == "__main__":
    main()
