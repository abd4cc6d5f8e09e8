"""What will break, and what is unsafe, before anything runs: ``explorer.scan(model)``.

Rules are registered per op type with :func:`rule` (a rule with no op types sees the whole graph;
the shipped rules live in ``explorer/scan_rules.py``)
and return :class:`Finding` s. The scan reads protobufs only (the top-level graph and the bodies
of library functions); nothing is imported or run. Rules shipped here:

=================  ========  ===================================================================
rule               severity  what
=================  ========  ===================================================================
unregistered-op    error     op types this TensorFlow does not register (known replacement named)
py-func            error     PyFunc/EagerPyFunc: Python code not in the file; unsafe
file-system        warning   ReadFile, WriteFile, MatchingFiles, Save/Restore outside the Saver,
                             PrintV2 to a file, dataset/summary file ops; unsafe
ref-variable       warning   reference variables (VariableV2): TF2 loading refuses them
v1-control-flow    warning   Switch/Merge/Enter/Exit/NextIteration (tf.cond/while_loop, v1)
queue              warning   queues and readers: session.run blocks without queue runners
stateful-random    warning   unseeded random ops on the inference path (info when init-only)
device-pin         warning   pins to a device type this machine lacks (info when present)
ref-edge           info      ops that take a reference-typed tensor (need resource variants)
=================  ========  ===================================================================

:func:`require_safe` raises :class:`~explorer.errors.UnsafeModelError` for models holding the
unsafe ops; ``ModelSession`` calls it before importing a graph unless ``allow_unsafe=True``.
The Saver's own save/restore ops (fed by its filename tensor) are the checkpoint and are not
unsafe.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, overload

from .errors import UnsafeModelError
from .registry import OpRegistry

SEVERITIES = ("error", "warning", "info")

# ----------------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One thing the scan found.

    Attributes:
        rule: the rule's name (``unregistered-op``, ``file-system``, ...).
        severity: ``error`` (will fail), ``warning`` (may break, or unsafe) or ``info``.
        nodes: the ops concerned; ops inside library functions are ``function::op``.
        message: one line: what, why it matters, what to do.
        replacement: for an unregistered op, a known built-in replacement (else ``None``).
        unsafe: whether this is a safety finding (file system, Python calls).
    """

    rule: str
    severity: str
    nodes: tuple[str, ...]
    message: str
    replacement: str | None = None
    unsafe: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "nodes": list(self.nodes),
            "message": self.message,
        }
        if self.replacement is not None:
            out["replacement"] = self.replacement
        return out


class Findings(Sequence[Finding]):
    """The findings of a scan, errors first; a sequence of :class:`Finding`."""

    def __init__(self, findings: Iterable[Finding], source: str = "") -> None:
        self._items = sorted(
            findings, key=lambda f: (SEVERITIES.index(f.severity), f.rule, f.nodes)
        )
        self.source = source

    @overload
    def __getitem__(self, i: int) -> Finding: ...
    @overload
    def __getitem__(self, i: slice) -> list[Finding]: ...
    def __getitem__(self, i: int | slice) -> Finding | list[Finding]:
        return self._items[i]

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Findings({self.source!r}: {self.summary()})"

    def summary(self) -> str:
        """``1 error, 2 warnings, 0 info``."""
        parts = []
        for s in SEVERITIES:
            n = len(self.of_severity(s))
            parts.append(f"{n} {s}{'s' if n != 1 and s != 'info' else ''}")
        return ", ".join(parts)

    @property
    def rules(self) -> set[str]:
        """Names of the rules that found something."""
        return {f.rule for f in self._items}

    def by_rule(self, rule: str) -> list[Finding]:
        return [f for f in self._items if f.rule == rule]

    def of_severity(self, severity: str) -> list[Finding]:
        return [f for f in self._items if f.severity == severity]

    @property
    def errors(self) -> list[Finding]:
        return self.of_severity("error")

    @property
    def unsafe(self) -> list[Finding]:
        """Safety findings (file-system access, Python calls)."""
        return [f for f in self._items if f.unsafe]

    def to_json(self) -> dict[str, Any]:
        """``{"findings": [{"rule", "severity", "nodes", "message"}, ...]}``, errors first."""
        return {"findings": [f.to_json() for f in self._items]}


# ----------------------------------------------------------------------------------------------
# the registry
# ----------------------------------------------------------------------------------------------


class NodeRef(NamedTuple):
    """A node found by the scan: qualified name, its NodeDef, its FunctionDef (or ``None``)."""

    name: str
    node: Any
    function: Any


RuleFn = Callable[["ScanContext", list[NodeRef]], Iterable[Finding]]


RULES: OpRegistry[RuleFn] = OpRegistry("scan rule", many=True)
"""Scan rules by name; each entry's ``op_types`` (empty: every node), ``value`` the rule function,
``meta["unsafe"]``."""


def rule(*op_types: str, name: str, unsafe: bool = False) -> Callable[[RuleFn], RuleFn]:
    """Register ``fn(ctx, nodes) -> findings`` for nodes of ``op_types`` (all nodes if none).

    The function is called once per scan with every matching node (top-level graph and library
    functions), and only when there is at least one. ``unsafe`` rules are also what
    :func:`require_safe` runs.

    Raises:
        ValueError: a rule called ``name`` is already registered.
    """
    return RULES.register(*op_types, name=name, unsafe=unsafe)


class ScanContext:
    """What rules see: the model, its nodes by op type, and its catalog (built on first use)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.graph_def = model.graph_def
        self.path = str(model.path)
        self.by_type: dict[str, list[NodeRef]] = {}
        for node in self.graph_def.node:
            self.by_type.setdefault(node.op, []).append(NodeRef(node.name, node, None))
        for fn in self.graph_def.library.function:
            fname = fn.signature.name
            for node in fn.node_def:
                ref = NodeRef(f"{fname}::{node.name}", node, fn)
                self.by_type.setdefault(node.op, []).append(ref)

    @property
    def catalog(self) -> Any:
        return self.model.catalog()

    def nodes(self, op_types: frozenset[str]) -> list[NodeRef]:
        if not op_types:
            return [ref for refs in self.by_type.values() for ref in refs]
        return [ref for t in sorted(op_types & self.by_type.keys()) for ref in self.by_type[t]]


def _load_rules() -> None:
    from . import scan_rules  # noqa: F401  (registers the shipped rules)


def scan(model: Any, rules: Iterable[str] | None = None) -> Findings:
    """Compatibility and safety findings for a model, before anything runs.

    Args:
        model: a :class:`~explorer.loader.V1Model`, or a path to load.
        rules: only these rule names (default: every registered rule).

    Returns:
        :class:`Findings`, errors first.

    Raises:
        ValueError: a name in ``rules`` is not a registered rule.
    """
    if isinstance(model, (str, os.PathLike)):
        from .loader import load

        model = load(model)
    _load_rules()
    ctx = ScanContext(model)
    wanted = set(rules) if rules is not None else None
    unknown = sorted((wanted or set()) - set(RULES.by_name))
    if unknown:
        raise ValueError(
            f"unknown scan rule {', '.join(unknown)}: choose from "
            f"{', '.join(sorted(RULES.by_name))}"
        )
    found: list[Finding] = []
    for r in RULES.entries():
        if wanted is not None and r.name not in wanted:
            continue
        nodes = ctx.nodes(r.op_types)
        if nodes:
            found.extend(r.value(ctx, nodes))
    return Findings(found, source=ctx.path)


def require_safe(model: Any, allow_unsafe: bool = False) -> None:
    """Raise :class:`UnsafeModelError` when the model holds file-system or Python-calling ops.

    Args:
        model: the :class:`~explorer.loader.V1Model` about to be imported.
        allow_unsafe: the user trusts the file: do nothing.
    """
    if allow_unsafe:
        return
    _load_rules()
    unsafe = [r for r in RULES.entries() if r.meta["unsafe"]]
    unsafe_types = {t for r in unsafe for t in r.op_types}
    present = {n.op for n in model.graph_def.node} | {
        n.op for f in model.graph_def.library.function for n in f.node_def
    }
    if not unsafe_types & present:
        return
    findings = scan(model, rules=[r.name for r in unsafe]).unsafe
    if not findings:
        return
    nodes = [n for f in findings for n in f.nodes]
    shown = ", ".join(nodes[:5]) + (f" and {len(nodes) - 5} more" if len(nodes) > 5 else "")
    what = "; ".join(sorted({f.message.split(":")[0] for f in findings}))
    raise UnsafeModelError(
        f"{model.path} holds ops that {what} ({shown}): run explorer.scan for details; pass "
        "allow_unsafe=True only if you trust this file"
    )
