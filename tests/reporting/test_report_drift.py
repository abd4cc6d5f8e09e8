"""The parity report's own sections for TensorFlow's drift from a recorded reference (apart from
the conversion's parity) and for which proven artifact to serve (migrate's latency table)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import explorer
from explorer.comparing.latency import latency_table
from explorer.reporting import html as report
from explorer.running.v1_runner import V1Runner
from tests.comparing.test_reference import tamper


@pytest.fixture(scope="module")
def drifted(mlp_paths, tmp_path_factory):
    """Parity of the MLP against its reference whose ``probs`` were moved after recording (what
    an older TensorFlow could have given), and a latency table of the v1 session and the v2."""
    folder = explorer.reference(
        mlp_paths["frozen_pb"], tmp_path_factory.mktemp("ref") / "r", explorer.Sampled(batches=1)
    )
    res = subprocess.run([sys.executable, str(folder / "reference.py")], capture_output=True)
    assert res.returncode == 0, res.stderr[-2000:]
    tamper(folder / "reference.npz", "t0.b0.o0", lambda a: a + 0.5)
    model = explorer.load(mlp_paths["frozen_pb"])
    v2 = explorer.convert(model)
    summary = explorer.parity(model, v2, reference=folder / "reference.npz")
    r1 = V1Runner(model)
    feeds = {b: r1.sample(batch=b) for b in (1, 8)}
    runners = {"v1 session": r1, "TF2 SavedModel": explorer.V2Runner(v2)}
    table = latency_table(runners, feeds, warmup=1, rounds=(3, 5), seconds=0.01)
    return summary, table


def test_the_report_separates_tensorflows_drift_and_says_which_artifact_to_serve(drifted, tmp_path):
    summary, table = drifted
    rep = summary["serving_default"]
    moved = [k for k, d in rep.reference["drift"].items() if d["status"] == "failed"]
    assert len(moved) == 1 and not rep.outputs[moved[0]].passed  # both sides see the moved one
    path = report.write_html(tmp_path / "r.html", summary, extra={"latency": table}, plots=False)
    text = path.read_text()
    drift = text.split("<h2>TensorFlow's drift from the reference</h2>")[1].split("<h2>")[0]
    assert "A difference here is TensorFlow's, not the conversion's" in drift
    assert f"Recorded by TensorFlow {rep.reference['tf_version']}, Python " in drift
    assert f'<td class="k">{moved[0]} <small>(' in drift
    assert '<span class="failed">failed</span></td><td>0.5</td>' in drift
    serve = text.split("<h2>Which artifact to serve</h2>")[1]
    assert "<b>Serve TF2 SavedModel: the fastest proven artifact at batch 1 (" in serve
    assert "; at batch 8: " in serve and "x the v1 session)" in serve
    assert serve.count("<tr>") == 3 and "batch 8 examples/s" in serve
    assert "<pre>" not in serve.split("</table>")[0]  # a table, not the JSON dump
    embedded = report.read_embedded_json(path)
    assert embedded["extra"]["latency"] == table
    assert embedded["which_to_serve"] == report.serve_line(table)
    ref = embedded["signatures"]["serving_default"]["reference"]
    assert ref["drift"][moved[0]]["status"] == "failed"


def test_serve_line_and_rows_name_errors_and_a_missing_baseline():
    table = {
        "artifacts": {
            "v1 session": {"1": {"ms": 2.0, "examples_per_second": 500.0, "rounds": 5}},
            "ONNX Runtime": {"1": {"ms": 0.5, "examples_per_second": 2000.0, "rounds": 5}},
            "TF2 SavedModel": {"1": {"error": "signature 'x<y>' failed"}},
        }
    }
    assert report.serve_line(table) == (
        "Serve ONNX Runtime: the fastest proven artifact at batch 1 (0.500 ms, 0.25x the v1 "
        "session)"
    )
    header, rows = report.latency_rows(table)
    assert header == ["artifact", "batch 1 ms", "batch 1 examples/s", "batch 1 × v1"]
    assert rows[1] == ["ONNX Runtime", "0.500", "2,000", "0.25"]
    assert rows[2] == ["TF2 SavedModel", "signature 'x<y>' failed", "", ""]
    assert "x&lt;y&gt;" in "".join(report.latency_html(table))
    assert report.serve_line({"artifacts": {"v1 session": table["artifacts"]["v1 session"]}}) == (
        "Nothing to serve: no proven artifact was timed"
    )
