"""The base of every reader: :class:`DataSource` (:meth:`DataSource.batches` yields
:class:`Batch` es for a model run's inputs) and the row helpers the readers share."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from explorer.errors import DataError
from explorer.feeding.feeds import SparseValue
from explorer.graph.specs import TensorSpec

DEFAULT_BATCH_SIZE = 64
SUMMARY_CHARS = 240  # an example's inputs are summarised in about this many characters
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


@dataclass
class Batch:
    """One batch of a source: ``feeds`` (input key -> value, ``rows`` along axis 0), ``start``
    (source index of row 0), ``where`` per row (``f.tfrecord#17``, ``data.csv:19``),
    ``summarise`` (row -> a line of its inputs), ``notes`` (what reading decided, shown once)."""

    feeds: dict[str, Any]
    start: int
    where: list[str]
    summarise: Callable[[int], str] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.where)

    def summary(self, row: int) -> str:
        """One line summarising the inputs of ``row`` (this batch's numbering)."""
        if self.summarise is not None:
            return self.summarise(row)
        return clip("; ".join(f"{k}: {summarise_value(v, row)}" for k, v in self.feeds.items()))


class DataSource:
    """Where the data is (``paths``, in order; none for arrays) and how to read it (``kind``,
    ``batch_size``, ``limit``: at most this many records, ``key``: the input fed when one is);
    :meth:`batches` reads it, applying ``limit``; subclasses implement ``_batches``/``describe``."""

    kind = "arrays"

    def __init__(
        self,
        paths: Sequence[Path] = (),
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        limit: int | None = None,
        key: str | None = None,
    ) -> None:
        if batch_size < 1:
            raise DataError(f"batch_size={batch_size}: give at least 1 record per batch")
        if limit is not None and limit < 1:
            raise DataError(f"limit={limit}: read at least one record (or None for all)")
        self.paths = list(paths)
        self.batch_size = int(batch_size)
        self.limit = limit
        self.key = key

    def describe(self) -> str:
        """One line: what is read and how (shown in reports)."""
        return f"{self.kind} data"

    def _files(self) -> str:
        """The first file, and how many more (``a.csv (+2 files)``)."""
        more = f" (+{len(self.paths) - 1} files)" if len(self.paths) > 1 else ""
        return f"{self.paths[0]}{more}"

    def _file(self, where: str) -> str:
        """The path of the file a row's ``where`` (``name#17``, ``name:19``) names."""
        name = where.rsplit("#", 1)[0] if "#" in where else where.rpartition(":")[0]
        return next((str(p) for p in self.paths if p.name == name), name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    def batches(
        self,
        specs: Mapping[str, TensorSpec],
        model: Any = None,
        *,
        required: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> Iterator[Batch]:
        """Batches of feeds for the run's inputs ``specs`` (``runner.input_specs``); ``model``:
        its parse ops tell TFRecord sources how to read; ``required``: keys the data must give
        (default: what the source cannot leave out; the caller fills the rest); ``limit`` overrides
        the source's. DataError: the data does not fit the inputs, or a bad record (file, index)."""
        cap = limit if limit is not None else self.limit
        seen, required = 0, None if required is None else list(required)
        for batch in self._batches(dict(specs), model, required):
            if cap is not None and seen + batch.rows > cap:
                n = cap - seen
                feeds = {k: take_rows(v, 0, n) for k, v in batch.feeds.items()}
                batch = Batch(feeds, batch.start, batch.where[:n], batch.summarise, batch.notes)
            seen += batch.rows
            if batch.rows:
                yield batch
            if cap is not None and seen >= cap:
                return
        if seen == 0:
            raise DataError(f"{self.describe()} holds no records: nothing to feed")

    def _batches(
        self, specs: dict[str, TensorSpec], model: Any, required: list[str] | None
    ) -> Iterator[Batch]:
        raise NotImplementedError


def chunks(items: Iterable[Any], size: int) -> Iterator[tuple[int, list[Any]]]:
    """``(start, up to size items)`` over ``items``, in order."""
    it = iter(items)
    start = 0
    while pending := list(itertools.islice(it, size)):
        yield start, pending
        start += len(pending)


def rows_of(value: Any) -> int:
    """Rows along the first axis of a dense array or a SparseValue (its dense_shape[0])."""
    if isinstance(value, SparseValue):
        return int(value.dense_shape[0]) if len(value.dense_shape) else 1
    arr = np.asarray(value)
    return int(arr.shape[0]) if arr.ndim else 1


def take_rows(value: Any, start: int, stop: int) -> Any:
    """Rows ``start:stop`` of a dense array or a SparseValue (indices renumbered from 0)."""
    if isinstance(value, SparseValue):
        keep = (value.indices[:, 0] >= start) & (value.indices[:, 0] < stop)
        idx = value.indices[keep].copy()
        idx[:, 0] -= start
        shape = value.dense_shape.copy()
        shape[0] = max(0, min(stop, int(shape[0])) - start)
        return SparseValue(idx, value.values[keep], shape)
    arr = np.asarray(value)
    return arr[start:stop] if arr.ndim else arr


def summarise_value(value: Any, row: int, width: int = 80) -> str:
    """One row of a value in a few characters: the values when short, else dtype/shape/range."""
    if isinstance(value, SparseValue):
        v = take_rows(value, row, row + 1)
        return f"sparse {list(v.values[:4])}" + ("…" if len(v.values) > 4 else "")
    arr = np.asarray(value)
    x = np.asarray(arr[row] if arr.ndim else arr)
    if x.dtype == object or x.dtype.kind in "SU":
        flat = [v[:40] if isinstance(v, (bytes, str)) else v for v in x.reshape(-1)[:3]]
        text = ", ".join(repr(v) for v in flat) + (", …" if x.size > 3 else "")
    elif x.size <= 6:
        vals = ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in x.ravel().tolist())
        text = f"[{vals}]" if x.ndim else vals
    elif x.dtype.kind in "biuf":
        mean = x.astype(np.float64).mean()
        text = f"{x.dtype.name}{list(x.shape)} min {x.min():.4g} max {x.max():.4g} mean {mean:.4g}"
    else:
        text = f"{x.dtype.name}{list(x.shape)}"
    return clip(text, width)


def clip(text: str, width: int = SUMMARY_CHARS) -> str:
    """``text`` cut to ``width`` characters, ending in ``…`` when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"
