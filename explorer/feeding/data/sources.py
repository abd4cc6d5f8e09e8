"""``explorer.data(...)``: a lazy, batched source of feeds from the user's own data.

::

    src = explorer.data("eval/*.tfrecord.gz", batch_size=256)     # or .csv, a folder of images,
    for batch in src.batches(runner.input_specs, model):           # .npz/.npy, a dict of arrays
        out = runner.infer(batch.feeds)                            # batch.where[i]: "f.tfrecord#17"

A :class:`DataSource` holds only where the data is and how to read it; :meth:`DataSource.batches`
opens it for one model run's inputs (signature keys or tensor names and their
:class:`~explorer.graph.specs.TensorSpec`) and yields :class:`Batch` es of at most ``batch_size``
records, so memory holds one batch whatever the size of the data. Each batch keeps, per row, where
it came from and how to summarise its inputs (for the worst examples of a parity report).

Bad data raises :class:`~explorer.errors.DataError` with one line naming the file, the record
(0-based) and the feature or column, before anything of a report is made.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from explorer.errors import DataError, FeedError
from explorer.feeding.feeds import Feeds, SparseValue, as_sparse, fmt_spec
from explorer.graph.specs import TensorSpec

DEFAULT_BATCH_SIZE = 64
SUMMARY_CHARS = 240  # an example's inputs are summarised in about this many characters

KINDS = ("tfrecord", "csv", "images", "npz", "npy", "arrays")
_TFRECORD_EXT = (".tfrecord", ".tfrecords", ".tfr", ".records", ".record")
_IMAGE_EXT = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


@dataclass
class Batch:
    """One batch of feeds read from a source.

    Attributes:
        feeds: input key -> value, ``rows`` along the first axis (sparse: the first index column).
        start: source index (0-based, over the whole source) of the first row.
        where: per row, where it came from (``file.tfrecord#17``, ``data.csv:19``, ``img/a.png``).
        summarise: row (0-based in this batch) -> one line summarising that example's inputs.
        notes: what reading this batch decided (shown once per source in reports).
    """

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
        return summarise_feeds(self.feeds, row)


class DataSource:
    """Where the data is and how to read it; :meth:`batches` reads it for a model run.

    Subclasses implement :meth:`_batches` (and :meth:`describe`); the base applies ``limit``.

    Attributes:
        kind: ``tfrecord``, ``csv``, ``images``, ``npz``, ``npy`` or ``arrays``.
        paths: the files read, in order (empty for in-memory arrays).
        batch_size: records per batch.
        limit: read at most this many records (``None``: all).
        key: the input this source feeds when it feeds one (images, ``.npy``, serialized records).
    """

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
        """Batches of feeds for inputs ``specs`` (input key -> spec) of ``model``'s run.

        Args:
            specs: the run's inputs (``runner.input_specs``).
            model: the :class:`~explorer.loading.model.V1Model` (TFRecord sources read its
                parse ops; others may pass ``None``).
            required: keys that must come from the data (default: every key of ``specs`` the
                source cannot leave out; inputs not read are left to the caller to fill).
            limit: read at most this many records (overrides the source's ``limit``).

        Raises:
            DataError: the data does not fit the inputs, or a record is bad (file, record and
                feature named).
        """
        cap = limit if limit is not None else self.limit
        seen = 0
        for batch in self._batches(
            dict(specs), model, None if required is None else list(required)
        ):
            if cap is not None and seen + batch.rows > cap:
                batch = _head(batch, cap - seen)
            seen += batch.rows
            if batch.rows:
                yield batch
            if cap is not None and seen >= cap:
                return
        if seen == 0:
            raise DataError(f"{self.describe()} holds no records: nothing to feed")

    def first(self, specs: Mapping[str, TensorSpec], model: Any = None) -> Feeds:
        """The first batch as :class:`~explorer.feeding.feeds.Feeds` (notes say where from)."""
        batch = next(iter(self.batches(specs, model)))
        return Feeds(
            batch.feeds, notes=[f"{self.describe()}: rows {batch.where[0]}.."] + batch.notes
        )

    def _batches(
        self, specs: dict[str, TensorSpec], model: Any, required: list[str] | None
    ) -> Iterator[Batch]:
        raise NotImplementedError


def _head(batch: Batch, n: int) -> Batch:
    return Batch(
        {k: take_rows(v, 0, n) for k, v in batch.feeds.items()},
        batch.start,
        batch.where[:n],
        batch.summarise,
        batch.notes,
    )


# ----------------------------------------------------------------------------------------------
# rows of values
# ----------------------------------------------------------------------------------------------


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
    x = arr[row] if arr.ndim else arr
    x = np.asarray(x)
    if x.dtype == object or x.dtype.kind in "SU":
        flat = [v[:40] if isinstance(v, (bytes, str)) else v for v in x.reshape(-1)[:3]]
        text = ", ".join(repr(v) for v in flat) + (", …" if x.size > 3 else "")
    elif x.size <= 6:
        vals = ", ".join(
            f"{v:.4g}" if isinstance(v, float) else str(v) for v in x.reshape(-1).tolist()
        )
        text = f"[{vals}]" if x.ndim else vals
    elif x.dtype.kind in "biuf":
        text = (
            f"{x.dtype.name}{list(x.shape)} min {x.min():.4g} max {x.max():.4g} "
            f"mean {x.astype(np.float64).mean():.4g}"
        )
    else:
        text = f"{x.dtype.name}{list(x.shape)}"
    return text if len(text) <= width else text[: width - 1] + "…"


def summarise_feeds(feeds: Mapping[str, Any], row: int) -> str:
    """``key: value; key: value`` for one row of every feed, about SUMMARY_CHARS long."""
    text = "; ".join(f"{k}: {summarise_value(v, row)}" for k, v in feeds.items())
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


# ----------------------------------------------------------------------------------------------
# arrays: dicts, .npz, .npy
# ----------------------------------------------------------------------------------------------


class ArraySource(DataSource):
    """Arrays sliced into batches along their first axis: a dict (input key -> array or
    SparseValue), an ``.npz`` (members read as they are needed) or one ``.npy`` (memory-mapped)."""

    def __init__(
        self,
        arrays: Mapping[str, Any] | None = None,
        paths: Sequence[Path] = (),
        kind: str = "arrays",
        **kwargs: Any,
    ) -> None:
        super().__init__(paths, **kwargs)
        self.kind = kind
        self._arrays = arrays

    def describe(self) -> str:
        if self.paths:
            return f"{self.kind} {self.paths[0]}"
        return f"arrays {', '.join(sorted(self._arrays or {}))}"

    def _open(self, specs: Mapping[str, TensorSpec]) -> Mapping[str, Any]:
        if self._arrays is not None:
            return {str(k): v for k, v in self._arrays.items()}
        path = self.paths[0]
        try:
            if self.kind == "npy":
                arr = np.load(path, mmap_mode="r", allow_pickle=False)
                key = self.key or _only_key(specs, path)
                return {key: arr}
            return Feeds.load(path)
        except FeedError as e:
            raise DataError(str(e)) from None
        except (OSError, ValueError) as e:
            raise DataError(
                f"{path}: cannot read ({str(e).splitlines()[0][:160]}): give an .npy/.npz "
                "written by numpy (np.save/np.savez, no object arrays) or Feeds.save"
            ) from None

    def _batches(self, specs, model, required):  # noqa: ANN001 - see DataSource._batches
        from explorer.feeding.feeds import resolve_key

        arrays = self._open(specs)
        where0 = self.paths[0].name if self.paths else "arrays"
        keyed: dict[str, Any] = {}
        for k, v in arrays.items():
            rk = resolve_key(k, specs)
            if rk is None:
                known = ", ".join(sorted(specs)) or "none"
                raise DataError(
                    f"{where0}: {k!r} is not an input of this model run: inputs are {known}"
                )
            keyed[rk] = as_sparse(v) if _sparse_like(v) else v
        missing = [k for k in (required or []) if k not in keyed]
        if missing:
            raise DataError(
                f"{where0}: no values for input {missing[0]!r} ({fmt_spec(specs[missing[0]])}): "
                f"add it (the data has {', '.join(sorted(keyed)) or 'nothing'})"
            )
        if not keyed:
            raise DataError(f"{where0}: no arrays to feed")
        counts = {k: rows_of(v) for k, v in keyed.items()}
        n = next(iter(counts.values()))
        for k, c in counts.items():
            if c != n:
                first = next(iter(counts))
                raise DataError(
                    f"{where0}: {k!r} has {c} rows but {first!r} has {n}: give every input the "
                    "same number of examples along the first axis"
                )
        for start in range(0, n, self.batch_size):
            stop = min(n, start + self.batch_size)
            feeds = {k: _materialise(take_rows(v, start, stop)) for k, v in keyed.items()}
            where = [f"{where0}[{i}]" for i in range(start, stop)]
            yield Batch(feeds, start, where)


def _sparse_like(v: Any) -> bool:
    return isinstance(v, SparseValue) or all(hasattr(v, a) for a in ("indices", "dense_shape"))


def _materialise(v: Any) -> Any:
    return v if isinstance(v, SparseValue) else np.array(v)  # a memory-mapped slice, read now


def _only_key(specs: Mapping[str, TensorSpec], path: Path) -> str:
    if len(specs) == 1:
        return next(iter(specs))
    raise DataError(
        f"{path}: one array for {len(specs)} inputs ({', '.join(sorted(specs))}): pass key= "
        "(CLI: --data-key) naming the input it feeds, or give an .npz with one array per input"
    )


# ----------------------------------------------------------------------------------------------
# data()
# ----------------------------------------------------------------------------------------------


def data(
    source: Any,
    *,
    kind: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    limit: int | None = None,
    key: str | None = None,
    compression: str | None = "auto",
    columns: Mapping[str, str] | None = None,
    image_size: tuple[int, int] | None = None,
    value_range: tuple[float, float] | None = None,
) -> DataSource:
    """A lazy, batched source of feeds from files or arrays (see the module docstring).

    Args:
        source: a path, glob or list of paths (TFRecord files, a ``.csv``, a folder of images, an
            ``.npz``/``.npy``), a dict of arrays (input key -> array or ``SparseValue``), or a
            :class:`DataSource` (returned as is).
        kind: ``tfrecord``, ``csv``, ``images``, ``npz``, ``npy`` or ``arrays``; default: from the
            file extension (``.tfrecord``/``.tfrecords``/``.tfr``/``.gz`` are TFRecord).
        batch_size: records per batch (memory holds one batch at a time).
        limit: read at most this many records.
        key: the input the source feeds (images, ``.npy``, TFRecord serialized examples), when
            the run has several inputs it could feed.
        compression: TFRecord compression, ``GZIP``, ``ZLIB``, ``None`` or ``auto`` (by
            extension: ``.gz`` GZIP, ``.zlib``/``.zz`` ZLIB).
        columns: CSV column -> input key or tensor name, for columns not named like the inputs.
        image_size: ``(height, width)`` to resize images to, when the input's shape does not say.
        value_range: images: the pixel range floats are scaled to (default ``(0, 255)``: the
            decoded values, unscaled).

    Raises:
        DataError: no such file, no files match the glob, an unknown kind.
    """
    if isinstance(source, DataSource):
        return source
    common = {"batch_size": batch_size, "limit": limit, "key": key}
    if isinstance(source, Mapping):
        return ArraySource(dict(source), **common)
    paths = _expand(source)
    kind = kind or _kind_of(paths)
    if kind not in KINDS:
        raise DataError(f"kind={kind!r}: choose one of {', '.join(KINDS)}")
    if kind == "tfrecord":
        from explorer.feeding.data.tfrecord import TFRecordSource

        return TFRecordSource(paths, compression=compression, **common)
    if kind == "csv":
        from explorer.feeding.data.tables import CsvSource

        return CsvSource(paths, columns=columns, **common)
    if kind == "images":
        from explorer.feeding.data.images import ImageSource

        return ImageSource(paths, image_size=image_size, value_range=value_range, **common)
    if len(paths) != 1:
        raise DataError(f"{kind} data is one file, given {len(paths)}: pass one path")
    return ArraySource(None, paths, kind=kind, **common)


def _expand(source: Any) -> list[Path]:
    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    out: list[Path] = []
    for item in items:
        text = os.path.expanduser(str(item))
        if any(c in text for c in "*?["):
            found = sorted(glob.glob(text, recursive=True))
            if not found:
                raise DataError(f"no files match {text}: check the pattern and the folder")
            out.extend(Path(f) for f in found)
            continue
        p = Path(text)
        if not p.exists():
            raise DataError(f"{p} does not exist: point at a data file, a glob or a folder")
        if p.is_dir() and not _is_image_dir(p):
            records = sorted(f for f in p.iterdir() if f.is_file() and _looks_tfrecord(f.name))
            if not records:
                raise DataError(
                    f"{p} is a folder with neither images ({', '.join(_IMAGE_EXT)}) nor TFRecord "
                    "files: point at the data files"
                )
            out.extend(records)
            continue
        out.append(p)
    if not out:
        raise DataError("no data files given: pass a path, a glob or a list of paths")
    return out


def _looks_tfrecord(name: str) -> bool:
    """A TFRecord file by its name: a TFRecord extension (``.gz``/``.zlib`` after one too), or
    ``tfrecord`` in the name (TFX writes ``data_tfrecord-00000-of-00001.gz``)."""
    low = name.lower()
    for suffix in (".gz", ".zlib", ".zz"):
        low = low.removesuffix(suffix)
    return low.endswith(_TFRECORD_EXT) or "tfrecord" in low


def _is_image_dir(p: Path) -> bool:
    return any(f.suffix.lower() in _IMAGE_EXT for f in p.iterdir() if f.is_file())


def _kind_of(paths: list[Path]) -> str:
    p = paths[0]
    name = p.name.lower()
    if p.is_dir() or name.endswith(_IMAGE_EXT):
        return "images"
    for suffix in (".gz", ".zlib", ".zz"):
        if name.endswith(suffix) and not name.endswith(".csv" + suffix):
            return "tfrecord"
    if name.endswith(_TFRECORD_EXT):
        return "tfrecord"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".npz"):
        return "npz"
    if name.endswith(".npy"):
        return "npy"
    raise DataError(
        f"{p}: cannot tell the kind of data from the name: pass kind= one of {', '.join(KINDS)} "
        "(CLI: --data-kind)"
    )
