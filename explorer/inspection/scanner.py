"""What will break, and what is unsafe, before anything runs: ``explorer.scan(model)``.

Rules are registered per op type with :func:`rule` (a rule with no op types sees the whole graph;
the shipped rules live in ``explorer/inspection/scan_rules.py``)
and return :class:`Finding` s. The scan reads protobufs only (the top-level graph and the bodies
of library functions); nothing is imported or run. Rules shipped here:

=================  ========  ===================================================================
rule               severity  what
=================  ========  ===================================================================
unregistered-op    error     op types this TensorFlow does not register (known replacement named)
py-func            error     PyFunc/EagerPyFunc: Python code not in the file; unsafe
file-system        warning   each op opening a file (readers, datasets, tables, debug URLs,
                             Save/Restore not of the model's own Saver, ...) and its path,
                             when the path leaves the model folder or is a write; unsafe
asset-file         warning   an asset named with ``..``/an absolute path, a symlink out of the
                             folder, or not a regular file; unsafe
function-recursion error     a library function calling itself (TF would crash); unsafe
huge-tensor        error     Fill/Const/random ops of a constant shape over 4 GiB; unsafe
ref-variable       warning   reference variables (VariableV2): TF2 loading refuses them
v1-control-flow    warning   Switch/Merge/Enter/Exit/NextIteration (tf.cond/while_loop, v1)
queue              warning   queues and readers: session.run blocks without queue runners
stateful-random    warning   unseeded random ops on the inference path (info when init-only)
device-pin         warning   pins to a device type this machine lacks (info when present)
ref-edge           info      ops that take a reference-typed tensor (need resource variants)
=================  ========  ===================================================================

:func:`require_safe` raises :class:`~explorer.UnsafeModelError` for models holding the
unsafe ops; ``ModelSession`` calls it before importing a graph unless ``allow_unsafe=True``.
The Saver's own save/restore ops (fed by its filename tensor) are the checkpoint and are not
unsafe (see :mod:`explorer.inspection.file_doors`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from explorer.errors import UnsafeModelError
from explorer.inspection.findings import RULES, Finding, Findings, ScanContext

# ----------------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------------
# the registry
# ----------------------------------------------------------------------------------------------


"""Scan rules by name; each entry's ``op_types`` (empty: every node), ``value`` the rule function,
``meta["unsafe"]``."""


def _load_rules() -> None:
    from explorer.inspection import file_doors, memory_rules, scan_rules  # noqa: F401 (rules)


def scan(model: Any, rules: Iterable[str] | None = None) -> Findings:
    """Compatibility and safety findings for a model, before anything runs.

    Args:
        model: a :class:`~explorer.V1Model`, or a path to load.
        rules: only these rule names (default: every registered rule).

    Returns:
        :class:`Findings`, errors first.

    Raises:
        ValueError: a name in ``rules`` is not a registered rule.
    """
    if isinstance(model, (str, os.PathLike)):
        from explorer.loading.model import load

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


ALWAYS_REFUSED = frozenset({"function-recursion"})
"""Rules whose findings refuse a model even with ``allow_unsafe`` (running it kills the process)."""


def _has_library(model: Any) -> bool:
    return bool(model.graph_def.library.function)


def require_safe(model: Any, allow_unsafe: bool = False) -> None:
    """Raise :class:`UnsafeModelError` when the model holds file-system or Python-calling ops.

    Args:
        model: the :class:`~explorer.V1Model` about to be imported.
        allow_unsafe: the user trusts the file: only :data:`ALWAYS_REFUSED` findings (a
            self-recursive function, which crashes TensorFlow) still refuse it.
    """
    _load_rules()
    if allow_unsafe:  # trusted, but a graph that crashes TensorFlow is never run
        found = scan(model, rules=sorted(ALWAYS_REFUSED)).unsafe if _has_library(model) else []
        if found:
            raise UnsafeModelError(
                f"{model.path} cannot run even with allow_unsafe: {found[0].message}"
            )
        return
    unsafe = [r for r in RULES.entries() if r.meta["unsafe"]]
    unsafe_types = {t for r in unsafe for t in r.op_types}
    present = {n.op for n in model.graph_def.node} | {
        n.op for f in model.graph_def.library.function for n in f.node_def
    }
    everywhere = any(not r.op_types for r in unsafe)  # function-recursion sees every node
    if not everywhere and not unsafe_types & present:
        return
    findings = scan(model, rules=[r.name for r in unsafe]).unsafe
    if not findings:
        return
    nodes = [n for f in findings for n in f.nodes]
    shown = ", ".join(nodes[:5]) + (f" and {len(nodes) - 5} more" if len(nodes) > 5 else "")
    whats = sorted({f.message.split(": ")[0] for f in findings})
    what = "; ".join(whats[:3]) + (f"; and {len(whats) - 3} more" if len(whats) > 3 else "")
    raise UnsafeModelError(
        f"{model.path} holds ops that {what} ({shown}): run explorer.scan for details; pass "
        "allow_unsafe=True only if you trust this file"
    )
