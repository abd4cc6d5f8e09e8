"""Parity on the user's own data: both runners streamed over a :class:`DataSource`, batch by batch.

:func:`parity_on_data` is what ``explorer.parity(model, v2, data=...)`` runs per signature. Each
batch is read, fed to v1 (twice in one session: an output that differs between the two passes is
*nondeterministic*), fed to v2, folded into a
:class:`~explorer.comparing.streaming.StreamingComparison` and dropped, so memory holds one batch
whatever the size of the data. Inputs the data does not hold (a ``keep_prob`` switch, an input
the graph defaults) are generated as :func:`explorer.sample` does (switches get their neutral
value) and listed in the report's notes. Stateful signatures run once per side from fresh state.
With ``remedy=True`` outputs behind random ops are compared on a seeded copy of the v1 graph and
its own conversion, two fresh v1 sessions of the copy running side by side for the self-check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from explorer.comparing.records import NONDETERMINISTIC, ParityReport
from explorer.comparing.streaming import StreamingComparison
from explorer.errors import DataError, SessionError
from explorer.feeding.switches import switch_of
from explorer.graph import traversal as gf

Progress = Callable[[str, int, "int | None"], None]


def parity_on_data(
    v1: Any,
    fresh: Any,
    target: Any,
    source: Any,
    opts: Any,
    *,
    remedy: bool = False,
    limit: int | None = None,
    worst: int = 5,
    progress: Progress | None = None,
) -> ParityReport:
    """One signature (or custom tensors) of ``v1`` against its v2 on ``source``'s batches.

    ``fresh``, ``target`` and ``opts`` are :func:`explorer.parity`'s (``_FreshV2``, ``_Target``,
    ``_Options``). Returns the report with per-example figures (``report.examples``) and
    ``report.data`` (the source, examples compared, seconds per side, examples/s).
    """
    from explorer.comparing.parity_check import _output_ops

    stateful = bool(gf.state_changing_upstream(v1.graph_def, _output_ops(v1, target)))
    report, nondet, output_ops = _stream(
        v1, fresh.source(stateful), target, source, opts, stateful, limit, worst, progress
    )
    if stateful:
        report.stateful = True
        report.notes.append(
            "stateful signature: v1 and v2 ran the same sequence of calls from the same fresh "
            "state (no v1-against-itself check)"
        )
    if not nondet:
        return report
    _mark(v1, report, nondet, output_ops)
    if not remedy:
        report.notes.append(
            "nondeterministic outputs are not judged: feed keep_prob-like inputs their neutral "
            "value, or rerun with remedy=True (CLI: --remedy)"
        )
        return report
    return _remedied(v1, target, source, opts, nondet, output_ops, limit, worst, progress)


def _mark(v1: Any, report: ParityReport, keys: set[str], output_ops: dict[str, list[str]]) -> None:
    for key in keys:
        ops = gf.random_ops_upstream(v1.graph_def, output_ops.get(key, []))
        for rec_key, rec in report.outputs.items():
            if rec_key == key or rec_key.startswith(f"{key}_"):
                rec.status = NONDETERMINISTIC
                rec.random_ops = ops
                rec.reason = "v1 disagrees with itself on the same feeds" + (
                    f" (random ops: {', '.join(ops)})" if ops else " (no random op upstream)"
                )


def _remedied(
    v1: Any,
    target: Any,
    source: Any,
    opts: Any,
    nondet: set[str],
    output_ops: dict[str, list[str]],
    limit: int | None,
    worst: int,
    progress: Progress | None,
) -> ParityReport:
    from explorer.comparing.parity_check import _remedied_copy
    from explorer.conversion.converter import convert
    from explorer.graph.names import op_name

    ops = [op for k in nondet for op in output_ops.get(k, [])]
    up = gf.upstream(v1.graph_def, ops)
    nodes = gf.node_map(v1.graph_def)
    switches = [
        n
        for n in up
        if n in nodes and nodes[n].op == "PlaceholderWithDefault" and switch_of(n) is not None
    ]
    from explorer.running.v1_runner import V1Runner

    fed = {op_name(s.name) for s in V1Runner(v1, **target.v1_kwargs()).input_specs.values()}
    switches = [n for n in switches if n not in fed]
    random_ops = sorted(n for n in up if n in nodes and nodes[n].op in gf.RANDOM_OPS)
    copy, what = _remedied_copy(v1, switches, random_ops, opts.seed)
    v2_copy = convert(copy, **target.convert_kwargs(), allow_unsafe=opts.allow_unsafe)
    report, again, _ = _stream(
        copy, v2_copy, target, source, opts, False, limit, worst, progress, twin=True
    )
    if again:
        _mark(copy, report, again, output_ops)
    report.remedy = (
        "; ".join(what) + " in a copy of the v1 graph, converted afresh; both sides ran from "
        "fresh state"
    )
    report.notes.append(
        "the remedy compares a remedied copy of v1 with its own fresh conversion, not the given "
        "v2 model: it shows the conversion is faithful once randomness is pinned"
    )
    return report


def _stream(
    v1: Any,
    v2: Any,
    target: Any,
    source: Any,
    opts: Any,
    stateful: bool,
    limit: int | None,
    worst: int,
    progress: Progress | None,
    *,
    twin: bool = False,
) -> tuple[ParityReport, set[str], dict[str, list[str]]]:
    """Stream ``source`` through v1 (and its self-check) and v2; returns the report, the keys
    v1 disagreed with itself on, and each output key's op names."""
    from explorer.comparing.parity_check import _key_map, _parts, _same
    from explorer.conversion.v2_runner import V2Runner
    from explorer.graph.names import op_name
    from explorer.running.v1_runner import V1Runner

    kwargs = {**target.v1_kwargs(), "allow_unsafe": opts.allow_unsafe}
    with ExitStack() as stack:
        r1 = stack.enter_context(V1Runner(v1, **kwargs))
        check = None if stateful else (stack.enter_context(V1Runner(v1, **kwargs)) if twin else r1)
        r2 = stack.enter_context(V2Runner(v2, signature=target.signature))
        in_map = _key_map(r1.input_specs, r2.input_specs, "input")
        out_map = _key_map(r1.output_specs, r2.output_specs, "output")
        specs = r1.input_specs
        required = [
            k
            for k in r1.required_inputs
            if switch_of(k) is None and switch_of(specs[k].name) is None
        ]
        acc = StreamingComparison(
            opts.atol, opts.rtol, opts.per_output, worst=worst, name=target.name
        )
        nondet: set[str] = set()
        notes: list[str] = []
        defaults: dict[str, Any] | None = None
        seconds = {"v1": 0.0, "v2": 0.0, "read": 0.0, "first_batch": 0.0}
        done = first_rows = 0
        t0 = time.perf_counter()
        t_read = t0
        for i, batch in enumerate(source.batches(specs, v1, required=required, limit=limit)):
            seconds["read"] += time.perf_counter() - t_read
            feeds = dict(batch.feeds)
            if any(k not in feeds for k in r1.required_inputs):
                made = r1.sample(batch=batch.rows, seed=opts.seed + i, overrides=feeds)
                if i == 0:
                    gen = [k for k in made if k not in feeds]
                    notes.append(f"not in the data, generated: {', '.join(gen)}")
                feeds = dict(made)
            if i == 0:
                notes.extend(batch.notes)
            if defaults is None:
                missing = [k for k in specs if in_map.get(k) in r2.required_inputs]
                defaults = {
                    k: r1.session.run(specs[k].name)
                    for k in missing
                    if specs[k].kind == "dense" and k not in feeds
                }
            try:
                a = r1.infer(feeds)
            except SessionError as e:
                _locate(r1, feeds, batch, e)
                raise
            seconds["v1"] += r1.last_seconds or 0.0
            if check is not None:
                again = check.infer(feeds)
                nondet.update(k for k in a if not _same(a[k], again[k]))
            f2 = {in_map[k]: v for k, v in {**defaults, **feeds}.items() if k in in_map}
            out = r2.infer(f2)
            seconds["v2"] += r2.last_seconds or 0.0
            acc.add(a, {k: out[out_map[k]] for k in out_map}, batch)
            done += batch.rows
            if i == 0:
                seconds["first_batch"] = time.perf_counter() - t0
                first_rows = batch.rows
            if progress is not None:
                progress(target.name, done, limit)
            t_read = time.perf_counter()
        wall = time.perf_counter() - t0
        if progress is not None:
            progress(target.name, done, done)  # the end: total known
        output_ops = {k: [op_name(c) for c in _parts(s)] for k, s in r1.output_specs.items()}
    report = acc.report()
    report.notes.extend(notes)
    report.data = {
        "source": source.describe(),
        "examples": done,
        "batch_size": source.batch_size,
        "seconds": {k: round(v, 4) for k, v in {**seconds, "total": wall}.items()},
        "examples_per_second": round(done / wall, 1) if wall > 0 else None,
        # after the first batch (whose runs are the cold first runs of fresh graphs)
        "steady_examples_per_second": (
            round((done - first_rows) / (wall - seconds["first_batch"]), 1)
            if done > first_rows and wall > seconds["first_batch"]
            else None
        ),
    }
    return report, nondet, output_ops


def _locate(runner: Any, feeds: dict[str, Any], batch: Any, error: Exception) -> None:
    """v1 refused a batch of the data: run its records one by one and raise ``DataError`` naming
    the first one it refuses (where it came from, and TensorFlow's reason). Returns when every
    record runs alone (the batch as a whole is the problem: the caller re-raises)."""
    from explorer.errors import first_line
    from explorer.feeding.data.sources import rows_of, take_rows

    for row in range(batch.rows):
        one = {
            k: take_rows(v, row, row + 1) if rows_of(v) == batch.rows else v
            for k, v in feeds.items()
        }
        try:
            runner.infer(one)
        except SessionError:
            # the batch's message says what is wrong; this run says which record it is
            reason = first_line(error).split("session.run failed ", 1)[-1]
            raise DataError(
                f"{batch.where[row]} (example {batch.start + row}): the model refuses this "
                f"record ({reason}): fix or drop the record"
            ) from None
