"""What the scan gives (:class:`Findings`) and how rules register (:func:`rule`)."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from explorer.graph.registry import OpRegistry
from explorer.graph.run_scope import RunScope
from explorer.inspection.catalog import Catalog

if TYPE_CHECKING:
    from tensorflow.core.framework.function_pb2 import FunctionDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    from explorer.loading.model import V1Model

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One thing the scan found, with a one-line ``message`` (``unsafe``: a safety finding)."""

    rule: str
    severity: str
    nodes: tuple[str, ...]
    message: str
    replacement: str | None = None
    unsafe: bool = False

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in dataclasses.asdict(self).items() if k != "unsafe" and v is not None}
        return {**out, "nodes": list(self.nodes)}  # a replacement only when known


class Findings(list[Finding]):
    """The findings of a scan, errors first; a list of :class:`Finding`."""

    def __init__(self, findings: Iterable[Finding], source: str = "") -> None:
        super().__init__(
            sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), f.rule, f.nodes))
        )
        self.source = source

    def __repr__(self) -> str:
        return f"Findings({self.source!r}: {self.summary()})"

    def summary(self) -> str:
        counts = {s: len(self.of_severity(s)) for s in SEVERITIES}
        return ", ".join(
            f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in counts.items()
        )

    @property
    def rules(self) -> set[str]:
        return {f.rule for f in self}

    def by_rule(self, rule: str) -> list[Finding]:
        return [f for f in self if f.rule == rule]

    def of_severity(self, severity: str) -> list[Finding]:
        return [f for f in self if f.severity == severity]

    @property
    def errors(self) -> list[Finding]:
        return self.of_severity("error")

    @property
    def unsafe(self) -> list[Finding]:
        """Safety findings (file-system access, Python calls)."""
        return [f for f in self if f.unsafe]

    def to_json(self) -> dict[str, Any]:
        return {"findings": [f.to_json() for f in self]}


class NodeRef(NamedTuple):
    """A node found by the scan: qualified name, its NodeDef, its FunctionDef (or ``None``)."""

    name: str
    node: NodeDef
    function: FunctionDef | None


RuleFn = Callable[["ScanContext", list[NodeRef]], Iterable[Finding]]


RULES: OpRegistry[RuleFn] = OpRegistry("scan rule", many=True)


def rule(*op_types: str, name: str, unsafe: bool = False) -> Callable[[RuleFn], RuleFn]:
    """Register ``fn(ctx, nodes) -> findings`` for the nodes of ``op_types`` (none: all)."""
    return RULES.register(*op_types, name=name, unsafe=unsafe)


class ScanContext:
    """What rules see: the model, what will run (``scope``), its nodes by type, its catalog."""

    def __init__(self, model: V1Model, scope: RunScope | None = None) -> None:
        self.model = model
        self.scope = scope
        self.graph_def = model.graph_def
        self.path = str(model.path)
        self.by_type: dict[str, list[NodeRef]] = {}
        self._shared: dict[str, Any] = {}
        refs = [NodeRef(n.name, n, None) for n in self.graph_def.node]
        for fn in self.graph_def.library.function:
            refs += [NodeRef(f"{fn.signature.name}::{n.name}", n, fn) for n in fn.node_def]
        for ref in refs:
            self.by_type.setdefault(ref.node.op, []).append(ref)

    @functools.cached_property
    def catalog(self) -> Catalog:
        return Catalog.from_model(self.model)

    def once(self, key: str, make: Callable[[ScanContext], Any]) -> Any:
        """``make(self)``, computed once per scan (what several rules share)."""
        if key not in self._shared:
            self._shared[key] = make(self)
        return self._shared[key]

    def nodes(self, op_types: frozenset[str]) -> list[NodeRef]:
        if not op_types:
            return [ref for refs in self.by_type.values() for ref in refs]
        return [ref for t in sorted(op_types & self.by_type.keys()) for ref in self.by_type[t]]
