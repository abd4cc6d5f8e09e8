"""The scatter plot speaks of the values the histogram counts: a bounded, seeded sample of every
batch the Comparator saw (issue 25: "9 values, 3 drawn" came from keeping the first batch only)."""

from __future__ import annotations

import numpy as np

from explorer import compare
from explorer.comparing.outputs import SAMPLE, Comparator
from explorer.reporting import plots


def _legend(fig):
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_the_scatter_draws_every_batch_and_counts_what_the_histogram_counts():
    batches = [np.arange(3, dtype=np.float32) + 10 * i for i in range(3)]  # 0 1 2, 10 11 12, ...
    report = compare([{"y": a} for a in batches], [{"y": a + 1e-3} for a in batches])
    assert report.outputs["y"].count == 9 and report.batches == 3
    fig = plots.report_figures(report)["scatter y"]
    points = fig.axes[0].collections[0].get_offsets()
    assert sorted(points[:, 0]) == [0, 1, 2, 10, 11, 12, 20, 21, 22]
    np.testing.assert_allclose(points[:, 1], points[:, 0] + 1e-3, rtol=1e-6)
    assert _legend(fig)[0] == "9 values"  # all drawn: no "drawn" count
    assert "samples" not in report.to_json() and report.arrays["y"][0].shape == (3,)


def test_the_sample_is_bounded_uniform_over_batches_and_seeded():
    batches = [np.full((50, 60), i, dtype=np.float64) for i in range(4)]  # 12,000 values
    b = [{"y": a + 0.5} for a in batches]
    report = compare([{"y": a} for a in batches], b)
    a_kept, b_kept = report.samples["y"]
    assert a_kept.shape == b_kept.shape == (SAMPLE,)
    np.testing.assert_array_equal(b_kept, a_kept + 0.5)  # pairs stay pairs
    per_batch = np.bincount(a_kept.astype(np.int64), minlength=4)
    assert per_batch.sum() == SAMPLE and per_batch.min() > SAMPLE / 4 * 0.8
    again = compare([{"y": a} for a in batches], b).samples["y"][0]
    np.testing.assert_array_equal(again, a_kept)
    fig = plots.report_figures(report)["scatter y"]
    assert _legend(fig)[0] == f"12,000 values, {SAMPLE:,} drawn"
    assert len(fig.axes[0].collections[0].get_offsets()) == SAMPLE


def test_merged_shards_keep_one_bounded_sample_of_both():
    shards = []
    for lo in (0, 1):
        acc = Comparator()
        for _ in range(2):
            a = np.full(3000, lo, dtype=np.float32)
            acc.add({"y": a}, {"y": a})
        shards.append(acc)
    merged = shards[0].merge(shards[1]).report()
    a_kept, _ = merged.samples["y"]
    assert merged.outputs["y"].count == 12_000 and a_kept.size == SAMPLE
    assert 0.4 < a_kept.mean() < 0.6  # half the values came from each shard
