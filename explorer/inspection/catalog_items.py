"""What a :class:`~explorer.Catalog` hands out: read-only views of ops, tensors, scopes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from explorer.errors import TensorNotFoundError
from explorer.graph.names import data_inputs
from explorer.graph.proto_reader import Shape, attr_summary, dtype_name

if TYPE_CHECKING:
    from explorer.inspection.catalog import Catalog


class TensorInfo:
    """One tensor ``op:idx`` of the graph: a read-only view into the :class:`Catalog`."""

    __slots__ = ("_catalog", "_i", "index", "name", "producer")

    def __init__(self, catalog: Catalog, i: int, index: int) -> None:
        self._catalog, self._i, self.index = catalog, i, index
        self.producer = catalog._names[i]
        self.name = f"{self.producer}:{index}"

    @property
    def dtype(self) -> str:
        enum = self._catalog._dtypes[self._i][self.index]
        return "unknown" if enum < 0 else dtype_name(enum)

    @property
    def shape(self) -> Shape:
        return self._catalog._shape_of(self._i, self.index, self.name)

    @property
    def consumers(self) -> tuple[str, ...]:
        cat = self._catalog
        return tuple(cat._names[j] for j in cat._tensor_consumer_ids(self.producer, self.index))

    def __eq__(self, other: object) -> bool:
        same = isinstance(other, TensorInfo) and other._catalog is self._catalog
        return same and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"TensorInfo({self.name!r}, {self.dtype}, shape={self.shape})"

    def to_json(self) -> dict[str, Any]:
        shape = self.shape
        return {
            "name": self.name,
            "dtype": self.dtype,
            "shape": None if shape is None else list(shape),
            "producer": self.producer,
            "consumers": list(self.consumers),
        }


class OpInfo:
    """One node of the graph: a read-only view into the :class:`Catalog`."""

    __slots__ = ("_catalog", "_i", "name", "node", "type")

    def __init__(self, catalog: Catalog, i: int) -> None:
        self._catalog, self._i = catalog, i
        self.name = catalog._names[i]
        self.type = catalog._types[i]
        self.node = catalog._nodes[i]

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

    @property
    def scope(self) -> str:
        return self.name.rpartition("/")[0]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OpInfo) and other._catalog is self._catalog and other._i == self._i

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"OpInfo({self.name!r}, {self.type})"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "device": self.device,
            "attrs": self.attrs,
            "inputs": list(self.inputs),
            "control_inputs": list(self.control_inputs),
            "consumers": list(self.consumers),
            "control_consumers": list(self.control_consumers),
            "outputs": list(self.outputs),
        }


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
        return {
            "center": self.center,
            "nodes": [
                {"name": n.name, "type": n.type, "depth": self.depth[n.name]} for n in self.nodes
            ],
            "edges": [asdict(e) for e in self.edges],
        }


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
