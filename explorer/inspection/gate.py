"""The one admission gate :func:`admit`, passed by every path that imports or runs a graph."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from explorer.errors import ExplorerError, SessionError
from explorer.graph.run_scope import RunScope
from explorer.inspection.scanner import require_safe
from explorer.loading import isolation
from explorer.loading.files import require_regular_assets
from explorer.loading.model import V1Model
from explorer.loading.op_libraries import require_registered


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
