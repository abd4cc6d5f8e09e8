"""The plain state objects behind the widgets: logic without any front end."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from explorer.widgets._observable import Observable


class _Thing(Observable):
    FIELDS = ("a", "b")

    def __init__(self):
        super().__init__()
        self.a = 1
        self.b = np.zeros(2)


def test_observable_notifies_changed_fields_only():
    t, seen = _Thing(), []
    t.observe(lambda c: seen.append((c.name, c.old, c.new)), "a")
    t.a = 1  # equal: nobody is told
    t.a = 2
    t.other = 5  # not a field
    t.b = np.ones(2)  # arrays compare without a truth value; observed by nobody here
    assert seen == [("a", 1, 2)]
    everything = []
    t.observe(lambda c: everything.append(c.name))
    t.b = np.zeros(3)
    t.a = 3
    assert everything == ["b", "a"]
    assert len(t._observers) == 2


def test_state_modules_do_not_import_ipywidgets(mlp_paths):
    code = (
        "import sys, json, explorer\n"
        "from explorer.widgets import BrowserState, RunnerState, ConverterState, Selection\n"
        f"s = BrowserState({str(mlp_paths['frozen_pb'])!r}); s.query = 'probs'\n"
        "print(json.dumps({'results': s.results, 'ipywidgets': 'ipywidgets' in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res == {"results": ["probs"], "ipywidgets": False}


# -- BrowserState ---------------------------------------------------------------------------------


# -- Selection, RunnerState -----------------------------------------------------------------------


# -- ConverterState -------------------------------------------------------------------------------


def test_every_state_names_its_view_in_explorer_widgets():
    import explorer.widgets as views

    states = [getattr(views, n) for n in views.__all__ if n.endswith("State")]
    assert len(states) == 6
    for state in states:
        assert getattr(views, state.WIDGET).__name__ == state.WIDGET
