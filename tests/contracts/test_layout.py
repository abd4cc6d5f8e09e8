"""The package layout is the flow: subpackages in flow order, each importing only steps to its left,
and no import circle anywhere, not even through an import inside a function.

Read from the source with ``ast`` (nothing is imported): every ``import`` of every module, at module
level and inside functions (those under ``if TYPE_CHECKING:`` are hints, never run, and left out),
gives a graph over the modules of ``explorer``. A name taken from a lazy namespace (``explorer``,
``explorer.records``, ``explorer.widgets``) counts as an import of the module that defines it.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "explorer"

# The flow, left to right. A step may import any step to its left (and the shared modules BASE);
# the views (widgets, cli) may import every step.
FLOW = (
    "graph",
    "loading",
    "inspection",
    "feeding",
    "running",
    "conversion",
    "comparing",
    "rewriting",
    "reporting",
    "examples",
    "fleets",
    "widgets",
    "cli",
)
BASE = {
    "explorer.errors",
    "explorer._tf",
    "explorer._lazy",
    "explorer.output_policy",
}  # below steps
# What a function may import lazily: only what is heavy to import. An explorer module is heavy when
# importing it imports one of these (at its top, or through the explorer modules it imports there).
HEAVY = {"tensorflow", "keras", "tf_keras", "jax", "matplotlib", "ipywidgets", "anywidget"}
HEAVY |= {"tensorflow_hub", "IPython"}
# numpy too: `import explorer`, the CLI and the widget state objects stay numpy-free (test_imports:
# `tf1-explorer inspect`, `scan`, `suggest` and `--help` start fast, bench_startup), so they reach
# steps that compute on arrays from inside the verb or method that needs them.
HEAVY |= {"numpy"}


@dataclass(frozen=True)
class Import:
    """One import statement's edge: ``source`` imports module ``target`` (and ``names`` of it)."""

    source: str
    target: str
    names: tuple[str, ...]
    path: str
    line: int
    in_function: bool

    def __str__(self) -> str:
        where = ", in a function" if self.in_function else ""
        return f"{self.source} -> {self.target} ({self.path}:{self.line}{where})"


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(tree: ast.Module) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement that can run, with whether it sits inside a function."""
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append((node, in_function))
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            children: list[ast.AST] = list(node.orelse)  # the body is for type checkers only
        else:
            children = list(ast.iter_child_nodes(node))
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
        for child in children:
            visit(child, inner)

    visit(tree, False)
    return found


@cache
def _lazy_homes(module: str) -> dict[str, str]:
    """Public name -> defining module of a lazy namespace (its ``lazy_exports`` call), else {}."""
    path = _modules().get(module)
    if path is None:
        return {}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "lazy_exports":
            homes = ast.literal_eval(node.args[1])
            return {n: f"explorer.{m}" for m, names in homes.items() for n in names}
    return {}


@cache
def _imports(module: str) -> tuple[Import, ...]:
    """The edges of every runnable ``explorer`` import of ``module``, resolved to modules: a
    submodule named in ``from pkg import sub`` is the target, a lazy name its defining module."""
    path = _modules()[module]
    is_package = path.name == "__init__.py"
    out = []
    for node, in_function in _statements(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            pairs = [(a.name, ()) for a in node.names]
        else:
            base = node.module or ""
            if node.level:
                up = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join([*up, *([base] if base else [])])
            pairs = []
            for a in node.names:
                sub = f"{base}.{a.name}"
                if sub in _modules():
                    pairs.append((sub, ()))
                else:
                    pairs.append((_lazy_homes(base).get(a.name, base), (a.name,)))
            merged: dict[str, tuple[str, ...]] = {}
            for target, names in pairs:
                merged[target] = merged.get(target, ()) + names
            pairs = list(merged.items())
        rel = str(path.relative_to(ROOT))
        for target, names in pairs:
            if target == "explorer" or target.startswith("explorer."):
                out.append(Import(module, target, names, rel, node.lineno, in_function))
    return tuple(out)


def _graph() -> dict[str, list[Import]]:
    """Module -> its import edges to other explorer modules. Importing ``a.b.c`` from outside
    package ``a.b`` runs ``a/b/__init__.py`` first: that edge is added too."""
    known = _modules()
    graph: dict[str, list[Import]] = {m: [] for m in known}
    for m in known:
        for imp in _imports(m):
            parts = imp.target.split(".")
            for k in range(2, len(parts)):
                parent = ".".join(parts[:k])
                if parent in known and not m.startswith(parent + "."):
                    graph[m].append(Import(m, parent, (), imp.path, imp.line, imp.in_function))
            if imp.target in known and imp.target != m:
                graph[m].append(imp)
    return graph


def _strongly_connected(graph: dict[str, list[Import]]) -> list[list[str]]:
    """Tarjan's components with more than one module (each holds at least one circle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for imp in graph[v]:
            w = imp.target
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def _path(graph: dict[str, list[Import]], start: str, goal: str, within: set[str]) -> list[Import]:
    """The shortest chain of imports from ``start`` to ``goal`` inside ``within``."""
    came: dict[str, Import | None] = {start: None}
    todo = deque([start])
    while todo:
        v = todo.popleft()
        if v == goal:
            break
        for imp in graph[v]:
            if imp.target in within and imp.target not in came:
                came[imp.target] = imp
                todo.append(imp.target)
    chain = []
    while (imp := came[goal]) is not None:
        chain.append(imp)
        goal = imp.source
    return chain[::-1]


def import_circles() -> list[str]:
    """Every import circle, one line each: for each edge that closes one, the shortest circle
    through it (so every edge of every circle is shown, with its file, line and kind)."""
    graph = _graph()
    lines: list[str] = []
    for part in _strongly_connected(graph):
        members = set(part)
        seen: set[frozenset[tuple[str, str]]] = set()
        for v in part:
            for imp in graph[v]:
                if imp.target not in members:
                    continue
                circle = [imp, *_path(graph, imp.target, v, members)]
                key = frozenset((i.source, i.target) for i in circle)
                if key not in seen:
                    seen.add(key)
                    lines.append(" ; ".join(map(str, circle)))
    return lines


def test_the_reader_sees_imports_in_functions_and_skips_type_checking_blocks():
    code = "import a\nif TYPE_CHECKING:\n    import b\nelse:\n    import c\n"
    code += "def f():\n    import d\nclass K:\n    import e\n"
    found = {(node.names[0].name, inner) for node, inner in _statements(ast.parse(code))}
    assert found == {("a", False), ("c", False), ("d", True), ("e", False)}
    assert _lazy_homes("explorer")["load"] == "explorer.loading.model"
    assert _lazy_homes("explorer.records")["ParityReport"] == "explorer.comparing.records"


def test_no_import_circle_not_even_through_a_function():
    circles = import_circles()
    assert circles == [], f"{len(circles)} import circle(s):\n" + "\n".join(circles)


def _step(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in FLOW else module


def test_steps_import_only_steps_to_their_left():
    """A step imports only the shared base and the steps to its left; the namespaces over all
    steps (``explorer``, ``explorer.records``, ``explorer.extend``) are for the views only."""
    back = []
    for m in _modules():
        for imp in _imports(m):
            src, dst = _step(imp.source), _step(imp.target)
            if src not in FLOW or dst in BASE or src == dst:
                continue
            views = ("widgets", "cli")
            if src not in views and (dst not in FLOW or FLOW.index(dst) > FLOW.index(src)):
                back.append(str(imp))
    assert back == [], f"{len(back)} import(s) against the flow:\n" + "\n".join(back)


def _package(module: str) -> str:
    """The package a module serves: itself for a package, else its parent."""
    return module if _modules()[module].name == "__init__.py" else module.rsplit(".", 1)[0]


def test_no_private_name_imported_from_another_module():
    """``_name`` belongs to its module: no other module imports it. A private module (such as
    ``widgets._common``) serves its own package only; ``explorer._tf`` and ``_lazy`` serve all."""
    bad = []
    for m in _modules():
        for imp in _imports(m):
            private = [n for n in imp.names if n.startswith("_") and not n.startswith("__")]
            if private and imp.target != m:
                bad.append(f"{imp}: {', '.join(private)}")
            owner, _, last = imp.target.rpartition(".")
            mine = (_package(m) + ".").startswith(owner + ".")
            if not imp.names and last.startswith("_") and imp.target in _modules() and not mine:
                bad.append(f"{imp}: a module private to {owner}")
    assert bad == [], f"{len(bad)} private import(s) across modules:\n" + "\n".join(bad)


@cache
def _heavy(module: str) -> bool:
    """Whether importing ``module`` imports a HEAVY library (at its top, or through the explorer
    modules it imports at its top)."""
    tree = ast.parse(_modules()[module].read_text())
    for node, in_function in _statements(tree):
        if in_function:
            continue
        if isinstance(node, ast.ImportFrom) and node.level:
            continue
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
        if any((n or "").split(".")[0] in HEAVY for n in names):
            return True
    return any(
        not imp.in_function
        and imp.target in _modules()
        and imp.target != module
        and _heavy(imp.target)
        for imp in _imports(module)
    )


def test_functions_import_only_heavy_explorer_modules():
    """An explorer import inside a function is allowed only where the module it imports is heavy
    (imports TensorFlow, Keras, JAX, matplotlib or ipywidgets): everything else at the top.

    No allowlist. Two imports by name are not statements and not seen here, both on purpose:
    ``explorer.cli.build_parser`` imports each verb's module (``import explorer.cli`` stays
    cheap), and a widget state builds its view through :mod:`explorer.widgets` (the view imports
    the state, so the state cannot import the view)."""
    lazy = [
        str(imp)
        for m in _modules()
        for imp in _imports(m)
        if imp.in_function and imp.target in _modules() and not _heavy(imp.target)
    ]
    assert lazy == [], f"{len(lazy)} function-level import(s) to move to the top:\n" + "\n".join(
        lazy
    )


def test_the_package_is_imported_by_name_not_whole():
    """No module does ``import explorer`` and reads names off it (an edge no test would see)."""
    whole = [
        str(i) for m in _modules() for i in _imports(m) if i.target == "explorer" and not i.names
    ]
    assert whole == []


def test_at_most_eight_modules_at_the_top():
    """The top level holds the verbs, records, errors and extension points, not steps. (No cap on
    a module's length: a module is as long as its concept needs.)"""
    top = sorted(p.name for p in PKG.glob("*.py"))
    assert len(top) <= 8, top


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
    from explorer.feeding.sampling import SAMPLE_RULES
    from explorer.feeding.shape_inference import INDEX_RULES
    from explorer.inspection.scan_rules import RULES
    from explorer.loading.replacements import BUILTIN_REPLACEMENTS

    assert extend.rewrite == REWRITES.register and extend.sample_rule == SAMPLE_RULES.register
    assert extend.index_rule == INDEX_RULES.register
    assert extend.builtin_replacement == BUILTIN_REPLACEMENTS.register
    assert extend.SCAN_RULES is RULES and all(hasattr(extend, n) for n in extend.__all__)
