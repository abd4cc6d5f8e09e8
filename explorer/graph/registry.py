"""Per-op extension points: values registered by op type with a decorator."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registration: ``value`` for ``op_types`` (empty: every op), its keywords in ``meta``."""

    name: str
    op_types: frozenset[str]
    value: T
    meta: Mapping[str, Any] = field(default_factory=dict)


class OpRegistry(Mapping[str, T]):
    """Values keyed by op type (a read-only ``Mapping``); with ``many``, use :meth:`matching`."""

    def __init__(self, kind: str, *, many: bool = False) -> None:
        self.kind = kind
        self.many = many
        self._entries: dict[str, Entry[T]] = {}  # name -> entry, registration order
        self._by_op: dict[str, list[Entry[T]]] = {}

    def register(self, *op_types: str, name: str | None = None, **meta: Any) -> Callable[[T], T]:
        """Decorator: register the decorated object for ``op_types`` (see :meth:`add`)."""

        def deco(value: T) -> T:
            self.add(value, *op_types, name=name, **meta)
            return value

        return deco

    def add(self, value: T, *op_types: str, name: str | None = None, **meta: Any) -> Entry[T]:
        """Register ``value`` for ``op_types``; ``ValueError`` when its name or op type is taken."""
        ops = frozenset(op_types)
        if not ops and not self.many:
            raise ValueError(f"a {self.kind} needs at least one op type")
        name = name if name is not None else ",".join(op_types)
        if name in self._entries:
            raise ValueError(
                f"{self.kind} {name!r} is already registered: extend it where it is defined"
            )
        taken = [] if self.many else sorted(t for t in ops if t in self._by_op)
        if taken:
            owner = self._by_op[taken[0]][0].name
            raise ValueError(
                f"op type {taken[0]} already has a {self.kind} ({owner!r}): "
                "unregister it first or extend that one"
            )
        entry = Entry(name, ops, value, dict(meta))
        self._entries[name] = entry
        for t in ops:
            self._by_op.setdefault(t, []).append(entry)
        return entry

    def unregister(self, name: str) -> Entry[T]:
        """Remove the entry ``name`` and return it; ``KeyError`` if none."""
        if name not in self._entries:
            raise KeyError(f"no {self.kind} named {name!r}")
        entry = self._entries.pop(name)
        for t in entry.op_types:
            self._by_op[t].remove(entry)
            if not self._by_op[t]:
                del self._by_op[t]
        return entry

    def __getitem__(self, op_type: str) -> T:
        if self.many:
            raise TypeError(f"{self.kind}s may share op types: use .matching({op_type!r})")
        return self._by_op[op_type][0].value

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_op)

    def __len__(self) -> int:
        return len(self._by_op)

    def __contains__(self, op_type: object) -> bool:
        return op_type in self._by_op

    def matching(self, op_type: str) -> list[Entry[T]]:
        """Entries that cover ``op_type`` (those with no op types too), in registration order."""
        return [e for e in self._entries.values() if not e.op_types or op_type in e.op_types]

    def entries(self) -> list[Entry[T]]:
        return list(self._entries.values())

    def entry(self, name: str) -> Entry[T]:
        return self._entries[name]

    @property
    def by_name(self) -> Mapping[str, T]:
        """Entry name -> value, in registration order (a snapshot)."""
        return {name: e.value for name, e in self._entries.items()}

    def __repr__(self) -> str:
        return f"OpRegistry({self.kind!r}, {len(self._entries)} entries, {len(self)} op types)"
