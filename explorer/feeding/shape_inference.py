"""Input shape inference, each inferred dim with a reason: :func:`infer_shapes` merges the
placeholder's ``shape`` (which wins), the signature, ``_output_shapes``, TensorFlow's inference,
the consumers' rules, probing and image sizes; ``shapes=`` (``--shape``) overrides all."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from explorer._tf import tf, tf1
from explorer.errors import FeedError
from explorer.feeding.feeds import resolve_key
from explorer.feeding.shape_rules import (
    SHAPE_RULES,
    SPARSE_SHAPE_RULES,
    Dim,
    Proposal,
    Shape,
    ShapeContext,
    dim_origin,
    shapes_agree,
)
from explorer.graph.index import GraphIndex, graph_index
from explorer.graph.names import op_name, shape_text, tensor_name
from explorer.graph.op_families import IDENTITY_OPS, PLACEHOLDER_OPS, SHAPE_KEEPING_OPS
from explorer.graph.specs import TensorSpec
from explorer.inspection.scan_rules import PAD_OPS, attr_shape, image_size, loop_predicate
from explorer.loading.isolation import prepare_graph_def

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    from explorer.loading.model import V1Model

MAX_HOPS = 8  # consumers are followed this far through shape-keeping ops (and pads)
GIVEN = "given (shapes= / --shape)"
MAX_ROUNDS = 8  # imports while probing
_EQUAL = re.compile(r"but are (\d+) and (\d+)")
_NODE = re.compile(r"for '\{\{node ([^}]+)\}\} = (\w+)")
_INPUT_SHAPES = re.compile(r"with input shapes: (.*?)\.?$")


@dataclass(frozen=True)
class InferredShape:
    """One input's shape: ``dims`` (``None``: unknown rank), ``notes`` on how the sources were
    read, ``rank_reason`` why the rank was decided when the graph did not say."""

    key: str
    name: str
    dims: tuple[Dim, ...] | None
    notes: tuple[str, ...] = ()
    rank_reason: str = ""

    @property
    def shape(self) -> Shape:
        """Ints, ``None`` for the dims the sampler picks."""
        return None if self.dims is None else tuple(d.size for d in self.dims)

    def reasons(self) -> list[str]:
        """A line per dim with a reason: ``dim 1 = 784: Reshape 'r' reshapes ...``."""
        out = [self.rank_reason] if self.rank_reason else []
        for i, d in enumerate(self.dims or ()):
            if d.reason:
                out.append(f"dim {i}{' = ' if d.size is not None else ': '}{d.describe()}")
        return out

    def fixed(self, axis: int, dim: Dim) -> InferredShape:
        dims = tuple(dim if i == axis else d for i, d in enumerate(self.dims or ()))
        return dataclasses.replace(self, dims=dims)

    def to_json(self) -> dict[str, Any]:
        shape = None if self.dims is None else list(self.shape or ())
        return {"shape": shape, "reasons": self.reasons(), "notes": list(self.notes)}


class _Inference:
    """One model's graph index, static shapes (imported lazily) and probing."""

    def __init__(self, model: V1Model) -> None:
        self.model = model
        self.index = graph_index(model.graph_def)
        self.nodes = self.index.nodes
        self.probed: set[str] = set()  # keys whose dim 0 the probe fixed
        self.ctx = ShapeContext(self.index, self._static)

    def import_with(self, shapes: Mapping[str, tuple[int | None, ...]]) -> Any:
        """The prepared graph with placeholders of ``shapes`` set to those (``ValueError``: TF
        refuses them)."""
        gd = prepare_graph_def(self.model, writable=True)
        for node in gd.node:
            if node.name in shapes and "shape" in node.attr:
                s = node.attr["shape"].shape
                s.unknown_rank = False
                del s.dim[:]
                for d in shapes[node.name]:
                    s.dim.add().size = -1 if d is None else int(d)
        g = tf().Graph()
        with g.as_default():
            tf1().import_graph_def(gd, name="")
        return g

    @cached_property
    def graph(self) -> Any:
        return self.try_import({})

    def try_import(self, shapes: Mapping[str, tuple[int | None, ...]]) -> Any:
        """:meth:`import_with`, or ``None`` (custom ops, a damaged graph, a refused shape)."""
        try:
            return None if self.model.replacements else self.import_with(shapes)
        except Exception:  # noqa: BLE001 - no static shapes, then
            return None

    def _static(self, tensor: str) -> Shape:
        return _graph_shape(self.graph, tensor)

    def infer(self, key: str, spec: Any, given: Any = None) -> InferredShape:
        if spec.kind != "dense":
            return self._infer_sparse(key, spec, given)
        name = tensor_name(spec.name)
        node = self.nodes.get(op_name(name))
        is_placeholder = node is not None and node.op in PLACEHOLDER_OPS
        # ambiguous: a TF 1.0-era `[]`, scalar or unknown (the consumers decide)
        declared, ambiguous = _declared(self.model, node) if is_placeholder else (None, False)
        if given is not None:
            return self._given(key, name, given, declared, spec)
        info = None if ambiguous and spec.shape == () else spec.shape
        has_outs = node is not None and "_output_shapes" in node.attr
        outs = attr_shape(node, int(name.rpartition(":")[2])) if has_outs else None
        outs = None if ambiguous and outs == () else outs
        shape, notes = declared, []
        for other, label in ((info, "the signature's TensorInfo"), (outs, "_output_shapes")):
            shape, note = _merge(shape, other, label, "the placeholder" if is_placeholder else "")
            notes += [note] if note else []
        if is_placeholder and declared is not None and info is None and spec.shape is None:
            notes.append(
                "the signature's TensorInfo has no shape; the placeholder's "
                f"{shape_text(declared)} is used"
            )
        if not is_placeholder and shape is None:
            shape = self._static(name)
        dims = None if shape is None else tuple(Dim(d) for d in shape)
        dims, rank_reason = _apply(dims, self._proposals(name, shape), rank_prefix=True)
        if ambiguous and dims == ():
            notes.append("the TF 1.0-era shape [] is read as a real scalar here")
        elif ambiguous and dims is None:
            notes.append(
                "the TF 1.0-era shape [] means unknown there and no consumer needs a scalar: "
                "read as unknown rank"
            )
        elif ambiguous:
            notes.append(
                "the TF 1.0-era shape [] means unknown there: read as "
                f"{shape_text(tuple(d.size for d in dims or ()))} from the graph"
            )
        return InferredShape(key, name, dims, tuple(notes), rank_reason)

    def _given(self, key: str, name: str, given: Any, declared: Shape, spec: Any) -> InferredShape:
        want = tuple(None if d is None or int(d) < 0 else int(d) for d in given)
        for ref, label in ((declared, "the placeholder"), (spec.shape, "the input's spec")):
            if ref is not None and not shapes_agree(ref, want):
                raise FeedError(
                    f"shape {shape_text(want)} given for input {key!r} ({name}) contradicts "
                    f"{label}'s {shape_text(ref)}: give a shape of that form (CLI: --shape "
                    f"{key}={','.join('-1' if d is None else str(d) for d in ref)})"
                )
        return InferredShape(key, name, tuple(Dim(d) for d in want), (), GIVEN)

    def _proposals(self, name: str, shape: Shape, sparse: bool = False) -> Iterable[Proposal]:
        """What the consumers of ``name`` need, nearest first (through shape-keeping ops and
        pads; sparse: the ``indices``' consumers); a value steering a loop first (a scalar)."""
        rules = SPARSE_SHAPE_RULES if sparse else SHAPE_RULES
        if not sparse and (found := loop_predicate(self.index, name)) is not None:
            yield Proposal(
                (), f"scalar: it steers {found[0].op} {found[0].name!r} (through {found[1]})"
            )
        through = IDENTITY_OPS if sparse else SHAPE_KEEPING_OPS | PAD_OPS
        for node, pos in self.index.readers(name, through, MAX_HOPS, input0_only=True):
            rule = rules.get(node.op)
            try:  # a rule failing on an odd node (a constant of an odd dtype) says nothing
                prop = rule(self.ctx, node, pos, shape) if rule is not None else None
            except Exception:  # noqa: BLE001
                prop = None
            if prop is not None:
                yield prop

    def _infer_sparse(self, key: str, spec: Any, given: Any) -> InferredShape:
        name = spec.name or key
        if given is not None:
            return self._given(key, name, given, None, spec)
        dims = None if spec.shape is None else tuple(Dim(d) for d in spec.shape)
        start = tensor_name(spec.components[0]) if spec.components else None
        props = self._proposals(start, spec.shape, sparse=True) if start else ()
        dims, rank_reason = _apply(dims, props, rank_prefix=False)
        return InferredShape(key, name, dims, (), rank_reason)

    def probe(self, inferred: dict[str, InferredShape], feed_keys: Iterable[str]) -> list[str]:
        """Bind free dims of fed placeholders that TensorFlow's inference fixes; returns notes."""
        if self.graph is None:
            return []
        ops: dict[str, str] = {}  # placeholder op -> input key
        shapes: dict[str, tuple[int | None, ...]] = {}
        for key in feed_keys:
            inf = inferred.get(key)
            node = self.nodes.get(op_name(inf.name)) if inf and inf.dims is not None else None
            if node is not None and node.op in PLACEHOLDER_OPS:
                ops[node.name] = key
                shapes[node.name] = tuple(inf.shape or ())
        if not any(None in s for s in shapes.values()):
            return []
        try:
            scales = {
                (op, i): d.scale
                for op, key in ops.items()
                for i, d in enumerate(inferred[key].dims or ())
                if d.size is None and d.scale > 1
            }
            known = {d for n in self.nodes.values() for d in attr_shape(n) or () if d is not None}
            result = probe(self.import_with, shapes, known, self._origin, scales)
        except Exception as e:  # noqa: BLE001 - probing is a refinement: never a failure
            return [f"shape inference could not probe the graph ({type(e).__name__})"]
        for (op, axis), (size, reason) in result.fixed.items():
            inferred[ops[op]] = inferred[ops[op]].fixed(axis, Dim(size, reason))
            if axis == 0:
                self.probed.add(ops[op])
        for (op, axis), ((op2, axis2), reason) in result.ties.items():
            key, key2 = ops[op], ops[op2]
            for k, a in ((key, axis), (key2, axis2)):
                inf = inferred[k]
                d = (inf.dims or ())[a]
                if d.size is None:
                    why = d.reason or (f"equal to {key2} dim {axis2}: {reason}" if k == key else "")
                    tied = dataclasses.replace(d, group=f"{key2}#{axis2}", reason=why)
                    inferred[k] = inf.fixed(a, tied)
        if result.stopped and result.fixed:
            return [f"shape inference stopped probing: {result.stopped}"]
        return []

    def _origin(self, node_name: str, size: int) -> str:
        node = self.nodes.get(node_name)
        for inp in node.input if node is not None else ():
            s = None if inp.startswith("^") else self._static(tensor_name(inp))
            origin = dim_origin(self.ctx, inp, s.index(size), size) if s and size in s else ""
            if origin:
                return origin
        return ""


def _graph_shape(g: Any, tensor: str) -> Shape:
    """The static shape of ``tensor`` in graph ``g``; ``None``: no graph, tensor or rank."""
    try:
        t = g.get_tensor_by_name(tensor) if g is not None else None
    except (KeyError, ValueError):
        t = None
    return None if t is None or t.shape.rank is None else tuple(t.shape.as_list())


def _share_batch(inferred: dict[str, InferredShape], keys: list[str], probed: set[str]) -> None:
    """When probing fixed one fed input's dim 0 (a decoder tiled to 128), the others' take it."""
    fixed = {}
    for k in keys:
        dims = inferred[k].dims
        if k in probed and dims and dims[0].size is not None:
            fixed.setdefault(dims[0].size, k)
    if len(fixed) != 1:
        return
    ((size, src),) = fixed.items()
    for k in keys:
        inf = inferred[k]
        if inf.dims and inf.dims[0].size is None:
            inferred[k] = inf.fixed(0, Dim(size, f"the batch, as {src} dim 0 (fixed by the graph)"))


def _image_dims(index: GraphIndex, inf: InferredShape) -> InferredShape:
    """An image input's free height and width set to :func:`image_size`."""
    sizes, why = image_size(index, inf.name, inf.shape) or ({}, "")
    for a, size in sizes.items():
        d = (inf.dims or ())[a]
        if d.size is None and d.scale == 1 and not d.group:
            inf = inf.fixed(a, Dim(size, why))
    return inf


def _merge(a: Shape, b: Shape, label: str, first: str) -> tuple[Shape, str]:
    """``a`` completed by ``b`` (``a`` wins a disagreement, noted)."""
    if a is None or b is None:
        return (b if a is None else a), ""
    if not shapes_agree(a, b):
        who = first or "the graph"
        return a, f"{label} says {shape_text(b)} but {who} says {shape_text(a)}: {who}'s is used"
    return tuple(x if x is not None else y for x, y in zip(a, b)), ""


def _apply(
    dims: tuple[Dim, ...] | None, props: Iterable[Proposal], rank_prefix: bool
) -> tuple[tuple[Dim, ...] | None, str]:
    """``dims`` merged with each proposal of its rank; the first gives an unknown rank (and the
    rank reason, ``rank N: ...`` when ``rank_prefix`` and no dim says it)."""
    rank_reason = ""
    for prop in props:
        if dims is None:
            dims = tuple(prop.dims)
            if not (rank_prefix and any(d.reason == prop.reason for d in dims)):
                pre = rank_prefix and bool(dims)
                rank_reason = f"rank {len(dims)}: {prop.reason}" if pre else prop.reason
        elif len(prop.dims) == len(dims):
            dims = tuple(_merge_dim(a, b) for a, b in zip(dims, prop.dims))
    return dims, rank_reason


def _merge_dim(a: Dim, b: Dim) -> Dim:
    """A known dim stays; a free one takes a fixed proposal, or the tighter of two free ones."""
    if a.size is not None or b.size is not None:
        return a if a.size is not None else b
    if b.minimum > a.minimum or b.scale > a.scale:
        minimum, scale = max(a.minimum, b.minimum), max(a.scale, b.scale)
        return Dim(None, b.reason or a.reason, minimum, scale, a.group or b.group)
    return a


def infer_shapes(
    model: V1Model,
    specs: Mapping[str, Any],
    *,
    shapes: Mapping[str, Any] | None = None,
    feed_keys: Iterable[str] | None = None,
    probe: bool = True,
) -> tuple[dict[str, InferredShape], list[str]]:
    """``(key -> InferredShape, notes)`` for ``specs`` (key -> TensorSpec). ``shapes``: key ->
    shape used as given (``None``/``-1``: the sampler's); ``feed_keys``: the fed inputs (default:
    all), the only ones probed and given image sizes. FeedError: a shape contradicts the graph's."""
    given = {resolve_key(str(k), specs) or str(k): tuple(v) for k, v in (shapes or {}).items()}
    keys = list(specs) if feed_keys is None else list(feed_keys)
    spec_key = tuple(sorted((k, repr(s)) for k, s in specs.items()))
    cache = model.memo.setdefault("infer_shapes", {})  # per model, as the model lives
    cache_key = (spec_key, tuple(sorted(given.items())), tuple(keys), probe)
    if cache_key in cache:
        return dict(cache[cache_key][0]), list(cache[cache_key][1])
    unknown = [k for k in given if k not in specs]
    if unknown:
        raise FeedError(
            f"shapes names {unknown[0]!r}, which is not an input of this run: inputs are "
            f"{', '.join(specs) or 'none'}"
        )

    inf = _Inference(model)
    out = {key: inf.infer(key, spec, given.get(key)) for key, spec in specs.items()}
    notes = [f"{k}: {n}" for k, v in out.items() for n in v.notes]
    free = [k for k in keys if k not in given]
    if probe:
        notes.extend(inf.probe(out, free))
    _share_batch(out, free, inf.probed)
    out.update({k: _image_dims(inf.index, out[k]) for k in free if out[k].dims})
    cache[cache_key] = (out, notes)
    return dict(out), list(notes)


def concrete_shape(
    inferred: InferredShape,
    batch: int,
    default_dim: int,
    unknown_rank: tuple[int, ...] = (),
    groups: dict[str, int] | None = None,
) -> tuple[tuple[int, ...], list[str]]:
    """The shape to sample and the free dims filled (``["dim 0=1", ...]``): dim 0 the batch,
    others ``default_dim``, times scale, at least minimum; a group's dims share ``groups[g]``."""
    if inferred.dims is None:
        return tuple(unknown_rank), []
    groups = groups if groups is not None else {}
    out, filled = [], []
    for i, d in enumerate(inferred.dims):
        if d.size is not None:
            out.append(int(d.size))
            continue
        size = groups.get(d.group) if d.group else None
        if size is None:
            size = max((batch if i == 0 else default_dim) * d.scale, d.minimum)
            if d.group:
                groups[d.group] = size
        out.append(size)
        filled.append(f"dim {i}={size}")
    return tuple(out), filled


def needed_shape(model: V1Model, tensor: str, default_dim: int = 2) -> tuple[int, ...] | None:
    """The shape the consumers of ``tensor`` need (free dims: 1, then ``default_dim``), or
    ``None``: for values a rule makes inside a string (``ParseTensor``)."""
    for prop in _Inference(model)._proposals(tensor_name(tensor), None):
        return concrete_shape(InferredShape("", tensor, prop.dims), 1, default_dim)[0]
    return None


def static_shapes(model: V1Model, shapes: Mapping[str, tuple[int, ...]]) -> Any:
    """``tensor name -> static shape`` with placeholders set to ``shapes`` (``None``: it does not
    import); the last 4 are kept per model (parity samples the same shapes each batch)."""
    cache = model.memo.setdefault("static_shapes", {})
    key = tuple(sorted((k, tuple(v)) for k, v in shapes.items()))
    if key not in cache:
        if len(cache) >= 4:
            cache.pop(next(iter(cache)))
        g = _Inference(model).try_import(shapes)
        cache[key] = None if g is None else (lambda t: _graph_shape(g, tensor_name(t)))
    return cache[key]


def feed_shapes(model: V1Model, candidates: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Tensor name -> ``{shape, reasons, notes}`` for suggest's input candidates whose feed shape
    the graph decides beyond their declaration; empty when inference fails."""
    specs = {c.name: TensorSpec(c.name, c.dtype, c.shape) for c in candidates if c.name}
    try:
        inferred, _ = infer_shapes(model, specs)
    except Exception:  # noqa: BLE001 - the suggestion stands without its feed shape
        return {}
    shown = {name: inf.to_json() for name, inf in inferred.items()}
    return {name: j for name, j in shown.items() if j["reasons"] or j["notes"]}


def with_placeholder_shapes(model: V1Model, specs: Mapping[str, Any]) -> dict[str, Any]:
    """``specs``, a dense spec of unknown rank given its placeholder's declared shape (not a
    TF 1.0-era ``[]``)."""
    out = dict(specs)
    for key, spec in specs.items():
        if spec.kind == "dense" and spec.shape is None and spec.name:
            node = graph_index(model.graph_def).nodes.get(op_name(spec.name))
            declared = _declared(model, node)[0] if node and node.op in PLACEHOLDER_OPS else None
            if declared is not None:
                out[key] = dataclasses.replace(spec, shape=declared)
    return out


def _declared(model: V1Model, node: NodeDef) -> tuple[Shape, bool]:
    """A placeholder's declared shape (``None``: a TF 1.0-era ``[]``), and whether it was ``[]``."""
    raw = attr_shape(node) if "shape" in node.attr else None
    old = raw == () and model.producer <= 21
    return (None if old else raw), old


def _primes(start: int, count: int, avoid: set[int]) -> list[int]:
    out: list[int] = []
    n = start
    while len(out) < count:
        if n not in avoid and all(n % p for p in range(2, int(n**0.5) + 1)):
            out.append(n)
        n += 1
    return out


@dataclass
class ProbeResult:
    """``fixed`` (op, axis) -> (size, reason); ``ties`` (op, axis) -> (the (op, axis) it must
    equal, reason); ``graph`` the last import that succeeded; ``rounds``; ``stopped``: why."""

    fixed: dict[tuple[str, int], tuple[int, str]] = field(default_factory=dict)
    ties: dict[tuple[str, int], tuple[tuple[str, int], str]] = field(default_factory=dict)
    graph: Any = None
    rounds: int = 0
    stopped: str = ""


def probe(
    import_graph: Callable[[Mapping[str, tuple[int | None, ...]]], Any],
    shapes: Mapping[str, tuple[int | None, ...]],
    avoid: set[int] | None = None,
    describe_origin: Callable[[str, int], str] | None = None,
    scales: Mapping[tuple[str, int], int] | None = None,
) -> ProbeResult:
    """Bind the free dims of ``shapes`` (placeholder op -> shape) the graph fixes or ties: import
    it with each a distinct prime (1009, ...); an error ``... but are 1009 and 128`` binds that
    dim. ``import_graph`` raises ``ValueError`` when TF refuses; ``avoid``: sizes in the graph;
    ``describe_origin(node, size)``; ``scales``: (op, axis) -> a factor of the probe size."""
    free = [(op, i) for op, s in shapes.items() for i, d in enumerate(s) if d is None]
    result = ProbeResult()
    if not free:
        return result
    scales = scales or {}
    primes = _primes(1009, len(free), set(avoid or ()))
    sizes = {k: p * max(1, scales.get(k, 1)) for k, p in zip(free, primes)}
    for _ in range(MAX_ROUNDS):
        result.rounds += 1
        try:
            result.graph = import_graph({op: _with(s, op, sizes) for op, s in shapes.items()})
            return result
        except ValueError as e:
            msg = " ".join(str(e).split())
        by_size: dict[int, tuple[tuple[str, int], int]] = {}  # probe size -> (dim, factor)
        for key, v in sizes.items():
            by_size.setdefault(v, (key, 1))
            s = max(1, scales.get(key, 1))
            if s > 1:  # seen after a Reshape: the prime, per `s` elements
                by_size.setdefault(v // s, (key, s))
        m, node = _EQUAL.search(msg), _NODE.search(msg)
        a, b = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        where = f"{node.group(2)} {node.group(1)!r}" if node else "an op"
        shapes_m = _INPUT_SHAPES.search(msg)
        seen = f" (input shapes {_unprobed(shapes_m.group(1), by_size)})" if shapes_m else ""
        if a in by_size and b in by_size:  # two free dims that must be equal
            (ka, fa), (kb, fb) = by_size[a], by_size[b]
            if fa != fb or ka == kb:
                break
            keep, tie = sorted((ka, kb))
            result.ties[tie] = (keep, f"{where} needs them equal{seen}")
            sizes[tie] = sizes[keep]
            continue
        if a in by_size or b in by_size:
            (key, factor), other = (by_size[a], b) if a in by_size else (by_size[b], a)
            size = other * factor
            origin = describe_origin(node.group(1), other) if describe_origin and node else ""
            reason = f"{where} needs it{seen}" + (f"; {origin}" if origin else "")
            tied = [k for k, v in sizes.items() if v == sizes[key]]  # they share the binding
            for k in tied:
                result.fixed[k] = (size, reason)
                del sizes[k]
            shapes = {op: _with(s, op, dict.fromkeys(tied, size)) for op, s in shapes.items()}
            if not sizes:
                try:
                    result.graph = import_graph(shapes)
                except ValueError as e2:
                    result.stopped = " ".join(str(e2).split())[:200]
                return result
            continue
        break  # a conflict that binds nothing: stop here
    else:
        msg = f"still conflicting after {MAX_ROUNDS} probes"
    result.stopped = msg[:200]
    return result


def _unprobed(text: str, probes: Mapping[int, Any]) -> str:
    """``text`` with the probe sizes shown as ``?``."""
    return re.sub(r"\d+", lambda m: "?" if int(m.group()) in probes else m.group(), text)


def _with(
    shape: tuple[int | None, ...], op: str, sizes: Mapping[tuple[str, int], int]
) -> tuple[int | None, ...]:
    """``shape`` of placeholder ``op`` with ``sizes[(op, axis)]`` put in."""

    return tuple(sizes.get((op, i), d) for i, d in enumerate(shape))
