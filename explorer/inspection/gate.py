"""The one admission gate :func:`admit`, passed by every path that imports or runs a graph; the
scan it runs (``explorer.scan(model)``: the registered rules on the protobufs, before anything
runs); the :class:`Problem` s ``inspect`` lists (what will fail when run or converted)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explorer.errors import ExplorerError, SessionError, UnsafeModelError
from explorer.graph.index import RunScope, union
from explorer.graph.specs import spec_tensors
from explorer.inspection.scan_rules import RULES, Finding, Findings, ScanContext
from explorer.inspection.suggestions import default_io  # its scan rules register on import
from explorer.loading import isolation
from explorer.loading.model import V1Model, as_model, model_run_scope
from explorer.loading.replacements import require_registered
from explorer.loading.validation import require_regular_assets

_SCOPED_RULES = frozenset({"queue"})  # besides the unsafe ones: harmless where nothing runs them
# Unsafe rules about what importing the graph does (whatever runs): never scoped.
IMPORT_TIME_RULES = frozenset({"function-recursion", "huge-tensor"})
ALWAYS_REFUSED = frozenset({"function-recursion"})  # refused even with allow_unsafe: a crash


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


def admit(
    model: V1Model,
    scope: RunScope | None = None,
    *,
    allow_unsafe: bool = False,
    restore: bool = True,
    initialize: bool = True,
) -> V1Model:
    """Admit ``model`` to run ``scope`` (``None``: anything) and return it, or raise why not."""
    _once(model, ("gate", "registered"), require_registered)
    _once(model, ("gate", "safe", scope, allow_unsafe), require_safe, allow_unsafe, scope)
    _once(model, ("gate", "assets"), require_regular_assets)
    key = ("gate", "preflight")
    everything = model.memo.get((*key, True, True), False)  # None: it passed
    if isolation.is_enabled() and everything is not None:
        preflight = isolation.preflight
        _once(model, (*key, restore, initialize), preflight, restore=restore, initialize=initialize)
    return model


def admit_import(model: V1Model) -> V1Model:
    """Admit ``model``'s graph to be imported without running anything (to read tensor specs)."""
    return admit(model, None, allow_unsafe=True, restore=False, initialize=False)


def _once(model: V1Model, key: Hashable, check: Callable[..., None], *args: Any, **kw: Any) -> None:
    """Run ``check(model, ...)`` once per ``key``; keep the verdict (a worker not started: none)."""
    if key in model.memo:
        if (refusal := model.memo[key]) is not None:
            raise refusal.with_traceback(None)
        return
    try:
        check(model, *args, **kw)
    except SessionError:
        raise
    except ExplorerError as e:
        model.memo[key] = e.with_traceback(None)
        raise
    model.memo[key] = None


@dataclass(frozen=True)
class Problem:
    """One thing that will fail: a one-line ``message`` with the fix, the names concerned."""

    kind: str
    severity: str
    message: str
    names: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "names": list(self.names)}


def no_checkpoint(model: V1Model) -> str:
    return (
        f"{model.path} has {len(model.variables)} variables but no checkpoint: for a SavedModel "
        "restore its variables/ folder; for a GraphDef, freeze it with its checkpoint or load the "
        ".meta file"
    )


def problems(model: V1Model) -> list[Problem]:
    """Every :class:`Problem` of a loaded ``model``, errors first."""
    out = []
    if model.variables and model.checkpoint_prefix is None:
        names = tuple(v.name for v in model.variables[:20])
        out.append(Problem("missing-variables", "error", no_checkpoint(model), names))
    kinds = {"unregistered-op": "unregistered-op", "device-pin": "absent-device"}
    for f in scan(model, list(kinds), scope=None):
        if f.severity != "info":
            out.append(Problem(kinds[f.rule], f.severity, f.message, f.nodes[:20]))
    if gone := sorted(p for p in model.assets.values() if not Path(p).exists()):
        more = " …" if len(gone) > 3 else ""
        message = (
            f"asset file(s) {', '.join(gone[:3])}{more} not found: tables initialised from them "
            "fail; restore the model's assets/ folder"
        )
        out.append(Problem("missing-asset", "error", message, tuple(gone[:20])))
    return sorted(out, key=lambda p: p.severity != "error")
