"""Sharded parity (issue 28): the files of ``--data`` split across a local Dask cluster of two
worker processes (one per module), each running the one parity loop; the merged report equals,
field by field, the single-process report on the same records."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import explorer
from explorer.comparing.outputs import Comparator
from explorer.comparing.parity_check import run_shards, shards
from explorer.comparing.records import ParitySummary
from explorer.errors import DataError, ParityError
from explorer.examples.models import build_mlp
from tests.feeding.data.files import write_csv, write_tfrecord

TIMINGS = ("seconds", "examples_per_second", "steady_examples_per_second", "shards")
TIMINGS += ("v1_runs", "v1_runs_per_example")  # costs: each shard self-checks its first batch


@pytest.fixture(scope="module")
def scheduler():
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
    with cluster:
        yield cluster.scheduler_address


def _example(x: np.ndarray) -> bytes:
    from tensorflow.core.example import example_pb2

    ex = example_pb2.Example()
    ex.features.feature["x"].float_list.value.extend(x.tolist())
    return ex.SerializeToString()


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    """The example MLP, a wrong conversion (the MLP of other weights: every figure non-zero,
    saved and in memory) and its data: 3 TFRecord files of whole batches of 8, 3 CSV files not."""
    root = tmp_path_factory.mktemp("shard")
    model = explorer.load(build_mlp(root / "mlp"))
    other = explorer.convert(explorer.load(build_mlp(root / "other", seed=1)))
    rows = np.random.default_rng(0).normal(size=(48, 4)).astype(np.float32)
    rows[3] *= 20
    rows[40] = rows[3]  # the worst twice, across shards: the earlier record comes first
    tfr = [
        write_tfrecord(root / f"{i}.tfrecord", [_example(x) for x in rows[a:b]])
        for i, (a, b) in enumerate(((0, 16), (16, 24), (24, 48)))
    ]
    header = [f"x[{j}]" for j in range(4)]
    csv = [
        write_csv(root / f"{i}.csv", header, rows[a:b].tolist())
        for i, (a, b) in enumerate(((0, 11), (11, 18), (18, 48)))
    ]
    return model, other, other.save(root / "v2"), tfr, csv


def _same(sharded_summary, single_summary):
    """The two summaries' reports field by field, timings apart."""
    got, want = sharded_summary.to_json(), single_summary.to_json()
    assert got["status"] == want["status"]
    for name, rep in want["signatures"].items():
        mine = got["signatures"][name]
        data, data_want = mine.pop("data"), rep.pop("data")
        assert data["shards"] == 3 and data["examples"] == data_want["examples"] == 48
        assert {k: v for k, v in data.items() if k not in TIMINGS} == {
            k: v for k, v in data_want.items() if k not in TIMINGS
        }
        assert mine == rep  # max abs/rel, means, counts, quantiles, histograms, worst examples


def test_sharded_tfrecord_parity_is_the_single_process_report(mlp, scheduler):
    model, _, v2, tfr, _ = mlp
    source = explorer.data(tfr, batch_size=8)
    single = explorer.parity(model, v2, source=source, worst=4)
    calls = []
    split = explorer.parity(
        model, v2, source=source, worst=4, scheduler=scheduler, progress=lambda *a: calls.append(a)
    )
    _same(split, single)
    rep = split["serving_default"]
    assert rep.failed and rep.batches == 6 and rep.outputs["probs"].max_abs > 0.01
    assert calls[-1] == ("serving_default", 48, 48) and len(calls) == 4
    worst = rep.examples["logits"].worst
    assert [(w.index, w.where) for w in worst[:2]] == [(3, "0.tfrecord#3"), (40, "2.tfrecord#16")]


def test_sharded_csv_parity_with_cut_batches_and_v2_in_memory(mlp, scheduler):
    model, other, _, _, csv = mlp
    source = explorer.data(csv, batch_size=8)
    single = explorer.parity(model, other, source=source)["serving_default"]
    split = explorer.parity(model, other, source=source, scheduler=scheduler)["serving_default"]
    # a file's last batch is short here: 2 + 1 + 4 batches of 8, one process 6; the model's own
    # outputs may differ in their last float32 bits with the batch size (TensorFlow's kernels)
    assert (split.batches, single.batches, split.status) == (7, 6, single.status)
    for key, o in single.outputs.items():
        mine = split.outputs[key]
        assert (mine.count, mine.mismatches) == (o.count, o.mismatches)
        for f in ("max_abs", "max_rel", "mean_abs", "mean_rel"):
            assert getattr(mine, f) == pytest.approx(getattr(o, f), rel=1e-5)
        ex, ex_want = split.examples[key], single.examples[key]
        assert (ex.examples, ex.failed) == (ex_want.examples, ex_want.failed) == (48, 48)
        assert [w.where for w in ex.worst] == [w.where for w in ex_want.worst]


def test_cli_workers_print_the_verdict_of_one_process(mlp):
    model, _, v2, tfr, _ = mlp
    single = explorer.parity(model, v2, source=explorer.data(tfr, batch_size=8))
    cmd = [sys.executable, "-m", "explorer", "parity", str(model.path), "--converted", str(v2)]
    cmd += ["--data", *map(str, tfr), "--batch-size", "8", "--workers", "2", "--json"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert out.returncode == 1, out.stderr[-2000:]
    _same(ParitySummary.from_json(json.loads(out.stdout)), single)


def test_a_bad_shard_is_named_in_one_line(mlp, scheduler, tmp_path):
    model, _, v2, tfr, _ = mlp
    bad = tmp_path / "bad.tfrecord"
    bad.write_bytes(tfr[1].read_bytes()[:-7])  # truncated
    with pytest.raises(DataError) as e:
        explorer.parity(model, v2, source=explorer.data([tfr[0], bad]), scheduler=scheduler)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"{bad} (shard 2 of 2): {bad}: record 7 cannot")
    with pytest.raises(ParityError, match="limit=5 takes the first records"):
        explorer.parity(model, v2, source=explorer.data(tfr, limit=5), scheduler=scheduler)


def _crash(part, *args):
    os._exit(3)  # the worker process dies, as on a segfault or an out-of-memory kill


def test_a_worker_crash_names_the_file(mlp, scheduler):
    from distributed import Client

    _, _, _, tfr, _ = mlp
    parts = shards(explorer.data(tfr))
    with Client(scheduler) as client, pytest.raises(ParityError) as e:
        run_shards(client, _crash, parts[:1])
    msg = str(e.value)
    assert msg.startswith(f"{tfr[0]} (shard 1 of 1): its Dask worker failed (KilledWorker")
    assert "\n" not in msg


def test_merge_offsets_the_example_indices():
    from explorer.feeding.data.sources import Batch

    def one(values, where):
        acc = Comparator(worst=2)
        a = np.zeros((len(values), 1))
        acc.add({"y": a}, {"y": np.asarray(values)[:, None]}, Batch({}, 0, where))
        return acc

    left, right = one([1.0, 3.0], ["a#0", "a#1"]), one([3.0, 2.0], ["b#0", "b#1"])
    ex = left.merge(right, offset=2).report().examples["y"]
    assert [(w.index, w.where) for w in ex.worst] == [(1, "a#1"), (2, "b#0")]
