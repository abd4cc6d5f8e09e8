"""``import explorer`` stays cheap: no TensorFlow, no widgets, no matplotlib."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("tensorflow", "keras", "ipywidgets", "matplotlib", "numpy")


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_explorer_is_cheap():
    # what it imports, not how long it takes: the time is benchmarks/bench_startup.py's ratio
    res = _run(
        "import sys, json; import explorer, explorer.cli; "
        f"print(json.dumps({{'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))"
    )
    assert res["heavy"] == []


def test_cli_help_does_not_import_tensorflow():
    res = _run(
        "import sys, json, contextlib, io\n"
        "from explorer.cli import build_parser\n"
        "build_parser().format_help()\n"
        "print(json.dumps({'tf': 'tensorflow' in sys.modules}))"
    )
    assert res == {"tf": False}


# Submodules that import a heavy dependency when imported, and which ones. Every other submodule
# (the CLI verbs, the state objects, the catalog, the registries, ...) must import none of HEAVY.
HEAVY_AT_IMPORT = {
    "explorer.extend": {"numpy"},
    "explorer.examples.models": {"numpy"},
    "explorer.feeding.data.sources": {"numpy"},
    **{
        f"explorer.comparing.{m}": {"numpy"}
        for m in ("outputs", "parity_check", "divergence", "_reference_script", "latency")
    },
    "explorer.reporting.model_explorer": {"numpy"},  # view_graph(v2=) through v2_graph_def
    "explorer.examples.hub_modules": {"numpy"},
    "explorer.feeding.feeds": {"numpy"},
    "explorer.feeding.sampling": {"numpy"},
    "explorer.running.base": {"numpy"},
    "explorer.running.v1_runner": {"numpy"},
    **{  # a conversion's steps read feeds and sample inputs (feeding/)
        f"explorer.conversion.{m}": {"numpy"} for m in ("build", "v2_model", "onnx")
    },
    **{
        f"explorer.rewriting.{m}": {"numpy"}
        for m in ("api", "graph", "rules_layers", "rules_ops", "translate")
    },
    "explorer.rewriting.train_step": {"numpy"},
    "explorer.widgets._common": {"ipywidgets"},  # and anywidget, which imports ipywidgets
    "explorer.widgets.browse": {"ipywidgets"},
    "explorer.widgets.compare": {"ipywidgets"},
    "explorer.widgets.convert": {"ipywidgets"},
    "explorer.widgets.pick": {"ipywidgets"},
    "explorer.widgets.run": {"ipywidgets"},
    "explorer.widgets.wizard": {"ipywidgets"},
    "explorer.widgets.fleet": {"ipywidgets"},
    # its Layer subclass needs keras (and so TensorFlow) when the class is defined
    "explorer.conversion.keras_layer": {"tensorflow", "keras", "matplotlib", "numpy"},
}


def _submodules() -> list[str]:
    """Every module of the package (``__main__``, which runs the CLI, left out), by file."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "explorer"
    names = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_submodule_imports_only_what_it_declares():
    modules = _submodules()
    assert {"explorer.graph.registry", "explorer.cli.run", "explorer.widgets.wizard_state"} <= set(
        modules
    )
    assert set(HEAVY_AT_IMPORT) <= set(modules), "a declared module no longer exists"
    light = [m for m in modules if m not in HEAVY_AT_IMPORT]
    only = {
        h: sorted(m for m, deps in HEAVY_AT_IMPORT.items() if deps == {h})
        for h in ("numpy", "ipywidgets")
    }
    # Light modules first (nothing heavy may appear), then the heavy ones by what they pull in
    # (what earlier stages loaded stays allowed); last, every public name of explorer and
    # explorer.widgets resolves to its module.
    stages = [
        ("light", light, []),
        ("numpy", only["numpy"], ["numpy"]),
        ("ipywidgets", only["ipywidgets"], ["numpy", "ipywidgets"]),
        ("all", sorted(HEAVY_AT_IMPORT), sorted(set().union(*HEAVY_AT_IMPORT.values()))),
    ]
    res = _run(
        "import importlib, json, sys\n"
        f"heavy, stages, out = {HEAVY!r}, {stages!r}, {{}}\n"
        "for stage, mods, allowed in stages:\n"
        "    for m in mods:\n"
        "        importlib.import_module(m)\n"
        "    out[stage] = sorted(h for h in heavy if h in sys.modules and h not in allowed)\n"
        "import explorer, explorer.records, explorer.widgets\n"
        "missing = [n for p in (explorer, explorer.records, explorer.widgets) for n in p.__all__\n"
        "           if getattr(p, n, None) is None]\n"
        "print(json.dumps({'stages': out, 'missing': missing}))"
    )
    assert res["stages"] == {"light": [], "numpy": [], "ipywidgets": [], "all": []}
    assert res["missing"] == []


def test_public_names_the_readme_uses_are_exported():
    import importlib.util
    import re
    from pathlib import Path

    import explorer

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    used = set(re.findall(r"\bexplorer\.([A-Za-z_]\w*)", readme))
    not_found = sorted(
        n
        for n in used
        if n not in explorer.__all__ and importlib.util.find_spec(f"explorer.{n}") is None
    )
    assert used and not_found == []


def test_the_top_level_is_the_verbs_the_models_and_one_error():
    """About 20 names at the top (the verbs, the model and runner classes, the two objects parity
    takes: Sampled and Tolerance, one error); records, errors, extension points have namespaces."""
    import explorer
    import explorer.errors
    import explorer.records

    assert len(explorer.__all__) <= 24, explorer.__all__
    errors = [n for n in explorer.__all__ if n.endswith("Error")]
    assert errors == ["ExplorerError"]
    assert not set(explorer.__all__) & set(explorer.records.__all__)
    # the result types a README call returns are records
    assert {"ParitySummary", "Divergence", "OutputComparison", "Runner", "SparseValue"} <= set(
        explorer.records.__all__
    )
