"""The package layout is the flow: subpackages in flow order, each importing only steps to its left.

Read from the source with ``ast`` (nothing is imported): the imports of every module, at module
level and inside functions, give a graph over the subpackages of ``explorer``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "explorer"

# The flow, left to right. A step may import any step to its left (and the shared top-level
# modules: errors, _tf, _lazy); the views (widgets, cli) may import every step.
FLOW = (
    "graph",
    "loading",
    "inspection",
    "feeding",
    "running",
    "conversion",
    "rewriting",
    "comparing",
    "reporting",
    "examples",
    "widgets",
    "cli",
)
SHARED = {"errors", "_tf", "_lazy", "__init__", "__main__", "extend", "keras_bridge"}

# The one import against the flow that is allowed, through a function-level import: the
# ``V1Model.session()`` / ``V1Model.catalog()`` / ``variables_dict()`` conveniences of the loaded
# model reach into the steps that use it.
ALLOWED_BACK_EDGES = {
    ("loading", "running"),
    ("loading", "inspection"),
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level) for every ``explorer`` import of a file."""
    tree = ast.parse(path.read_text())
    top = {id(n) for n in tree.body}
    me = _module(path)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = me.split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            names = [name] + [f"{name}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for n in names:
            if n.startswith("explorer."):
                out.append((n, id(node) in top))
    return out


def _step(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _edges() -> dict[tuple[str, str], list[str]]:
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PKG.rglob("*.py")):
        src = _step(_module(path))
        for target, at_top in _imports(path):
            dst = _step(target)
            if dst == src or dst not in FLOW or src not in FLOW:
                continue
            edges.setdefault((src, dst), []).append(
                f"{path.relative_to(ROOT)} -> {target}{'' if at_top else ' (in a function)'}"
            )
    return edges


def test_steps_import_only_steps_to_their_left():
    back = {
        edge: where
        for edge, where in _edges().items()
        if FLOW.index(edge[1]) > FLOW.index(edge[0]) and edge not in ALLOWED_BACK_EDGES
    }
    assert back == {}


def test_the_allowed_back_edges_are_function_level_conveniences_only():
    for edge in ALLOWED_BACK_EDGES:
        for where in _edges().get(edge, []):
            assert where.startswith("explorer/loading/model.py") and "(in a function)" in where


def test_no_module_level_import_cycle():
    graph: dict[str, set[str]] = {}
    for path in sorted(PKG.rglob("*.py")):
        me = _module(path)
        for target, at_top in _imports(path):
            if at_top:
                graph.setdefault(me, set()).add(target)
    known = {_module(p) for p in PKG.rglob("*.py")}
    graph = {m: {t for t in ts if t in known and t != m} for m, ts in graph.items()}
    seen: dict[str, int] = {}  # 1: on the stack, 2: done
    cycles: list[list[str]] = []

    def visit(m: str, stack: list[str]) -> None:
        seen[m] = 1
        for t in sorted(graph.get(m, ())):
            if seen.get(t) == 1:
                cycles.append([*stack[stack.index(t) :], t])
            elif t not in seen:
                visit(t, [*stack, t])
        seen[m] = 2

    for m in sorted(graph):
        if m not in seen:
            visit(m, [m])
    assert cycles == []


def test_at_most_eight_modules_at_the_top_and_none_over_600_lines():
    top = sorted(p.name for p in PKG.glob("*.py"))
    assert len(top) <= 8, top
    long = {
        str(p.relative_to(ROOT)): n
        for p in PKG.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 600
    }
    assert long == {}


def test_every_subpackage_says_what_its_step_takes_and_gives():
    for step in FLOW:
        doc = ast.get_docstring(ast.parse((PKG / step / "__init__.py").read_text()))
        assert doc, f"explorer/{step}/__init__.py has no docstring"
        if step not in ("examples", "widgets", "cli"):
            assert "Takes" in doc and "gives" in doc, step


def test_tests_mirror_the_package():
    """Every module of a step has a test file of its name in the step's test folder."""
    missing = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if len(rel.parts) < 2 or rel.name.startswith("_") or rel.parts[0] == "cli":
            continue
        test = ROOT / "tests" / rel.parent / f"test_{rel.name}"
        if not test.exists():
            missing.append(str(rel))
    assert missing == []


def test_cli_verbs_have_their_test_file():
    verbs = [p.stem for p in (PKG / "cli").glob("*.py") if not p.name.startswith("_")]
    missing = [v for v in verbs if not (ROOT / "tests" / "cli" / f"test_{v}.py").exists()]
    assert missing == []


def test_extend_is_the_one_home_of_the_extension_decorators():
    from explorer import extend
    from explorer.conversion.rewrite import REWRITES
    from explorer.feeding.index_ranges import INDEX_RULES
    from explorer.feeding.tf_example import SAMPLE_RULES
    from explorer.inspection.findings import RULES
    from explorer.loading.replacements import BUILTIN_REPLACEMENTS

    assert extend.rewrite == REWRITES.register and extend.sample_rule == SAMPLE_RULES.register
    assert extend.index_rule == INDEX_RULES.register
    assert extend.builtin_replacement == BUILTIN_REPLACEMENTS.register
    assert extend.SCAN_RULES is RULES and all(hasattr(extend, n) for n in extend.__all__)
