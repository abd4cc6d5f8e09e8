"""The Runner base: feeds checked against specs, timing and activation, for any subclass."""

from __future__ import annotations

import numpy as np
import pytest

from explorer.errors import FeedError
from explorer.graph.specs import TensorSpec
from explorer.running.base import Runner


class _Doubler(Runner):
    """A minimal subclass, as a v2 runner would be written: the base does checking and timing."""

    name = "doubler"
    started = 0

    @property
    def input_specs(self):
        return {"a": TensorSpec("a", "float32", (None,))}

    @property
    def output_specs(self):
        return {"b": TensorSpec("b", "float32", (None,))}

    def _start(self):
        self.started += 1

    def _stop(self):
        pass

    def _run(self, feeds):
        return {"b": feeds["a"] * 2}


def test_runner_subclass_gets_checking_timing_and_activation():
    with _Doubler() as d:
        assert d.infer({"a": [1, 2]})["b"].tolist() == [2.0, 4.0]  # ints cast to float32
        d.start()
        with pytest.raises(FeedError, match="expects shape"):
            d.infer({"a": np.zeros((1, 1))})
    assert d.started == 1 and len(d.times) == 1 and list(d.output_specs) == ["b"]
