"""The model zoo (``tests/model_builders``): every realistic TF1 model class migrates, with proof.

The zoo is built once per test session in one child process (TF1 global state, tf_keras) and
migrated once per model through the CLI; a fresh Python process then loads every converted folder
with plain ``tf.saved_model.load`` (no explorer) and reproduces the v1 outputs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from explorer.inspection.catalog import Catalog
from explorer.running.session import ModelSession
from tests.helpers import run_migrate
from tests.model_builders.zoo import ZOO_MODELS, build_zoo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def zoo(tmp_path_factory) -> dict[str, Path]:
    """Every zoo model, built in one child process: name -> path for explorer.load."""
    return build_zoo(tmp_path_factory.mktemp("zoo"))


@pytest.fixture(scope="module")
def migrated(zoo, tmp_path_factory) -> dict[str, tuple[int, dict, Path]]:
    """``tf1-explorer migrate MODEL OUT --json`` on every zoo model: name -> (exit, JSON, OUT)."""
    root = tmp_path_factory.mktemp("zoo_migrated")
    out = {}
    for name, path in zoo.items():
        rc, report, _ = run_migrate(path, root / name, "--batch-size", "4")
        out[name] = (rc, report, root / name)
    return out


def test_zoo_builds_every_model_in_its_format(zoo):
    assert set(zoo) == set(ZOO_MODELS)
    assert (zoo["cnn_bn_checkpoint"].suffix, zoo["cnn_bn_frozen"].suffix) == (".meta", ".pb")
    assert (zoo["cond_while"] / "saved_model.pb").is_file()
    # partitioned: sharded checkpoint, two data shards
    assert len(list(zoo["partitioned"].parent.glob("model.data-*-of-00002"))) == 2


def test_unknown_zoo_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown zoo models"):
        build_zoo(tmp_path, ["resnet"])


@pytest.mark.parametrize("name", ZOO_MODELS)
def test_migrate_passes(migrated, name):
    rc, out, folder = migrated[name]
    assert rc == 0 and out["passed"] is True, out
    assert {"inspect", "suggest", "scan", "convert"} <= set(out["steps"])
    assert (folder / "saved_model.pb").is_file()
    for sig in out["signatures"].values():
        assert sig["passed"] and sig["outputs"]
        assert all(o["equal"] for o in sig["outputs"].values()), sig


_FRESH = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf

    results = {}
    for case in json.loads(sys.argv[1]):
        m = tf.saved_model.load(case["folder"])
        fn = m.signatures[case["signature"]]
        data = np.load(case["npz"], allow_pickle=True)
        feeds = {k[3:]: tf.constant(data[k]) for k in data.files if k.startswith("in/")}
        got = fn(**feeds)
        results[case["id"]] = {
            k[4:]: bool(np.array_equal(got[k[4:]].numpy(), data[k]))
            for k in data.files if k.startswith("out/")
        }
    print(json.dumps(results))
    """
)


def test_fresh_process_tf_saved_model_load_reproduces_v1(zoo, migrated, tmp_path):
    """Plain TF in a new process (explorer not imported) gives v1's outputs, bitwise."""
    from explorer import V1Runner, load

    cases = []
    for name, (_, out, folder) in migrated.items():
        model = load(zoo[name])
        for sig in out["signatures"]:
            with V1Runner(model, signature=sig if model.signatures else None) as r:
                feeds = r.sample(batch=3, seed=7)
                expected = r.infer(feeds)
                defaults = {  # PlaceholderWithDefault inputs are arguments of the TF2 signature
                    k: r.session.run(s.name) for k, s in r.input_specs.items() if k not in feeds
                }
            arrays = {f"in/{_key(k)}": np.asarray(v) for k, v in {**feeds, **defaults}.items()}
            arrays.update({f"out/{_key(k)}": np.asarray(v) for k, v in expected.items()})
            npz = tmp_path / f"{name}-{sig}.npz"
            np.savez(npz, **arrays)
            cases.append(
                {"id": f"{name}/{sig}", "folder": str(folder), "signature": sig, "npz": str(npz)}
            )
    proc = subprocess.run(
        [sys.executable, "-c", _FRESH, json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(results) == {c["id"] for c in cases}
    for case_id, outputs in results.items():
        assert outputs and all(outputs.values()), (case_id, outputs)
    assert "explorer" not in proc.stdout


def _key(k: str) -> str:
    return k[:-2] if k.endswith(":0") else k


# -- classes of problems, one test each ------------------------------------------------------------


def test_ref_updates_inside_v1_cond_and_while_keep_state_in_tf2(zoo):
    """RefSwitch/RefEnter on reference variables (contrib batch norm's forced updates, a counter
    in a loop) become Switch/Enter on resource handles: TF2 trains the moving averages and counts
    calls exactly like the v1 session, across training and inference calls."""
    from explorer import convert, load

    model = load(zoo["cond_update"])
    assert {"RefSwitch", "RefEnter"} <= set(model.op_types())
    v2 = convert(model)
    x = np.random.default_rng(0).normal(0, 2, (5, 3)).astype(np.float32)
    calls = [(x, True), (x * 0.5, True), (x, False)]
    with ModelSession(model) as s:
        want = [s.run(["y:0", "calls_out:0"], {"x:0": a, "is_training:0": t}) for a, t in calls]
    got = [v2("serving_default", x=a, is_training=np.bool_(t)) for a, t in calls]
    for (y, n), g in zip(want, got):
        np.testing.assert_array_equal(g["y"], y)
        assert g["calls"] == n
    assert [g["calls"] for g in got] == [2.0, 4.0, 6.0]
    # the training calls moved the averages: inference output differs from a fresh model's
    fresh = convert(model)("serving_default", x=x, is_training=np.bool_(False))
    assert not np.array_equal(fresh["y"], got[2]["y"])


def test_rewrite_forwards_variables_through_ref_control_flow(zoo):
    from explorer import load
    from explorer.conversion.rewrite import to_resource_variables

    model = load(zoo["cond_update"])
    result = to_resource_variables(model.graph_def, model.meta_graph, str(model.path))
    ops = {n.op for n in result.graph_def.node}
    assert not {o for o in ops if o.startswith("Ref")} and "VariableV2" not in ops
    switches = [n for n in result.graph_def.node if n.op == "Switch" and n.attr["T"].type == 20]
    enters = [n for n in result.graph_def.node if n.op == "Enter" and n.attr["T"].type == 20]
    assert switches and enters  # resource handles flow where the references did
    assert "AssignAddVariableOp" in ops and "AssignSubVariableOp" in ops


def test_int_inputs_that_index_are_sampled_in_range(zoo):
    """ids into a 5-row embedding and sequence lengths over 6 steps (ReverseSequence in a
    bidirectional RNN) are drawn below what the graph accepts, not from [0, 8)."""
    from explorer import load, sample

    feeds = sample(load(zoo["mixed_dtypes"]), batch=200, seed=0)
    assert feeds["ids"].max() == 4 and feeds["ids"].min() == 0
    assert "ids: ints in [0, 5)" in " ".join(feeds.notes)
    feeds = sample(load(zoo["rnn_lstm"]), batch=200, seed=0)
    assert feeds["lengths"].max() == 6


def test_training_script_checkpoint_suggests_the_prediction_not_the_metric(zoo):
    """Deep-MNIST-style .meta: y_conv is read only by the loss and the accuracy metric, so no
    output is a sink but accuracy/loss; the prediction entering the loss ranks first, its inputs
    are x and keep_prob (not the labels y_), and keep_prob (a plain placeholder of unknown rank)
    is sampled as the scalar 1.0."""
    from explorer import load, sample, suggest
    from explorer.inspection.suggestions import default_io

    model = load(zoo["mnist_tutorial"])
    choice = suggest(model)
    assert choice.outputs[0].name == "y_conv:0"
    assert "a loss reads" in choice.outputs[0].reason
    accuracy = next(c for c in choice.outputs if c.name == "accuracy:0")
    assert accuracy.score < choice.outputs[0].score
    assert default_io(model) == (["x:0", "keep_prob:0"], ["y_conv:0"])
    feeds = sample(model, batch=5)
    assert feeds["keep_prob:0"].shape == () and feeds["keep_prob:0"] == 1.0
    assert feeds["x:0"].shape == (5, 64)


def test_suggest_leaves_out_control_flow_and_update_machinery(zoo):
    """No cond pivots (switch_t/switch_f, pred_id), Switch/Enter/NextIteration/LoopCond, nor the
    values only an assign or assert consumes (moving-average updates) among suggested outputs."""
    from explorer import load, suggest

    for name in ("cond_while", "cond_update", "cnn_bn_checkpoint", "rnn_lstm"):
        model = load(zoo[name])
        for c in suggest(model, limit=50).outputs:
            last = c.name.split(":")[0].rpartition("/")[2]
            op = Catalog.from_model(model).op(c.name)
            assert last not in ("switch_t", "switch_f", "pred_id"), (name, c)
            assert op.type not in ("Switch", "Enter", "NextIteration", "LoopCond"), (name, c)
            assert "AssignMovingAvg" not in c.name, (name, c)
    assert suggest(load(zoo["cnn_bn_checkpoint"])).outputs[0].name == "probs:0"
