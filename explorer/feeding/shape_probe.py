"""Constraints deep in the graph: :func:`probe` imports it with each free fed dim set to a distinct
prime (1009, 1013, ...); an import error ``... but are 1009 and 128 ...`` binds that dim."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_ROUNDS = 8

_EQUAL = re.compile(r"but are (\d+) and (\d+)")
_NODE = re.compile(r"for '\{\{node ([^}]+)\}\} = (\w+)")
_INPUT_SHAPES = re.compile(r"with input shapes: (.*?)\.?$")


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
    """What probing found: ``fixed`` (op, axis) -> (size, reason); ``ties`` (op, axis) -> (the
    (op, axis) it must equal, reason); ``graph`` the graph of the last import that succeeded
    (probe sizes in it); ``rounds`` imports made; ``stopped`` why probing ended early."""

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
    """Bind the free (``None``) dims of ``shapes`` (placeholder op -> shape) that the graph fixes
    or ties. ``import_graph(op -> shape)`` imports the graph, raising ``ValueError`` (TensorFlow's
    shape error) when it does not; ``avoid``: sizes already in the graph, never probe sizes;
    ``describe_origin(node, size)``: where a fixed size comes from; ``scales``: (op, axis) ->
    a factor the dim must be a multiple of (the probe size is the prime times it). Nothing is
    fixed when the graph imports with the probe sizes."""
    free = [(op, i) for op, s in shapes.items() for i, d in enumerate(s) if d is None]
    result = ProbeResult()
    if not free:
        return result
    scales = scales or {}
    primes = _primes(1009, len(free), set(avoid or ()))
    sizes = {k: p * max(1, scales.get(k, 1)) for k, p in zip(free, primes)}
    for _ in range(MAX_ROUNDS):
        result.rounds += 1
        current = {
            op: _with(s, op, {k: (v, "") for k, v in sizes.items()}) for op, s in shapes.items()
        }
        try:
            result.graph = import_graph(current)
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
            probe_size = sizes[key]
            for k, v in list(sizes.items()):  # tied dims share the binding
                if v == probe_size:
                    result.fixed[k] = (size, reason)
                    del sizes[k]
            shapes = {op: _with(s, op, result.fixed) for op, s in shapes.items()}
            if not sizes:
                result.graph = None
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
    """``text`` with the probe sizes shown as ``?`` (they are not sizes the graph has)."""
    return re.sub(r"\d+", lambda m: "?" if int(m.group()) in probes else m.group(), text)


def _with(
    shape: tuple[int | None, ...], op: str, fixed: Mapping[tuple[str, int], tuple[int, str]]
) -> tuple[int | None, ...]:
    return tuple(fixed[(op, i)][0] if (op, i) in fixed else d for i, d in enumerate(shape))
