"""``first_divergence()``: the earliest op whose output differs between v1 and v2, all tensors
fetched in one run per side through parity's loop; what is not judged is named, never agreement."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from explorer._tf import tf, tf1
from explorer.comparing.outputs import Comparator
from explorer.comparing.parity_check import custom_io, run_sides
from explorer.comparing.records import (
    NONDETERMINISTIC,
    Divergence,
    DivergenceStep,
    ParityReport,
    Tolerance,
)
from explorer.conversion.v2_model import V2Model, V2Runner, variable_read
from explorer.errors import ParityError, SessionError, first_line
from explorer.graph import index as gf
from explorer.graph.index import graph_index
from explorer.graph.names import data_inputs, op_name, tensor_name
from explorer.graph.op_families import CALL_OPS, V1_CONTROL_FLOW_OPS
from explorer.inspection.catalog import Catalog
from explorer.inspection.suggestions import default_io
from explorer.loading.isolation import graph_element
from explorer.loading.model import V1Model, as_model
from explorer.running.base import FnRunner
from explorer.running.session import GRAPH_FIX
from explorer.running.v1_runner import V1Runner

_CALL_PREFIX = re.compile(r"^((Stateful)?PartitionedCall(_\d+)?/)+")
_INPUT_OP = re.compile(r"^(\^?)([^:]+)")
_SKIP_DTYPES = {"resource", "variant"}


def v2_graph_def(v2_model_or_dir: Any, signature: str | None = None) -> Any:
    """The GraphDef a v2 signature computes, frozen, ops named as in v1 (call prefixes dropped,
    inputs named as their v1 tensors), for :func:`first_divergence`. ``ParityError``: it cannot
    be frozen, or keeps its ops inside a call (lookup tables)."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    if isinstance(v2_model_or_dir, V2Model):
        conv = v2_model_or_dir.signature(signature)
        fn = v2_model_or_dir.functions[conv.name]
    else:
        runner = V2Runner(v2_model_or_dir, signature=signature).start()
        conv, fn = runner.converted, runner._loaded.signatures[runner.converted.name]
    arg_tensors = [conv.inputs[k].name for k in conv.inputs]
    try:
        frozen = convert_variables_to_constants_v2(fn)
    except Exception as e:  # noqa: BLE001 - TF raises many kinds here
        raise ParityError(
            f"signature {conv.name!r} cannot be frozen for first_divergence "
            f"({first_line(e, 200)}): compare its outputs with explorer.parity instead"
        ) from None
    gd = _inline_calls(frozen.graph.as_graph_def())
    calls = [n.name for n in gd.node if n.op in CALL_OPS]
    if calls:  # a table (or other resource) kept the body inside a function: no v1 names
        raise ParityError(
            f"signature {conv.name!r} keeps its ops inside function call {calls[0]!r} when "
            "frozen (it uses lookup tables or other resources): pass the in-memory V2Model "
            "(explorer.convert(model)) to first_divergence, or compare outputs with "
            "explorer.parity"
        )
    placeholders = [t.op.name for t in frozen.inputs]
    same = len(placeholders) == len(arg_tensors)
    renames = {p: op_name(t) for p, t in zip(placeholders, arg_tensors)} if same else {}
    taken = {n.name for n in gd.node}
    for node in gd.node:
        bare = _CALL_PREFIX.sub("", node.name)
        if node.name not in renames and bare != node.name and bare not in taken:
            renames[node.name] = bare
            taken.add(bare)
    for node in gd.node:
        node.name = renames.get(node.name, node.name)
        for i, inp in enumerate(node.input):  # "^op" (control), "op", "op:1": the op renamed
            node.input[i] = _INPUT_OP.sub(lambda m: m[1] + renames.get(m[2], m[2]), inp)
    return gd


def _inline_calls(gd: Any) -> Any:
    """``gd`` with each call whose body holds v1 control flow (Enter/Exit, which grappler will not
    inline) and no resource replaced by that body, its ops named ``<call>/<op>``."""
    from tensorflow.python.framework.function_def_to_graph import function_def_to_graph_def

    library = {
        f.signature.name: f
        for f in gd.library.function
        if {n.op for n in f.node_def} & V1_CONTROL_FLOW_OPS
        and not any("Table" in n.op for n in f.node_def)
        and all(a.type != tf().resource.as_datatype_enum for a in f.signature.input_arg)
    }
    while calls := [n for n in gd.node if n.op in CALL_OPS and n.attr["f"].func.name in library]:
        call = calls[0]
        fdef = library[call.attr["f"].func.name]
        body, flat = function_def_to_graph_def(fdef)
        args = dict(
            zip([a.name for a in fdef.signature.input_arg], [i for i in call.input if i[0] != "^"])
        )
        prefix = call.name + "/"

        def inside(inp: str, args: dict[str, str] = args, prefix: str = prefix) -> str:
            ctl, name = ("^", inp[1:]) if inp[0] == "^" else ("", inp)
            if op_name(name) in args:  # an argument: the call's own input
                return ctl + (op_name(args[op_name(name)]) if ctl else args[op_name(name)])
            return ctl + prefix + name

        rets = [inside(flat[fdef.ret[a.name]]) for a in fdef.signature.output_arg]
        nodes = []
        for node in body.node:
            if node.name in args:
                continue
            node.name = prefix + node.name
            node.input[:] = [inside(i) for i in node.input] or [
                i for i in call.input if i[0] == "^"
            ]
            nodes.append(node)
        for node in gd.node:
            if node is not call:
                node.input[:] = [_outside(i, call.name, rets) for i in node.input]
                nodes.append(node)
        del gd.node[:]
        gd.node.extend(nodes)
    return gd


def _outside(inp: str, call: str, rets: list[str]) -> str:
    """Input ``inp`` of an op outside ``call``, pointed at the body tensor it reads."""
    if inp == "^" + call:
        return "^" + op_name(rets[0]) if rets else inp
    name, _, port = inp.partition(":")
    return rets[int(port or 0)] if name == call else inp


def first_divergence(
    v1_model: V1Model | str | os.PathLike[str],
    v2: Any,
    feeds: Mapping[str, Any],
    *,
    signature: str | None = None,
    inputs: Sequence[str] | None = None,
    outputs: Sequence[str] | None = None,
    mapping: Mapping[str, str] | None = None,
    tolerance: Tolerance | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    judged: ParityReport | None = None,
    timeout: float | None = 600.0,
) -> Divergence:
    """The earliest op (v1's topological order) whose output differs between ``v1_model`` (or its
    path) and ``v2`` (a ``V2Model``, a folder, or a GraphDef from :func:`v2_graph_def`) on
    ``feeds`` (one batch, by input key or tensor name), in the fan-in of ``signature``'s outputs
    or of ``outputs`` fed at ``inputs``. ``mapping``: v1 op -> v2 op; ``judged``: parity's report
    of these outputs; ``timeout``: seconds per v1 run. ``ParityError``: sparse inputs, nothing
    shared, a failed v2."""
    v1 = as_model(v1_model)
    tol = Tolerance.given(tolerance, atol, rtol)
    in_names, out_keys, v2_sig = _v1_io(v1, signature, inputs, outputs)
    outs = list(out_keys.values())
    fn_graph, mapping = _v2_graph(v2, v2_sig), dict(mapping or {})
    graph = fn_graph.graph
    index = graph_index(v1.graph_def)
    skip = gf.control_flow_region(v1.graph_def)
    order = index.topological_order(index.upstream(outs, control=False))
    feed_ops = {op_name(n) for n in in_names.values()}

    # only tensors an output reads: side outputs (a batch norm's statistics) cannot make it
    # diverge, and a runtime rewrite may drop them (FusedBatchNorm folded into an Add)
    on_path = {t for op in order for t in data_inputs(index.nodes[op])}
    on_path |= {tensor_name(t) for t in outs}
    catalog = Catalog.from_model(v1)  # outputs as the op registry defines them
    candidates: dict[str, tuple[Any, str]] = {}  # v1 tensor -> (v2 tensor, op type)
    for op in order:
        target = None if op in skip or op in feed_ops else graph_element(graph, mapping.get(op, op))
        info = None if target is None else catalog.op(op)
        for k, t in enumerate(info.outputs if info is not None else ()):
            if t not in on_path:
                continue
            dtype = catalog.tensor(t).dtype.removesuffix("_ref")
            t2 = None if k >= len(target.outputs) else _fetchable(graph, target.outputs[k])
            if dtype not in _SKIP_DTYPES and t2 is not None:
                candidates[t] = (t2, info.type)
    if not candidates:
        raise ParityError(
            f"no tensor of {v1.path} is present on both sides: pass mapping={{v1 op: v2 op}}"
        )
    key_feeds = _as_tensor_feeds(feeds, in_names)
    names = list(candidates)
    random_ops = gf.random_ops_upstream(v1.graph_def, names)
    acc = Comparator(dataclasses.replace(tol, nonfinite="accept-matching"), name="first_divergence")
    r1 = V1Runner(v1, inputs=list(key_feeds), outputs=names, max_bytes=None, timeout=timeout)
    with _v2_errors():  # the v2 graph pruned to the shared tensors, keyed by v1 tensor names
        split = [n.partition(":") for n in key_feeds]
        ins = [graph.as_graph_element(f"{mapping.get(op, op)}:{i or 0}") for op, _, i in split]
        pruned = fn_graph.prune(ins, [t2 for t2, _ in candidates.values()])

    def run_v2(fed: dict[str, Any]) -> dict[str, Any]:
        with _v2_errors():
            args = [tf().convert_to_tensor(fed[n], dtype=t.dtype) for n, t in zip(key_feeds, ins)]
            return {k: np.asarray(v) for k, v in zip(names, pruned(*args))}

    r2 = FnRunner(run_v2)
    try:
        with r1, r2:
            unstable = run_sides(r1, r2, [(key_feeds, None)], acc, check=r1 if random_ops else None)
    except SessionError as e:
        if judged is None:
            raise
        # parity ran the outputs on this graph: the failure is the fetch list's, not the graph's
        reason = first_line(e).split("session.run failed", 1)[-1].partition("; fed ")[0]
        raise ParityError(
            f"first divergence could not fetch its {len(names)} tensors from {v1.path} (v1"
            f"{reason.removesuffix(': ' + GRAPH_FIX)}): parity's verdict stands; choose outputs "
            "nearer the inputs to search a smaller part"
        ) from None
    report = acc.report()
    why = f"v1 differs from itself here or upstream (random ops: {', '.join(random_ops)})"
    told = judged.outputs.items() if judged is not None else ()
    bad = {out_keys[k]: r for k, r in told if k in out_keys and not r.passed}
    skipped = {t: why for t in names if t in unstable}
    for t in names:  # in order: a mismatch fed by a tensor v1 differs on may be v1's chance
        fed = {tensor_name(i) for i in index.nodes[op_name(t)].input}
        if not report.outputs[t].passed and fed & skipped.keys():
            skipped[t] = why
    skipped |= {t: f"parity: {r.reason}" for t, r in bad.items() if r.status == NONDETERMINISTIC}
    no_twin = "not compared: no counterpart on the v2 side, or inside control flow"
    skipped |= {t: no_twin for t in outs if t not in candidates}
    steps = [
        DivergenceStep(t, op_type, r.max_abs, r.max_rel, r.passed, r.dtype_a, r.shape_a)
        for t, (_, op_type) in candidates.items()
        if t not in skipped
        for r in [report.outputs[t]]
    ]
    first = next((i for i, st in enumerate(steps) if not st.passed), None)
    if first is None:  # this batch agreeing does not overrule the feeds parity failed on
        for t, r in bad.items():
            skipped.setdefault(t, f"parity failed it ({r.reason}) on other feeds: search those")
    not_judged = [t for t in outs if t in skipped and t in candidates]
    failed = [t for t in not_judged if t in bad and bad[t].status != NONDETERMINISTIC]
    errors = {s.tensor: s.max_abs for s in steps}
    data_in = [] if first is None else data_inputs(index.nodes[op_name(steps[first].tensor)])
    inputs_err = {t: errors.get(t) for t in data_in}
    runs = {"v1": len(r1.times), "v2": 1}
    seconds = {"v1": sum(r1.times), "v2": sum(r2.times)}
    seconds |= {"v1_self_check": r1.times[1]} if len(r1.times) > 1 else {}
    return Divergence(
        steps, first, inputs_err, tol.atol, tol.rtol, runs, seconds, skipped, not_judged, failed
    )


@contextlib.contextmanager
def _v2_errors() -> Iterator[None]:
    try:
        yield
    except (KeyError, ValueError, TypeError, tf().errors.OpError) as e:
        raise ParityError(f"the v2 graph failed in first_divergence: {first_line(e)}") from None


def _v1_io(
    v1: V1Model, signature: str | None, inputs: Sequence[str] | None, outputs: Sequence[str] | None
) -> tuple[dict[str, str], dict[str, str], str | None]:
    """(input key -> tensor name, output key -> tensor name, the v2 signature to freeze)."""
    if inputs is not None or outputs is not None:
        ins, outs = custom_io(v1, signature is not None, inputs, outputs)
    elif not v1.signatures:
        ins, outs = default_io(v1)
    else:
        sig = v1.signature(signature)
        sparse = [k for k, s in sig.inputs.items() if s.kind != "dense"]
        if sparse:
            raise ParityError(
                f"first_divergence feeds dense inputs only; {', '.join(sparse)} are sparse: "
                "compare outputs with explorer.parity"
            )
        outs = {k: s.name for k, s in sig.outputs.items() if s.kind == "dense"}
        return {k: s.name for k, s in sig.inputs.items()}, outs, sig.name
    return {n: n for n in ins}, {n: n for n in outs}, None


def _v2_graph(v2: Any, signature: str | None) -> Any:
    """A ``wrap_function`` of the v2 graph with v1 op names (a V2Model's own, else frozen)."""
    if isinstance(v2, V2Model) and v2.wrapped_function is not None:
        return v2.wrapped_function
    gd = v2 if hasattr(v2, "node") else v2_graph_def(v2, signature)
    try:
        return tf1().wrap_function(lambda: tf1().import_graph_def(gd, name=""), signature=[])
    except Exception as e:  # noqa: BLE001 - an edited GraphDef can fail to import many ways
        raise ParityError(
            f"the v2 GraphDef does not import for first_divergence: {first_line(e, 200)}"
        ) from None


def _fetchable(graph: Any, t: Any) -> Any:
    """The v2 tensor to fetch for a v1 one: itself, a variable handle's read, or ``None``."""
    if t.dtype.name not in _SKIP_DTYPES:
        return t
    return variable_read(graph, t) if t.op.type == "VarHandleOp" else None


def _as_tensor_feeds(feeds: Mapping[str, Any], in_names: Mapping[str, str]) -> dict[str, Any]:
    tensors = {tensor_name(v) for v in in_names.values()}
    for k in feeds:
        if k not in in_names and tensor_name(k) not in tensors:
            raise ParityError(
                f"feed {k!r} is not an input ({', '.join(in_names) or 'none'}): key feeds by "
                "signature input key or tensor name"
            )
    return {tensor_name(in_names.get(k, k)): v for k, v in feeds.items()}
