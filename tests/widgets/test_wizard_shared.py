"""Issue 25 "Done when": the wizard goes end to end on every shared model the CLI migrates, the
way a person drives it (traitlets set, buttons clicked): browse (a search finds an op of the
choice, a row click selects it), pick (the suggested tensors: what ``migrate`` proves), run,
convert (to a tmp folder) and load it back, compare on one batch, first divergence, save the run;
each tab marked done, the header naming the model, and every verdict that does not pass explained
in one line in the widget (the eval SavedModel, which ``migrate`` cannot prove, shows its cause)."""

from __future__ import annotations

import html
import re
import time

import pytest

from explorer.graph.names import op_name
from explorer.widgets import MigrationWizard
from tests.shared_models import Proves, Unproved, params

CODE_SPEAK = re.compile(r"Traceback|Error\b|Exception\b|--[a-z]|\w\(")


def _plain(line: str) -> None:
    """A line a person reads: one line, no traceback, class name, CLI flag or API call."""
    assert line and "\n" not in line and not CODE_SPEAK.search(line), line


def _text(value: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", value))


def _through(shared, tmp_path) -> MigrationWizard:
    """Browse, pick, run, convert, load back and compare, as clicked; each step's result there."""
    view = MigrationWizard(str(shared.path), out_dir=str(tmp_path / "tf2"))
    s = view.state
    assert s is not None, view.status.text
    head = html.unescape(view.header.value)
    assert f"{shared.name} · {shared.format} · " in head and " nodes · " in head
    assert f"{s.picker.signature or 'custom'}: " in head
    # 1. browse: search the op of the first output chosen, click its row, use it as an output
    assert s.picker.validation, s.picker.message  # 2. pick: the suggestion is valid as it is
    op = op_name(s.picker.outputs[0])
    view.browser.search.value = op
    assert op in s.browser.results and view.browser.search_status.kind != "error"
    view.browser.table.click(op)
    assert s.browser.selected == op and op in view.browser.detail.value
    before = s.picker.value
    view.as_output.click()  # already an output: the choice stays as it was
    assert view.status.kind == "ok" and s.picker.value == before
    # 3. run on the smallest batch
    view.runner.run_button.click()
    assert view.runner.status.kind != "error", view.runner.status.text
    assert s.runner.outputs
    # 4. convert to a tmp folder, then load it back
    view.converter.convert_button.click()
    assert view.converter.status.kind == "ok", view.converter.status.text
    assert s.converter.saved == tmp_path / "tf2"
    view.converter.check_button.click()
    assert s.converter.check, view.converter.status.text
    # 5. compare on one batch: a verdict that does not pass names each output's cause
    view.parity.batches.value = 1
    view.parity.run_button.click()
    summary = s.parity.summary
    assert summary is not None, view.parity.status.text
    assert view.parity.status.text == f"parity: {summary.verdict}"
    verdict = _text(view.parity.verdict.value)
    assert summary.verdict in verdict
    for report in summary.reports.values():
        for key, rec in report.outputs.items():
            if not rec.passed:
                _plain(rec.reason)
                assert f"{key}: {rec.reason}" in verdict, f"{key}: its cause is not shown"
    return view


@pytest.mark.slow
@pytest.mark.parametrize("shared", params(lambda m: isinstance(m.migrate, Proves)))
def test_wizard_end_to_end_on_a_shared_model(shared, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default output folders: the working folder
    start = time.perf_counter()
    view = _through(shared, tmp_path)
    s = view.state
    proved = shared.migrate.outputs[s.picker.signature or "serving_default"]
    assert sorted(s.picker.outputs) == sorted(proved)  # the wizard proves what migrate does
    assert all(r.passed for r in s.converter.check.values())
    assert "agree" in view.converter.status.text and s.parity.summary.passed
    view.save_button.click()
    assert view.parity.status.kind == "ok" and s.saved_run.parent == tmp_path
    assert s.marks == ("done",) * 5, s.marks
    assert all(t.endswith("✔") for t in view.tabs.titles), view.tabs.titles
    view.code.button.click()
    assert "# no code yet" not in view.code.pre.value
    view.parity.divergence_button.click()
    line = view.parity.status.text
    s.runner.close()
    print(f"\n{shared.name}: {s.parity.summary.verdict}, {time.perf_counter() - start:.1f} s")
    assert view.parity.status.kind == "ok" and line == s.parity.divergence.verdict
    _plain(line)


@pytest.mark.slow
@pytest.mark.parametrize("shared", params(lambda m: isinstance(m.migrate, Unproved)))
def test_wizard_explains_a_verdict_migrate_cannot_prove(shared, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    view = _through(shared, tmp_path)
    s = view.state
    summary, want = s.parity.summary, shared.migrate
    assert summary.status == want.status and want.words in _text(view.parity.verdict.value)
    assert view.parity.pin_button.layout.display == "none"  # no seed orders a read and a write
    (report,) = summary.reports.values()
    assert {k for k, r in report.outputs.items() if not r.passed} == set(want.outputs)
    check = view.converter.status  # the load-back says why it does not agree, too
    assert check.kind == "error" and want.words in check.text and "\n" not in check.text
    assert s.marks == ("done", "done", "done", "done", "failed"), s.marks
    assert view.tabs.titles[4] == "5. compare ✘"
    s.runner.close()
    print(f"\n{shared.name}: {summary.verdict}, {time.perf_counter() - start:.1f} s")
