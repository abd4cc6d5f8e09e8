"""Input shape inference: every source of an input's shape merged, each inferred dim with a reason.

:func:`infer_shapes` merges what the graph declares (placeholder ``shape``, which wins a
disagreement; the signature's TensorInfo; ``_output_shapes``; TensorFlow's forward inference),
what consuming ops need (:data:`~explorer.feeding.shape_rules.SHAPE_RULES`) and what probing the
free dims finds deep in the graph (:mod:`explorer.feeding.shape_probe`). A TF 1.0-era ``[]``
placeholder shape (producer ≤ 21) is a scalar when a consumer needs one, else read from the other
sources, else unknown rank. A declared dim is never overridden; ``shapes=`` (CLI ``--shape``)
overrides everything and is checked against the placeholder.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from explorer._tf import tf, tf1
from explorer.errors import FeedError
from explorer.feeding.shape_probe import probe
from explorer.feeding.shape_rules import (
    SHAPE_RULES,
    SPARSE_SHAPE_RULES,
    Dim,
    Proposal,
    Shape,
    ShapeContext,
    ShapeRuleFn,
    dim_origin,
)
from explorer.graph.index import GraphIndex, graph_index
from explorer.graph.names import op_name, shape_text, tensor_name
from explorer.graph.op_families import IDENTITY_OPS, PLACEHOLDER_OPS, SHAPE_KEEPING_OPS
from explorer.graph.registry import OpRegistry
from explorer.graph.specs import TensorSpec
from explorer.inspection.feed_scan_rules import PAD_OPS, attr_shape, image_size, loop_predicate
from explorer.loading.graph_import import prepare_graph_def

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    from explorer.loading.model import V1Model

MAX_HOPS = 8  # consumers are followed this far through shape-keeping ops
GIVEN = "given (shapes= / --shape)"


@dataclass(frozen=True)
class InferredShape:
    """What is known of one input's shape: ``dims`` (``None``: unknown rank), ``notes`` on how the
    sources were read (a TensorInfo without shape, a ``[]`` read as scalar), ``rank_reason`` why
    the rank was decided when the graph did not declare it."""

    key: str
    name: str
    dims: tuple[Dim, ...] | None
    notes: tuple[str, ...] = ()
    rank_reason: str = ""

    @property
    def shape(self) -> Shape:
        """The shape as the graph fixes it: ints, ``None`` for the dims the sampler picks."""
        return None if self.dims is None else tuple(d.size for d in self.dims)

    def reasons(self) -> list[str]:
        """One line per dim that carries a reason: ``dim 1 = 784: Reshape 'r' reshapes ...``."""
        out = [self.rank_reason] if self.rank_reason else []
        for i, d in enumerate(self.dims or ()):
            if d.reason:
                sep = " = " if d.size is not None else ": "
                out.append(f"dim {i}{sep}{d.describe()}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "shape": None if self.dims is None else list(self.shape or ()),
            "reasons": self.reasons(),
            "notes": list(self.notes),
        }


class _Inference:
    """One model's graph views: nodes, consumers, static shapes (imported lazily), probing."""

    def __init__(self, model: V1Model) -> None:
        self.model = model
        self.index = graph_index(model.graph_def)
        self.nodes = self.index.nodes
        self._graph: Any = False  # False: not tried; None: does not import
        self.probed: set[str] = set()  # keys whose dim 0 the probe fixed
        self.ctx = ShapeContext(self.index, self._static)

    # -- TensorFlow's forward inference ----------------------------------------------------------

    def import_with(self, shapes: Mapping[str, tuple[int | None, ...]]) -> Any:
        """A ``tf.Graph`` with the prepared graph imported, placeholder ops of ``shapes`` set to
        those shapes. Raises ``ValueError`` when TensorFlow's shape inference refuses them."""
        gd = prepare_graph_def(self.model)
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

    @property
    def graph(self) -> Any:
        if self._graph is False:
            self._graph = None
            if not self.model.replacements:
                try:
                    self._graph = self.import_with({})
                except Exception:  # noqa: BLE001 - custom ops, damaged graphs: no static shapes
                    self._graph = None
        return self._graph

    def _static(self, tensor: str) -> Shape:
        return _graph_shape(self.graph, tensor)

    # -- one input -------------------------------------------------------------------------------

    def infer(self, key: str, spec: Any, given: Any = None) -> InferredShape:
        if spec.kind != "dense":
            return self._infer_sparse(key, spec, given)
        name = tensor_name(spec.name)
        node = self.nodes.get(op_name(name))
        index = int(name.rpartition(":")[2])
        notes: list[str] = []
        is_placeholder = node is not None and node.op in PLACEHOLDER_OPS
        # ambiguous: a TF 1.0-era `[]`, scalar or unknown (the consumers decide)
        declared, ambiguous = _declared(self.model, node) if is_placeholder else (None, False)
        if given is not None:
            return self._given(key, name, given, declared, spec)
        info = spec.shape
        if ambiguous and info == ():
            info = None
        outs = (
            attr_shape(node, index) if node is not None and "_output_shapes" in node.attr else None
        )
        if ambiguous and outs == ():
            outs = None
        shape = declared
        for other, label in ((info, "the signature's TensorInfo"), (outs, "_output_shapes")):
            shape, note = _merge(shape, other, label, "the placeholder" if is_placeholder else "")
            if note:
                notes.append(note)
        if is_placeholder and declared is not None and info is None and spec.shape is None:
            notes.append(
                "the signature's TensorInfo has no shape; the placeholder's "
                f"{shape_text(declared)} is used"
            )
        if not is_placeholder and shape is None:
            shape = self._static(name)
        dims = None if shape is None else tuple(Dim(d) for d in shape)
        dims, rank_reason = _apply(dims, self._proposals(name, shape), rank_prefix=True)
        if ambiguous:
            if dims == ():
                notes.append("the TF 1.0-era shape [] is read as a real scalar here")
            elif dims is None:
                notes.append(
                    "the TF 1.0-era shape [] means unknown there and no consumer needs a "
                    "scalar: read as unknown rank"
                )
            else:
                notes.append(
                    "the TF 1.0-era shape [] means unknown there: read as "
                    f"{shape_text(tuple(d.size for d in dims))} from the graph"
                )
        return InferredShape(key, name, dims, tuple(notes), rank_reason)

    def _given(self, key: str, name: str, given: Any, declared: Shape, spec: Any) -> InferredShape:
        want = tuple(None if d is None or int(d) < 0 else int(d) for d in given)
        for ref, label in ((declared, "the placeholder"), (spec.shape, "the input's spec")):
            if ref is None:
                continue
            bad = len(ref) != len(want) or any(
                r is not None and w is not None and r != w for r, w in zip(ref, want)
            )
            if bad:
                raise FeedError(
                    f"shape {shape_text(want)} given for input {key!r} ({name}) contradicts "
                    f"{label}'s {shape_text(ref)}: give a shape of that form (CLI: --shape "
                    f"{key}={','.join('-1' if d is None else str(d) for d in ref)})"
                )
        dims = tuple(Dim(d) for d in want)
        return InferredShape(key, name, dims, (), GIVEN)

    def _proposals(
        self,
        name: str,
        shape: Shape,
        rules: OpRegistry[ShapeRuleFn] = SHAPE_RULES,
        through: frozenset[str] = SHAPE_KEEPING_OPS | PAD_OPS,  # a pad keeps rank, channels
    ) -> Iterable[Proposal]:
        """What the consumers of ``name`` (through ``through`` ops) need, nearest first; a value
        that steers a loop first of all (a scalar)."""
        if rules is SHAPE_RULES and (found := loop_predicate(self.index, name)) is not None:
            node, path = found
            yield Proposal((), f"scalar: it steers {node.op} {node.name!r} (through {path})")
        for node, pos in self.index.readers(name, through, MAX_HOPS, input0_only=True):
            rule = rules.get(node.op)
            prop = _ask(rule, self.ctx, node, pos, shape) if rule is not None else None
            if prop is not None:
                yield prop

    def _infer_sparse(self, key: str, spec: Any, given: Any) -> InferredShape:
        name = spec.name or key
        if given is not None:
            return self._given(key, name, given, None, spec)
        dims = None if spec.shape is None else tuple(Dim(d) for d in spec.shape)
        props: Iterable[Proposal] = ()
        if spec.components:
            start = tensor_name(spec.components[0])
            props = self._proposals(start, spec.shape, SPARSE_SHAPE_RULES, IDENTITY_OPS)
        dims, rank_reason = _apply(dims, props, rank_prefix=False)
        return InferredShape(key, name, dims, (), rank_reason)

    # -- probing ---------------------------------------------------------------------------------

    def probe(self, inferred: dict[str, InferredShape], feed_keys: Iterable[str]) -> list[str]:
        """Bind free dims of fed placeholders that TensorFlow's inference fixes; returns notes."""
        if self.graph is None:
            return []
        ops: dict[str, str] = {}  # placeholder op -> input key
        shapes: dict[str, tuple[int | None, ...]] = {}
        for key in feed_keys:
            inf = inferred.get(key)
            if inf is None or inf.dims is None:
                continue
            node = self.nodes.get(op_name(inf.name))
            if node is None or node.op not in PLACEHOLDER_OPS:
                continue
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
            result = probe(self.import_with, shapes, self._sizes_in_graph(), self._origin, scales)
        except Exception as e:  # noqa: BLE001 - probing is a refinement: never a failure
            return [f"shape inference could not probe the graph ({type(e).__name__})"]
        for (op, axis), (size, reason) in result.fixed.items():
            key = ops[op]
            inf = inferred[key]
            dims = list(inf.dims or ())
            dims[axis] = Dim(size, reason)
            inferred[key] = dataclasses.replace(inf, dims=tuple(dims))
            if axis == 0:
                self.probed.add(key)
        for (op, axis), ((op2, axis2), reason) in result.ties.items():
            key, key2 = ops[op], ops[op2]
            group = f"{key2}#{axis2}"
            for k, a in ((key, axis), (key2, axis2)):
                inf = inferred[k]
                dims = list(inf.dims or ())
                if dims[a].size is None:
                    why = dims[a].reason or (
                        f"equal to {key2} dim {axis2}: {reason}" if k == key else ""
                    )
                    dims[a] = dataclasses.replace(dims[a], group=group, reason=why)
                inferred[k] = dataclasses.replace(inf, dims=tuple(dims))
        if result.stopped and result.fixed:
            return [f"shape inference stopped probing: {result.stopped}"]
        return []

    def _origin(self, node_name: str, size: int) -> str:
        node = self.nodes.get(node_name)
        if node is None:
            return ""
        for inp in node.input:
            if inp.startswith("^"):
                continue
            s = self._static(tensor_name(inp))
            if s is not None and size in s:
                origin = dim_origin(self.ctx, inp, s.index(size), size)
                if origin:
                    return origin
        return ""

    def _sizes_in_graph(self) -> set[int]:
        sizes: set[int] = set()
        for node in self.nodes.values():
            s = attr_shape(node)
            if s:
                sizes.update(d for d in s if d is not None)
        return sizes


def _graph_shape(g: Any, tensor: str) -> Shape:
    """The static shape of ``tensor`` in the imported graph ``g`` (``None``: no graph, no such
    tensor, or unknown rank)."""
    if g is None:
        return None
    try:
        t = g.get_tensor_by_name(tensor)
    except (KeyError, ValueError):
        return None
    return None if t.shape.rank is None else tuple(t.shape.as_list())


def _share_batch(inferred: dict[str, InferredShape], keys: list[str], probed: set[str]) -> None:
    """One batch for the run: when the graph fixes dim 0 of some fed input deep inside (a decoder
    tiled to 128, found by probing), the other fed inputs' free dim 0 take that size too."""
    fixed = {}
    for k in keys:
        dims = inferred[k].dims
        if k in probed and dims and dims[0].size is not None:
            fixed.setdefault(dims[0].size, k)
    if len(fixed) != 1:
        return
    ((size, src),) = fixed.items()
    why = f"the batch, as {src} dim 0 (fixed by the graph)"
    for k in keys:
        inf = inferred[k]
        if inf.dims and inf.dims[0].size is None:
            dims = (Dim(size, why), *inf.dims[1:])
            inferred[k] = dataclasses.replace(inf, dims=dims)


def _image_dims(index: GraphIndex, inf: InferredShape) -> InferredShape:
    """An image input's free height and width set to :func:`image_size` (a resize's size, else a
    common one, that every conv, pool, pad and squeeze below takes)."""
    found = image_size(index, inf.name, inf.shape)
    if not found or not found[0]:
        return inf
    dims = list(inf.dims or ())
    for axis, size in found[0].items():
        if dims[axis].size is None and dims[axis].scale == 1 and not dims[axis].group:
            dims[axis] = Dim(size, found[1])
    return dataclasses.replace(inf, dims=tuple(dims))


def _ask(rule: Any, ctx: ShapeContext, node: NodeDef, pos: int, shape: Shape) -> Proposal | None:
    """A rule's proposal; a rule that fails on an odd node says nothing rather than failing."""
    try:
        return rule(ctx, node, pos, shape)
    except Exception:  # noqa: BLE001 - e.g. a constant of an unexpected dtype or rank
        return None


def _merge(a: Shape, b: Shape, label: str, first: str) -> tuple[Shape, str]:
    """``a`` completed by ``b`` (``a`` wins a disagreement; the note says so)."""
    if b is None:
        return a, ""
    if a is None:
        return b, ""
    if len(a) != len(b) or any(x is not None and y is not None and x != y for x, y in zip(a, b)):
        who = first or "the graph"
        return a, (f"{label} says {shape_text(b)} but {who} says {shape_text(a)}: {who}'s is used")
    return tuple(x if x is not None else y for x, y in zip(a, b)), ""


def _apply(
    dims: tuple[Dim, ...] | None, props: Iterable[Proposal], rank_prefix: bool
) -> tuple[tuple[Dim, ...] | None, str]:
    """``dims`` merged with each proposal of its rank; the first proposal gives an unknown rank
    (and the rank reason, ``rank N: ...`` when ``rank_prefix`` and no dim says it already)."""
    rank_reason = ""
    for prop in props:
        if dims is None:
            dims = tuple(prop.dims)
            said = rank_prefix and any(d.reason == prop.reason for d in dims)
            pre = rank_prefix and bool(dims)
            rank_reason = (
                "" if said else (f"rank {len(dims)}: {prop.reason}" if pre else prop.reason)
            )
        elif len(prop.dims) == len(dims):
            dims = tuple(_merge_dim(a, b) for a, b in zip(dims, prop.dims))
    return dims, rank_reason


def _merge_dim(a: Dim, b: Dim) -> Dim:
    """A known dim stays; a free one takes a fixed proposal, or the tighter of two free ones."""
    if a.size is not None:
        return a
    if b.size is not None:
        return b
    if b.minimum > a.minimum or b.scale > a.scale:
        return Dim(
            None,
            b.reason or a.reason,
            max(a.minimum, b.minimum),
            max(a.scale, b.scale),
            a.group or b.group,
        )
    return a


_CACHE: dict[tuple, tuple[Any, dict[str, InferredShape], list[str]]] = {}
_CACHE_SIZE = 16


def infer_shapes(
    model: V1Model,
    specs: Mapping[str, Any],
    *,
    shapes: Mapping[str, Any] | None = None,
    feed_keys: Iterable[str] | None = None,
    probe: bool = True,
) -> tuple[dict[str, InferredShape], list[str]]:
    """``(key -> InferredShape, notes)`` for the inputs ``specs`` (key -> TensorSpec); notes say
    how sources were read. ``shapes``: key -> shape used as given (``None``/``-1`` dims left to
    the sampler); ``feed_keys``: the fed inputs (default: all), the only ones whose free dims are
    probed (``probe``: with TensorFlow's shape inference). Raises FeedError when a given shape
    contradicts the placeholder's."""
    given = {str(k): tuple(v) for k, v in (shapes or {}).items()}
    keys = list(specs) if feed_keys is None else list(feed_keys)
    cache_key = (
        id(model),
        tuple(sorted((k, repr(s)) for k, s in specs.items())),
        tuple(sorted(given.items())),
        tuple(keys),
        probe,
    )
    hit = _CACHE.get(cache_key)
    if hit is not None and hit[0] is model:
        return dict(hit[1]), list(hit[2])
    inf = _Inference(model)
    unknown = [k for k in given if k not in specs]
    if unknown:
        raise FeedError(
            f"shape given for {unknown[0]!r}, which is not an input of this run: inputs are "
            f"{', '.join(specs) or 'none'}"
        )
    out = {key: inf.infer(key, spec, given.get(key)) for key, spec in specs.items()}
    notes = [f"{k}: {n}" for k, v in out.items() for n in v.notes]
    if probe:
        notes.extend(inf.probe(out, [k for k in keys if k not in given]))
    _share_batch(out, [k for k in keys if k not in given], inf.probed)
    for k in keys:
        if k not in given and out[k].dims:
            out[k] = _image_dims(inf.index, out[k])
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[cache_key] = (model, out, notes)
    return dict(out), list(notes)


def concrete_shape(
    inferred: InferredShape,
    batch: int,
    default_dim: int,
    unknown_rank: tuple[int, ...],
    groups: dict[str, int] | None = None,
) -> tuple[tuple[int, ...], list[str]]:
    """The shape to sample and the free dims filled (``["dim 0=1", ...]``): free dim 0 is the
    batch, others ``default_dim``, raised to their minimum and multiplied by their scale; dims of
    one group share a size (``groups`` carries sizes between inputs)."""
    if inferred.dims is None:
        return tuple(unknown_rank), []
    groups = groups if groups is not None else {}
    out, filled = [], []
    for i, d in enumerate(inferred.dims):
        if d.size is not None:
            out.append(int(d.size))
            continue
        if d.group and d.group in groups:
            size = groups[d.group]
        else:
            size = (batch if i == 0 else default_dim) * d.scale
            size = max(size, d.minimum)
            if d.group:
                groups[d.group] = size
        out.append(size)
        filled.append(f"dim {i}={size}")
    return tuple(out), filled


def needed_shape(model: V1Model, tensor: str, default_dim: int = 2) -> tuple[int, ...] | None:
    """The shape the consumers of ``tensor`` need (free dims: 1 first, ``default_dim`` after),
    or ``None`` when they say nothing: for values a rule makes inside a string (``ParseTensor``)."""
    inf = _Inference(model)
    for prop in inf._proposals(tensor_name(tensor), None):
        return tuple(
            d.size
            if d.size is not None
            else max(d.minimum, (1 if i == 0 else default_dim) * d.scale)
            for i, d in enumerate(prop.dims)
        )
    return None


_STATIC: dict[tuple, tuple[Any, Any]] = {}


def static_shapes(model: V1Model, shapes: Mapping[str, tuple[int, ...]]) -> Any:
    """``tensor name -> static shape`` of the graph imported with placeholder ops of ``shapes``
    set to those (sampled) shapes, or ``None`` when it does not import. Cached per model and
    shapes (parity samples the same shapes batch after batch)."""
    key = (id(model), tuple(sorted((k, tuple(v)) for k, v in shapes.items())))
    hit = _STATIC.get(key)
    if hit is not None and hit[0] is model:
        return hit[1]
    lookup = None
    if not model.replacements:
        try:
            g = _Inference(model).import_with(shapes)
        except Exception:  # noqa: BLE001 - custom ops or a refused shape: no static shapes
            g = None
        if g is not None:

            def lookup(tensor: str) -> Shape:
                return _graph_shape(g, tensor_name(tensor))

    if len(_STATIC) >= 4:
        _STATIC.pop(next(iter(_STATIC)))
    _STATIC[key] = (model, lookup)
    return lookup


def feed_shapes(model: V1Model, candidates: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Tensor name -> ``{shape, reasons, notes}`` for the input candidates (``name``, ``dtype``,
    ``shape``: suggest's) whose feed shape the graph decides beyond what they declare; what
    ``suggest`` and the IOPicker show. Empty when inference fails: a suggestion stands without."""
    specs = {c.name: TensorSpec(c.name, c.dtype, c.shape) for c in candidates if c.name}
    try:
        inferred, _ = infer_shapes(model, specs)
    except Exception:  # noqa: BLE001 - the suggestion stands without its feed shape
        return {}
    out = {}
    for name, inf in inferred.items():
        j = inf.to_json()
        if j["reasons"] or j["notes"]:
            out[name] = j
    return out


def with_placeholder_shapes(model: V1Model, specs: Mapping[str, Any]) -> dict[str, Any]:
    """``specs`` with each dense spec of unknown rank given its placeholder's declared shape
    (a TensorInfo without shape in an old export; a TF 1.0-era ``[]`` is not a declaration)."""
    nodes = None
    out = {}
    for key, spec in specs.items():
        if spec.kind == "dense" and spec.shape is None and spec.name:
            if nodes is None:
                nodes = graph_index(model.graph_def).nodes
            node = nodes.get(op_name(spec.name))
            if node is not None and node.op in PLACEHOLDER_OPS:
                declared = _declared(model, node)[0]
                if declared is not None:
                    spec = dataclasses.replace(spec, shape=declared)
        out[key] = spec
    return out


def _declared(model: V1Model, node: NodeDef) -> tuple[Shape, bool]:
    """A placeholder's declared shape, and whether it is a TF 1.0-era ``[]`` (producer <= 21),
    which often meant unknown: then no declaration (``None``)."""
    raw = attr_shape(node) if "shape" in node.attr else None
    old = raw == () and model.producer <= 21
    return (None if old else raw), old
