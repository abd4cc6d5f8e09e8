"""Tracing a path input to what decides it: constants, joins, selects, the Saver, callers."""

from __future__ import annotations

from explorer.inspection.scan_rules import ScanContext, Source, tracer_of
from tests.helpers import graph_model


def test_sources_of_path_inputs(tmp_path):
    def build(tf):
        v1 = tf.compat.v1
        pick = v1.placeholder(tf.bool, [], name="pick")
        name = tf.raw_ops.Select(condition=pick, x="a.txt", y="b.txt")
        tf.io.read_file(tf.strings.join(["/data", name], separator="/"), name="sel")
        tf.io.read_file(v1.placeholder_with_default("/x/default", [], name="d"), name="dflt")
        tf.io.read_file(tf.strings.upper("/x"), name="computed")

    model = graph_model(tmp_path, build)
    ctx = ScanContext(model)
    ref = {r.name: r for r in ctx.nodes(frozenset({"ReadFile"}))}
    tracer = tracer_of(ctx)
    assert tracer is tracer_of(ctx)  # one per scan
    assert tracer.trace(ref["sel"], 0) == [
        Source("const", "/data/a.txt"),
        Source("const", "/data/b.txt"),
    ]
    assert tracer.trace(ref["dflt"], 0) == [Source("const", "/x/default")]
    (s,) = tracer.trace(ref["computed"], 0)
    assert s.kind == "unknown" and "StringUpper" in s.text
