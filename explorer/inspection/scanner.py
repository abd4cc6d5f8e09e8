"""``explorer.scan(model)``: the registered rules on the protobufs, before anything runs."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping

from explorer.errors import ExplorerError, UnsafeModelError
from explorer.graph.index import RunScope, union
from explorer.graph.specs import TensorSpec
from explorer.inspection.scan_rules import RULES, Finding, Findings, ScanContext
from explorer.inspection.suggestions import default_io  # its scan rules register on import
from explorer.loading.model import V1Model, as_model, model_run_scope

_SCOPED_RULES = frozenset({"queue"})  # besides the unsafe ones: harmless where nothing runs them
# Unsafe rules about what importing the graph does (whatever runs): never scoped.
IMPORT_TIME_RULES = frozenset({"function-recursion", "huge-tensor"})
ALWAYS_REFUSED = frozenset({"function-recursion"})  # refused even with allow_unsafe: a crash


def spec_tensors(specs: Mapping[str, TensorSpec]) -> list[str]:
    """The graph tensors of ``specs`` (a sparse spec's components), in order."""
    return [c for s in specs.values() for c in (s.components or (s.name,)) if c]


def default_scope(model: V1Model) -> RunScope | None:
    """What runs by default: every signature, or the default io; ``None``: no such choice."""
    try:
        if model.signatures:
            scopes = (
                model_run_scope(model, spec_tensors(s.outputs), spec_tensors(s.inputs), "")
                for s in model.signatures.values()
            )
            return union(scopes, "the signatures")
        inputs, outputs = default_io(model)
        return model_run_scope(model, outputs, inputs, what=f"{outputs[0]} (the top suggestion)")
    except ExplorerError:
        return None


def scan(
    model: V1Model | str | os.PathLike[str],
    rules: Iterable[str] | None = None,
    scope: RunScope | str | None = "default",
) -> Findings:
    """Compatibility and safety findings (unsafe ops outside ``scope``: info), errors first."""
    model = as_model(model)
    if isinstance(scope, str):
        scope = default_scope(model)
    ctx = ScanContext(model, scope)
    wanted = set(rules) if rules is not None else None
    if unknown := sorted((wanted or set()) - set(RULES.by_name)):
        raise ValueError(
            f"unknown scan rule {', '.join(unknown)}: choose from "
            f"{', '.join(sorted(RULES.by_name))}"
        )
    found: list[Finding] = []
    for r in RULES.entries():
        if wanted is not None and r.name not in wanted:
            continue
        nodes = ctx.nodes(r.op_types)
        scoped = r.meta.get("unsafe") or r.name in _SCOPED_RULES
        if scope is not None and scoped and r.name not in IMPORT_TIME_RULES:
            if on := [n for n in nodes if n.name in scope]:
                found.extend(r.value(ctx, on))
            if off := [n for n in nodes if n.name not in scope]:
                why, info = f"not run for {scope.what}", {"severity": "info", "unsafe": False}
                found.extend(
                    dataclasses.replace(f, **info, message=f"{why}: {f.message}")
                    for f in r.value(ctx, off)
                )
        elif nodes:
            found.extend(r.value(ctx, nodes))
    return Findings(found, source=ctx.path)


def require_safe(model: V1Model, allow_unsafe: bool = False, scope: RunScope | None = None) -> None:
    """Raise ``UnsafeModelError`` when unsafe ops will run in ``scope`` (``None``: all)."""
    if allow_unsafe:  # trusted, but a graph that crashes TensorFlow is never run
        if found := scan(model, sorted(ALWAYS_REFUSED), scope=None).unsafe:
            raise UnsafeModelError(
                f"{model.path} cannot run even with allow_unsafe: {found[0].message}"
            )
        return
    unsafe = [r.name for r in RULES.entries() if r.meta.get("unsafe")]
    if not (findings := scan(model, rules=unsafe, scope=scope).unsafe):
        return
    nodes = [n for f in findings for n in f.nodes]
    shown = ", ".join(nodes[:5]) + (f" and {len(nodes) - 5} more" if len(nodes) > 5 else "")
    whats = sorted({f.message.split(": ")[0] for f in findings})
    what = "; ".join(whats[:3]) + (f"; and {len(whats) - 3} more" if len(whats) > 3 else "")
    where = f" on the path of {scope.what}" if scope is not None else ""
    raise UnsafeModelError(
        f"{model.path} holds ops that {what} ({shown}){where}: run explorer.scan for details; "
        "pass allow_unsafe=True only if you trust this file"
    )
