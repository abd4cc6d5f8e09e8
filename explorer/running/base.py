"""The one runner shape both sides share: ``infer(feeds) -> dict``, context-managed."""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Mapping
from typing import Any

from explorer.errors import SessionError
from explorer.feeding.feeds import DEFAULT_MAX_BYTES, check_feeds
from explorer.graph.specs import TensorSpec


class Runner(abc.ABC):
    """Base of every runner: context-managed, checked feeds, timed ``infer``."""

    name: str = "runner"

    def __init__(self, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> None:
        self.times: list[float] = []
        self.max_bytes = max_bytes
        self._active = False

    input_specs: dict[str, TensorSpec]  # input key -> spec
    output_specs: dict[str, TensorSpec]

    @abc.abstractmethod
    def _start(self) -> None: ...

    @abc.abstractmethod
    def _stop(self) -> None: ...

    @abc.abstractmethod
    def _run(self, feeds: dict[str, Any]) -> dict[str, Any]:
        """Run once on checked feeds; ``{output key: ndarray | SparseValue}``."""

    @property
    def required_inputs(self) -> list[str]:
        return list(self.input_specs)

    @property
    def is_active(self) -> bool:
        return self._active

    @property
    def last_seconds(self) -> float | None:
        return self.times[-1] if self.times else None

    def start(self) -> Runner:
        if not self._active:
            self._start()
            self._active = True
        return self

    def stop(self) -> None:
        if self._active:
            self._active = False
            self._stop()

    def __enter__(self) -> Runner:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def check_feeds(self, feeds: Mapping[str, Any]) -> dict[str, Any]:
        return check_feeds(feeds, self.input_specs, self.required_inputs, self.max_bytes)

    def infer(self, feeds: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Run once: ``feeds`` (input key -> array) -> ``{output key: ndarray | SparseValue}``;
        ``FeedError``, or ``SessionError`` when not started or the run failed."""
        if not self._active:
            raise SessionError(
                f"{type(self).__name__} is not started: use `with runner:` or runner.start()"
            )
        checked = self.check_feeds(feeds or {})
        t0 = time.perf_counter()
        out = self._run(checked)
        self.times.append(time.perf_counter() - t0)
        return out


class FnRunner(Runner):
    """A runner of ``fn(feeds)``, the feeds unchecked, no specs (a replay, a pruned v2 graph)."""

    input_specs = output_specs = property(lambda self: {})

    def __init__(self, fn: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        super().__init__(max_bytes=None)
        self.fn = fn

    def check_feeds(self, feeds: Mapping[str, Any]) -> dict[str, Any]:
        return dict(feeds)

    def _start(self) -> None:
        pass

    _stop = _start

    def _run(self, feeds: dict[str, Any]) -> dict[str, Any]:
        return self.fn(feeds)
