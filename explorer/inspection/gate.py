"""The one admission gate :func:`admit`, passed by every path that imports or runs a graph, and
the :class:`Problem` s ``inspect`` lists (what will fail when the model is run or converted)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from explorer.errors import ExplorerError, SessionError
from explorer.graph.index import RunScope
from explorer.inspection.scanner import require_safe, scan
from explorer.loading import isolation
from explorer.loading.model import V1Model
from explorer.loading.replacements import require_registered
from explorer.loading.validation import require_regular_assets


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
