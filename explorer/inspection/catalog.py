"""Every op and tensor of a model's top-level graph, searchable, read from the ``GraphDef`` alone
(nothing imported or run), and its read-only views (:class:`OpInfo`, :class:`TensorInfo`, ...)."""

from __future__ import annotations

import bisect
import functools
import heapq
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from explorer.errors import TensorNotFoundError
from explorer.graph.index import graph_index
from explorer.graph.names import data_inputs, op_name
from explorer.graph.op_families import INPUT_OPS
from explorer.graph.proto_reader import (
    Shape,
    attr_summary,
    dtype_name,
    gc_paused,
    glob_to_regex,
    out_spec_of,
    output_dtypes,
)
from explorer.graph.specs import shape_of

if TYPE_CHECKING:
    from tensorflow.core.framework.graph_pb2 import GraphDef

    from explorer.loading.model import V1Model


class Catalog:
    """Every op and tensor of a graph (top level), searchable; ``source``: the model path (or
    ``"graph_def"``); ``producer``: the GraphDef's (<= 21: TF 1.0-era); ``functions``: names."""

    def __init__(
        self,
        graph_def: GraphDef,
        *,
        shapes: Mapping[str, Shape] | None = None,
        source: str = "graph_def",
    ) -> None:
        self.graph_def = graph_def
        self.source = source
        self.producer = int(graph_def.versions.producer)
        self.functions: list[str] = [f.signature.name for f in graph_def.library.function]
        fn_specs = {f.signature.name: out_spec_of(f.signature) for f in graph_def.library.function}
        self._signature_shapes = dict(shapes or {})
        self._op_cache: dict[int, OpInfo] = {}
        self._tensor_cache: dict[str, TensorInfo] = {}
        with gc_paused():
            index = graph_index(graph_def)
            self._nodes = index.node_list
            self._names = index.names
            self._types = index.types
            self._dtypes: list[tuple[int, ...]] = output_dtypes(index, fn_specs)
            self._data_consumers = index.data_by_input
            self._control_consumers = index.control_by_op
            self._index = index.position
            _ = self._lower_blob  # the search index

    @classmethod
    def from_graph_def(cls, graph_def: GraphDef, source: str = "graph_def") -> Catalog:
        """The catalog of a ``GraphDef`` protobuf (nothing is imported or run)."""
        return cls(graph_def, source=source)

    @classmethod
    def from_model(cls, model: V1Model) -> Catalog:
        """The model's catalog, built once (``model.memo``); signature shapes fill gaps."""
        if "catalog" in model.memo:
            return model.memo["catalog"]
        shapes: dict[str, Shape] = {}
        for sig in model.signatures.values():
            for spec in [*sig.inputs.values(), *sig.outputs.values()]:
                if spec.kind == "dense" and spec.name and spec.shape is not None:
                    shapes.setdefault(spec.name, spec.shape)
        model.memo["catalog"] = cls(model.graph_def, shapes=shapes, source=str(model.path))
        return model.memo["catalog"]

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        op, _, idx = str(name).partition(":")
        i = self._index.get(op) if isinstance(name, str) else None
        return i is not None and (not idx or (idx.isdigit() and int(idx) < len(self._dtypes[i])))

    @property
    def names(self) -> list[str]:
        """Op names in graph order (do not modify)."""
        return self._names

    def position(self, name: str) -> int:
        """Graph-order index of an op (``op``, ``op:idx``, ``^op``); raises TensorNotFoundError."""
        i = self._index.get(name.lstrip("^").partition(":")[0])
        if i is None:
            raise TensorNotFoundError(
                f"{name!r} is not an op of {self.source}: find names with catalog.search(...)"
            )
        return i

    def op(self, name: str) -> OpInfo:
        """The op ``name`` (``op:idx`` and ``^op`` accepted); raises ``TensorNotFoundError``."""
        return self._op_at(self.position(name))

    def tensor(self, name: str) -> TensorInfo:
        """The tensor ``op:idx`` (``op`` means ``op:0``); raises ``TensorNotFoundError``."""
        op, _, idx = name.partition(":")
        key = name if idx else f"{op}:0"
        if key not in self._tensor_cache:
            i = self._index.get(op)
            if key not in self:
                where = "" if i is None else f" (op {op!r} has {len(self._dtypes[i])} outputs)"
                raise TensorNotFoundError(
                    f"tensor {name!r} is not in {self.source}{where}: find names with "
                    "catalog.search(...)"
                )
            self._tensor_cache[key] = TensorInfo(self, i, int(idx or 0))
        return self._tensor_cache[key]

    @property
    def ops(self) -> list[OpInfo]:
        """Every op, in graph order."""
        return [self._op_at(i) for i in range(len(self._names))]

    @property
    def tensors(self) -> list[TensorInfo]:
        """Every output tensor, in graph order."""
        pairs = zip(self._names, self._dtypes)
        return [self.tensor(f"{name}:{k}") for name, dts in pairs for k in range(len(dts))]

    def op_type_counts(self) -> dict[str, int]:
        """Op type -> number of ops, most frequent first (ties by name)."""
        counts = {t: len(ids) for t, ids in self._by_type.items()}
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def dtypes(self) -> dict[str, int]:
        """Dtype name -> number of tensors of that dtype, most frequent first."""
        counts = Counter(d for dts in self._dtypes for d in dts)
        named = {("unknown" if d < 0 else dtype_name(d)): c for d, c in counts.items()}
        return dict(sorted(named.items(), key=lambda kv: (-kv[1], kv[0])))

    def search(self, *args: Any, **kwargs: Any) -> list[OpInfo]:
        """Ops whose name matches ``text``, in graph order (at most ``limit``): a
        case-insensitive substring (a ``:idx`` suffix is ignored), a case-insensitive glob over
        the whole name when it holds ``*``, ``?`` or ``[``, or ``re:<pattern>`` searched in the
        name (``ValueError`` when invalid); empty matches all. ``op_type`` (one or several),
        ``dtype`` (of an output) and ``scope`` filter further. ``ranked`` (a substring): ops
        whose name or last scope part is the text first, then those starting with it."""
        return [self._op_at(self._index[n]) for n in self.search_names(*args, **kwargs)]

    def search_names(
        self,
        text: str = "",
        op_type: str | Iterable[str] | None = None,
        dtype: str | None = None,
        scope: str | None = None,
        limit: int | None = None,
        ranked: bool = False,
    ) -> list[str]:
        """The names of the ops :meth:`search` returns, without an OpInfo each."""
        text = text.strip()
        plain = not text.startswith("re:") and not any(c in text for c in "*?[")
        q = _lower_op(text) if ranked and plain else ""  # ranked: exact names, then prefixes
        scope = (scope or "").strip("/") or None  # "" or "/" is the whole graph
        checks, type_ids = [], None
        source: Iterable[int]
        if op_type is not None:
            types = {op_type} if isinstance(op_type, str) else set(op_type)
            type_ids = sorted(i for t in types for i in self._by_type.get(t, ()))
            checks.append(lambda i: self._types[i] in types)
        if scope:
            checks.append(lambda i: self._names[i].startswith(scope + "/"))
        if dtype:
            wanted = dtype.strip()
            checks.append(
                lambda i: any(d >= 0 and dtype_name(d) == wanted for d in self._dtypes[i] or ())
            )
        if type_ids is not None and len(type_ids) < 5000:
            source = type_ids  # few ops of that type: test the text on each
        elif scope and (not text or self.scope_tree().find_count(scope) <= 20000):
            source = self._scope_ids(scope)  # a small scope: test the text on each name
        elif text:
            source, text = self._iter_text(text), ""  # the text index picks the ops
        else:
            source = type_ids if type_ids is not None else range(len(self._names))
        if text:
            name_ok = self._name_predicate(text)
            checks.append(lambda i: name_ok(self._names[i]))
        found = (i for i in source if all(check(i) for check in checks)) if checks else source
        if q:
            found = self._ranked(q, found, lambda i: all(check(i) for check in checks))
        found = itertools.islice(found, None if limit is None else max(limit, 0))
        return [self._names[i] for i in found]

    def _ranked(self, q: str, rest: Iterable[int], ok: Any) -> Iterator[int]:
        """Ops whose name or last scope part is ``q`` (lower case), then those where one starts
        with it, then ``rest``: each in graph order, once, if ``ok(i)``; lazily (a limit stops)."""

        def leaf(i: int) -> str:
            return self._names[i].lower().rpartition("/")[2]

        exact = (i for i in self._iter_found(q + "\n") if leaf(i) == q)
        prefix = heapq.merge(self._iter_found("\n" + q), self._iter_found("/" + q))
        prefix = (
            i for i in prefix if leaf(i).startswith(q) or self._names[i].lower().startswith(q)
        )
        seen: set[int] = set()
        for i in itertools.chain(exact, prefix, rest):
            if i not in seen and ok(i):
                seen.add(i)
                yield i

    def _name_predicate(self, text: str) -> Any:
        """``fn(name) -> bool`` for a search text (substring, glob or ``re:``)."""
        if text.startswith("re:"):
            return re.compile(text[3:]).search
        if any(c in text for c in "*?["):
            return re.compile(glob_to_regex(text), re.IGNORECASE).match
        sub = _lower_op(text)
        return lambda name: sub in name.lower()

    def _scope_ids(self, scope: str) -> list[int]:
        """Indices of the ops inside ``scope`` (at any depth), in graph order."""
        try:
            node = self.scope_tree().find(scope)
        except TensorNotFoundError:
            return []
        ids: list[int] = []
        todo = [node]
        while todo:
            n = todo.pop()
            ids.extend(self._index[name] for name in n.ops)
            todo.extend(n.children.values())
        return sorted(ids)

    def _iter_text(self, text: str) -> Iterator[int]:
        """Indices of ops whose name matches ``text``, in graph order."""
        if text.startswith("re:"):
            yield from self._iter_regex(re.compile(text[3:]))
        elif any(c in text for c in "*?["):
            match = self._name_predicate(text)
            pieces = [p.lower() for p in re.split(r"[*?]|\[[^]]*\]", text)]
            # a glob spans the whole name: index its first or last literal piece, not "contains"
            prefix, suffix = pieces[0], pieces[-1] if len(pieces) > 1 else ""
            if suffix and len(suffix) >= len(prefix):
                found: Iterator[int] = self._iter_found(suffix + "\n")
            elif prefix:
                found = self._iter_found("\n" + prefix)
            elif max(pieces, key=len):
                found = self._iter_found(max(pieces, key=len))
            else:
                found = iter(range(len(self._names)))
            yield from (i for i in found if match(self._names[i]))
        else:
            yield from self._iter_found(_lower_op(text))

    def _hits(self, find: Callable[[int], int]) -> Iterator[int]:
        """The ops ``find(pos)`` (the next hit at or after ``pos`` in the joined names, ``-1``:
        none) lands in, each once, in graph order."""
        starts = self._blob_and_starts[1]
        pos = find(0)
        while pos >= 0:
            i = bisect.bisect_right(starts, pos) - 1
            yield i
            if i + 1 >= len(starts):
                return
            pos = find(starts[i + 1])

    def _iter_found(self, needle: str) -> Iterator[int]:
        """Ops whose lower-cased name, framed by newlines, holds ``needle`` (``"\\n" + text``:
        starts with the text; ``text + "\\n"``: ends with it), in graph order."""
        return self._hits(functools.partial(self._lower_blob.find, needle))

    def _iter_regex(self, pattern: re.Pattern[str]) -> Iterator[int]:
        # Anchors to the whole string and lookarounds cannot run on the joined names.
        if any(t in pattern.pattern for t in ("\\A", "\\Z", "(?<", "(?=", "(?!")):
            return (i for i, n in enumerate(self._names) if pattern.search(n))
        blob = self._blob_and_starts[0]
        multi = re.compile(pattern.pattern, pattern.flags | re.MULTILINE)
        found = self._hits(lambda pos: m.start() if (m := multi.search(blob, pos)) else -1)
        return (i for i in found if pattern.search(self._names[i]))

    def neighbours(self, name: str, up: int = 1, down: int = 1, limit: int = 500) -> Subgraph:
        """Ops within ``up`` hops upstream and ``down`` hops downstream of ``name`` (data and
        control edges), at most ``limit`` ops (closest first), with the edges among them."""
        center = self.op(name)
        depth = {center.name: 0}
        for direction, hops in ((-1, up), (1, down)):
            frontier = [center.name]
            for d in range(1, max(hops, 0) + 1):
                nxt = []
                for op in frontier:
                    info = self.op(op)
                    ins = [*map(op_name, info.inputs), *info.control_inputs]
                    near = ins if direction < 0 else [*info.consumers, *info.control_consumers]
                    for other in near:
                        if other not in depth and len(depth) < limit:
                            depth[other] = direction * d
                            nxt.append(other)
                frontier = nxt
        keep = set(depth)
        nodes = [self.op(n) for n in sorted(keep, key=lambda n: (depth[n], self._index[n]))]
        edges = [Edge(op_name(t), n.name, t) for n in nodes for t in n.inputs if op_name(t) in keep]
        edges += [Edge(c, n.name, None, True) for n in nodes for c in n.control_inputs if c in keep]
        return Subgraph(center=center.name, nodes=nodes, edges=edges, depth=depth)

    def upstream(self, names: Iterable[str], stop: Iterable[str] = ()) -> set[str]:
        """Op names the given ops/tensors depend on (themselves included), through data and
        control edges; the walk stops at tensors in ``stop`` (``op:idx``: fed)."""
        names = list(names)
        for n in names:
            if n.lstrip("^").partition(":")[0] not in self._index:
                raise TensorNotFoundError(f"{n!r} is not in {self.source}")
        return graph_index(self.graph_def).upstream([n.lstrip("^") for n in names], fed=stop)

    def scope_tree(self) -> ScopeNode:
        """The name-scope tree: root ``path == ""``; each op sits in the scope of its name."""
        return self._scope_tree

    @functools.cached_property
    def _scope_tree(self) -> ScopeNode:
        root = ScopeNode(name="", path="")
        with gc_paused():
            for name in self._names:
                node = root
                node.count += 1
                parts = name.split("/")
                for k, part in enumerate(parts[:-1]):
                    if part not in node.children:
                        node.children[part] = ScopeNode(name=part, path="/".join(parts[: k + 1]))
                    node = node.children[part]
                    node.count += 1
                node.ops.append(name)
        return root

    @functools.cached_property
    def _by_type(self) -> dict[str, list[int]]:
        by_type: dict[str, list[int]] = {}
        for i, t in enumerate(self._types):
            by_type.setdefault(t, []).append(i)
        return by_type

    @functools.cached_property
    def _blob_and_starts(self) -> tuple[str, list[int]]:
        """The names joined by newlines, and where each starts in it."""
        starts = list(itertools.accumulate((len(n) + 1 for n in self._names), initial=0))
        return "\n".join(self._names), starts[:-1]

    @functools.cached_property
    def _lower_blob(self) -> str:
        """The names lower-cased, joined and framed by newlines (a name starts at its start + 1)."""
        blob = self._blob_and_starts[0]
        lower = blob.lower()
        # Lower-casing keeps lengths for ASCII names; fall back to per-name offsets otherwise.
        if len(lower) != len(blob):
            lower = "\n".join(n.lower() for n in self._names)
        return f"\n{lower}\n"

    def _shape_of(self, i: int, k: int, key: str) -> Shape:
        node = self._nodes[i]
        recorded = node.attr.get("_output_shapes")
        shape: Shape = None
        if recorded is not None and k < len(recorded.list.shape):
            shape = shape_of(recorded.list.shape[k])
        if shape is None and key in self._signature_shapes:
            shape = self._signature_shapes[key]
        is_placeholder = node.op in INPUT_OPS
        if shape is None and is_placeholder and "shape" in node.attr:
            shape = shape_of(node.attr["shape"].shape)
        # TF 1.0-era graphs (producer <= 21) wrote placeholder `shape {}` for "unknown".
        if is_placeholder and shape == () and self.producer <= 21:
            return None
        return shape

    def _op_at(self, i: int) -> OpInfo:
        if i not in self._op_cache:
            self._op_cache[i] = OpInfo(self, i)
        return self._op_cache[i]


def _lower_op(text: str) -> str:
    """What a substring search looks for: ``text`` lower-cased, a ``:idx`` suffix dropped."""
    return re.sub(r":\d+$", "", text).lower()


class TensorInfo:
    """One tensor ``op:idx`` of the graph: a read-only view into the :class:`Catalog`."""

    __slots__ = ("_catalog", "_i", "dtype", "index", "name", "producer")

    def __init__(self, catalog: Catalog, i: int, index: int) -> None:
        self._catalog, self._i, self.index = catalog, i, index
        self.producer = catalog._names[i]
        self.name = f"{self.producer}:{index}"
        enum = catalog._dtypes[i][index]
        self.dtype = "unknown" if enum < 0 else dtype_name(enum)

    @property
    def shape(self) -> Shape:
        return self._catalog._shape_of(self._i, self.index, self.name)

    @property
    def consumers(self) -> tuple[str, ...]:
        cat = self._catalog
        ids = list(cat._data_consumers.get(self.name, ()))
        if self.index == 0:
            ids += cat._data_consumers.get(self.producer, ())
        return tuple(cat._names[j] for j in sorted(ids))

    def __eq__(self, other: object) -> bool:
        same = isinstance(other, TensorInfo) and other._catalog is self._catalog
        return same and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"TensorInfo({self.name!r}, {self.dtype}, shape={self.shape})"

    def to_json(self) -> dict[str, Any]:
        shape = None if self.shape is None else list(self.shape)
        out = {"name": self.name, "dtype": self.dtype, "shape": shape, "producer": self.producer}
        return out | {"consumers": list(self.consumers)}


class OpInfo:
    """One node of the graph: a read-only view into the :class:`Catalog`."""

    __slots__ = ("_catalog", "_i", "name", "node", "scope", "type")

    def __init__(self, catalog: Catalog, i: int) -> None:
        self._catalog, self._i = catalog, i
        self.name = catalog._names[i]
        self.type = catalog._types[i]
        self.node = catalog._nodes[i]
        self.scope = self.name.rpartition("/")[0]

    @property
    def device(self) -> str:
        return self.node.device

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(data_inputs(self.node))

    @property
    def control_inputs(self) -> tuple[str, ...]:
        return tuple(s[1:] for s in self.node.input if s[0] == "^")

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(f"{self.name}:{k}" for k in range(len(self._catalog._dtypes[self._i])))

    @property
    def consumers(self) -> tuple[str, ...]:
        cat = self._catalog
        ids: set[int] = set(cat._data_consumers.get(self.name, ()))
        for k in range(len(cat._dtypes[self._i])):
            ids.update(cat._data_consumers.get(f"{self.name}:{k}", ()))
        return tuple(cat._names[j] for j in sorted(ids))

    @property
    def control_consumers(self) -> tuple[str, ...]:
        cat = self._catalog
        return tuple(cat._names[j] for j in cat._control_consumers.get(self.name, ()))

    @property
    def attrs(self) -> dict[str, str]:
        attr = self.node.attr
        return {k: attr_summary(attr[k]) for k in sorted(attr) if k != "_output_shapes"}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OpInfo) and other._catalog is self._catalog and other._i == self._i

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"OpInfo({self.name!r}, {self.type})"

    def to_json(self) -> dict[str, Any]:
        edges = ("inputs", "control_inputs", "consumers", "control_consumers", "outputs")
        head = {"name": self.name, "type": self.type, "device": self.device, "attrs": self.attrs}
        return head | {k: list(getattr(self, k)) for k in edges}


@dataclass(frozen=True)
class Edge:
    """An edge ``src -> dst``: a tensor (``src:idx``) or a control edge."""

    src: str
    dst: str
    tensor: str | None
    control: bool = False


@dataclass
class Subgraph:
    """Ops around a centre op and their edges; ``depth``: hops from the centre (< 0 up)."""

    center: str
    nodes: list[OpInfo]
    edges: list[Edge]
    depth: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        nodes = [{"name": n.name, "type": n.type, "depth": self.depth[n.name]} for n in self.nodes]
        return {"center": self.center, "nodes": nodes, "edges": [asdict(e) for e in self.edges]}


@dataclass
class ScopeNode:
    """One name scope: ``path``, direct ``ops``, ``children`` by short name, ``count`` below."""

    name: str
    path: str
    children: dict[str, ScopeNode] = field(default_factory=dict)
    ops: list[str] = field(default_factory=list)
    count: int = 0

    def find_count(self, path: str) -> int:
        try:
            return self.find(path).count
        except TensorNotFoundError:
            return 0

    def find(self, path: str) -> ScopeNode:
        """The scope at ``path`` below this one; raises ``TensorNotFoundError``."""
        node = self
        for part in [p for p in path.split("/") if p]:
            if part not in node.children:
                raise TensorNotFoundError(f"scope {path!r} is not in the graph")
            node = node.children[part]
        return node
