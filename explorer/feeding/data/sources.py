"""``explorer.data(...)``: a lazy, batched source of feeds from the user's own data, e.g.
``for batch in explorer.data("eval/*.tfrecord.gz").batches(runner.input_specs, model)``; bad data
raises :class:`~explorer.errors.DataError` naming the file, the record (0-based) and feature.
Here: arrays, CSV files, and a folder of images (name order) as the feed of a
``[batch, H, W, C]``, ``[batch, H, W]`` or ``[batch, H*W*C]`` input: decoded, resized bilinearly
to H x W; a string input gets the bytes. TFRecord: :mod:`.tfrecord`."""

from __future__ import annotations

import csv
import glob
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from explorer.errors import DataError, FeedError, first_line
from explorer.feeding.data.base import (
    DEFAULT_BATCH_SIZE,
    IMAGE_EXT,
    Batch,
    DataSource,
    chunks,
    clip,
    rows_of,
    take_rows,
)
from explorer.feeding.data.tfrecord import (
    COMPRESSED,
    LIST_OF,
    ParseSpec,
    TFRecordSource,
    parse_spec,
    parser_of,
)
from explorer.feeding.feeds import (
    Feeds,
    SparseValue,
    as_sparse,
    bytes_array,
    fmt_spec,
    is_sparse_like,
    numpy_dtype,
    resolve_key,
)
from explorer.graph.names import op_name
from explorer.graph.op_families import PARSE_EXAMPLE_OPS
from explorer.graph.specs import TensorSpec

__all__ = ["DEFAULT_BATCH_SIZE", "Batch", "DataSource", "data", "rows_of", "take_rows"]

KINDS = ("tfrecord", "csv", "images", "npz", "npy", "arrays")
_TFRECORD_EXT = (".tfrecord", ".tfrecords", ".tfr", ".records", ".record")
DECODER = "TensorFlow (tf.io.decode_image, tf.image.resize bilinear)"
_INDEXED = re.compile(r"(.+?)(?:\[(\d+)\]|_(\d+))")
_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}


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
        if self.kind == "npy" and self.key is None and len(specs) != 1:
            raise DataError(
                f"{path}: one array for {len(specs)} inputs ({', '.join(sorted(specs))}): pass "
                "key= (CLI: --data-key) naming the input it feeds, or give an .npz with one "
                "array per input"
            )
        try:
            if self.kind == "npy":
                arr = np.load(path, mmap_mode="r", allow_pickle=False)
                return {self.key or next(iter(specs)): arr}
            return Feeds.load(path)
        except FeedError as e:
            raise DataError(str(e)) from None
        except (OSError, ValueError) as e:
            raise DataError(
                f"{path}: cannot read ({str(e).splitlines()[0][:160]}): give an .npy/.npz "
                "written by numpy (np.save/np.savez, no object arrays) or Feeds.save"
            ) from None

    def _batches(self, specs, model, required):  # noqa: ANN001 - see DataSource._batches
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
            keyed[rk] = as_sparse(v) if is_sparse_like(v) else v
        missing = [k for k in (required or []) if k not in keyed]
        if missing:
            raise DataError(
                f"{where0}: no values for input {missing[0]!r} ({fmt_spec(specs[missing[0]])}): "
                f"add it (the data has {', '.join(sorted(keyed)) or 'nothing'})"
            )
        if not keyed:
            raise DataError(f"{where0}: no arrays to feed")
        counts = {k: rows_of(v) for k, v in keyed.items()}
        first, n = next(iter(counts.items()))
        for k, c in counts.items():
            if c != n:
                raise DataError(
                    f"{where0}: {k!r} has {c} rows but {first!r} has {n}: give every input the "
                    "same number of examples along the first axis"
                )
        for start in range(0, n, self.batch_size):
            stop = min(n, start + self.batch_size)
            rows = {k: take_rows(v, start, stop) for k, v in keyed.items()}
            # np.array: a memory-mapped slice, read now
            feeds = {k: v if isinstance(v, SparseValue) else np.array(v) for k, v in rows.items()}
            where = [f"{where0}[{i}]" for i in range(start, stop)]
            yield Batch(feeds, start, where)


class ImageSource(DataSource):
    """Image files (a folder, a glob or a list) decoded for one image input."""

    kind = "images"

    def __init__(
        self,
        paths: list[Path],
        *,
        image_size: tuple[int, int] | None = None,
        value_range: tuple[float, float] | None = None,
        **kwargs: Any,
    ) -> None:
        files: list[Path] = []
        for p in paths:
            if p.is_dir():
                files.extend(sorted(f for f in p.iterdir() if f.suffix.lower() in IMAGE_EXT))
            else:
                files.append(p)
        if not files:
            raise DataError(f"{paths[0]}: no image files ({', '.join(IMAGE_EXT)})")
        super().__init__(files, **kwargs)
        self.image_size = tuple(image_size) if image_size else None
        self.value_range = tuple(value_range) if value_range else None

    def describe(self) -> str:
        return f"{len(self.paths)} images in {self.paths[0].parent}, decoded by {DECODER}"

    def _target(self, specs: Mapping[str, TensorSpec]) -> tuple[str, TensorSpec]:
        if self.key is not None:
            if self.key not in specs:
                raise DataError(f"key={self.key!r} is not an input: inputs are {', '.join(specs)}")
            return self.key, specs[self.key]
        dense = [(k, s) for k, s in specs.items() if s.kind == "dense" and s.shape is not None]
        found = [(k, s) for k, s in dense if len(s.shape) in (3, 4)]
        flat = [(k, s) for k, s in dense if len(s.shape) == 2 and s.dtype != "string"]
        if len(found) == 1 or (not found and len(flat) == 1 and self.image_size):
            return (found or flat)[0]
        inputs = ", ".join(f"{k} {fmt_spec(s)}" for k, s in specs.items())
        raise DataError(
            f"cannot tell which input the images feed ({inputs}): pass key= (CLI: --data-key), "
            "and image_size=(H, W) for a flat input"
        )

    def _geometry(self, key: str, spec: TensorSpec) -> tuple[int, int, int, tuple[int, ...]]:
        """(height, width, channels, per-image feed shape)."""
        shape = list(spec.shape or ())
        if len(shape) not in (3, 4):
            if not self.image_size:
                raise DataError(f"input {key!r} is flat {fmt_spec(spec)}: pass image_size=(H, W)")
            h, w = self.image_size
            n = shape[1]
            c = (n // (h * w)) if n else 1
            if n is not None and h * w * c != n:
                raise DataError(
                    f"input {key!r} {fmt_spec(spec)} is not {h}x{w} pixels times 1, 3 or 4 "
                    "channels: check image_size"
                )
            return h, w, c, (h * w * c,)
        h, w = self.image_size or shape[1:3]
        c = (shape[3] or 3) if len(shape) == 4 else 1
        if h is None or w is None:
            raise DataError(
                f"input {key!r} is {fmt_spec(spec)} (height/width unknown): pass image_size=(H, W)"
            )
        if c not in (1, 3, 4):
            raise DataError(
                f"input {key!r} {fmt_spec(spec)} has {c} channels: images have 1, 3 or 4"
            )
        return h, w, c, ((h, w, c) if len(shape) == 4 else (h, w))

    def _batches(self, specs, model, required):  # noqa: ANN001 - see DataSource._batches
        key, spec = self._target(specs)
        others = [k for k in (required or []) if k != key]
        if others:
            raise DataError(
                f"images feed only {key!r}; input {others[0]!r} ({fmt_spec(specs[others[0]])}) has "
                "no data: give it with an .npz or choose inputs without it"
            )
        raw = spec.dtype == "string"
        geometry = None if raw else self._geometry(key, spec)
        scaled = f"values scaled to {self.value_range}" if self.value_range else "values 0..255"
        size = "x".join(map(str, geometry[:3])) if geometry else ""
        how = "image file bytes, as they are" if raw else f"images decoded by {DECODER} to {size}"
        notes = [f"{key}: {how}" + ("" if raw else f", {scaled}")]
        for start in range(0, len(self.paths), self.batch_size):
            files = self.paths[start : start + self.batch_size]
            if raw:
                arr = bytes_array(f.read_bytes() for f in files)
                info = [f"{f.name}, {len(a)} bytes" for f, a in zip(files, arr)]
            else:
                arr, info = self._decode(files, spec, geometry)
            yield Batch({key: arr}, start, [f.name for f in files], info.__getitem__, notes)
            notes = []

    def _decode(
        self, files: list[Path], spec: TensorSpec, geometry: Any
    ) -> tuple[np.ndarray, list[str]]:
        import tensorflow as tf

        h, w, c, per = geometry
        want = numpy_dtype(spec.dtype)
        out = np.empty((len(files), *per), dtype=want)
        info = []
        for i, f in enumerate(files):
            try:
                img = tf.io.decode_image(f.read_bytes(), channels=c, expand_animations=False)
            except (tf.errors.OpError, OSError) as e:
                raise DataError(
                    f"{f}: image {self.paths.index(f)} does not decode ({first_line(e)}): "
                    "replace or remove the file"
                ) from None
            src = tuple(int(d) for d in img.shape)
            x = tf.image.resize(tf.cast(img, tf.float32), (h, w), method="bilinear").numpy()
            if self.value_range is not None and want.kind in "fc":
                lo, hi = self.value_range
                x = lo + x * ((hi - lo) / 255.0)
            if want.kind in "iu":
                x = np.clip(np.rint(x), 0, 255)
            out[i] = x.reshape(per).astype(want)
            info.append(f"{f.name}: {src[1]}x{src[0]}x{src[2]} -> {w}x{h}x{c}, mean {x.mean():.4g}")
        return out, info


class CsvSource(DataSource):
    """Rows of one or more CSV files with the same header: a column feeds the input its header
    names (``columns=`` maps others), ``[batch, k]`` inputs columns ``key[0]``.. (or ``key_0``..),
    cells parsed as the input's dtype; a string input a parse op reads gets a ``tf.Example`` per
    row from the columns named like features."""

    kind = "csv"

    def __init__(
        self, paths: list[Path], *, columns: Mapping[str, str] | None = None, **kwargs: Any
    ):
        super().__init__(paths, **kwargs)
        self.columns = dict(columns or {})

    def describe(self) -> str:
        return f"CSV {self._files()}"

    def _layout(
        self,
        header: list[str],
        specs: Mapping[str, TensorSpec],
        path: Path,
        required: list[str] | None,
        model: Any = None,
    ) -> tuple[dict[str, Any], list[str]]:
        """Input key -> column positions (in element order); the columns left unused."""
        names = {self.columns.get(h, h).strip(): i for i, h in enumerate(header)}
        found = _named(names, lambda name: _resolve(name, specs))
        layout: dict[str, Any] = {}
        for key in (k for k in specs if k in found):
            spec = specs[key]
            two = spec.shape is not None and len(spec.shape) == 2 and spec.shape[1] is not None
            width = int(spec.shape[1]) if two else 1
            if spec.kind != "dense":
                raise DataError(
                    f"{path}: input {key!r} is sparse ({fmt_spec(spec)}): a CSV cannot hold it; "
                    "give it as TFRecord tf.Example or as .npz/arrays"
                )
            layout[key] = _columns(found[key], width)
            if layout[key] is None:
                raise DataError(
                    f"{path}: input {key!r} is {fmt_spec(spec)} ({width} values per row) but the "
                    f"header gives other columns for it: name them {key}[0] .. {key}[{width - 1}]"
                    if width > 1
                    else f"{path}: input {key!r} is {fmt_spec(spec)}: give it one column "
                    f"named {key!r}"
                )
        for key, spec in specs.items():
            if key not in layout and model is not None and spec.dtype == "string":
                node = parser_of(model, spec.name)
                if node is not None and node.op in PARSE_EXAMPLE_OPS:
                    built = _ExampleColumns.of(names, parse_spec(model, node), path)
                    if built is not None:
                        layout[key] = built
        for key in required or []:
            if key not in layout:
                spec = specs[key]
                raise DataError(
                    f"{path}: no column for input {key!r} ({spec.name} {fmt_spec(spec)}): the "
                    f"header has {', '.join(header) or 'nothing'}; name a column {key!r} or pass "
                    "columns={'your column': key}"
                )
        if not layout:
            raise DataError(
                f"{path}: no column names an input ({', '.join(specs)}); the header has "
                f"{', '.join(header) or 'nothing'}: rename the columns or pass columns="
            )
        cols = [
            v.columns.values() if isinstance(v, _ExampleColumns) else [v] for v in layout.values()
        ]
        used = {p for ps in cols for c in ps for p in c}
        unused = [h for i, h in enumerate(header) if i not in used]
        return layout, unused

    def _rows(
        self, specs: Mapping[str, TensorSpec], required: list[str] | None, model: Any = None
    ) -> Iterator[tuple[str, list[str], dict[str, Any], list[str]]]:
        layout0: dict[str, Any] | None = None
        for path in self.paths:
            try:
                f = open(path, newline="", encoding="utf-8")  # noqa: SIM115 - closed below
            except OSError as e:
                raise DataError(f"{path}: cannot read ({e.strerror})") from None
            with f:
                reader = csv.reader(f)
                try:
                    header = next(reader)
                except StopIteration:
                    raise DataError(
                        f"{path} is empty: a CSV needs a header row naming the inputs"
                    ) from None
                except (csv.Error, UnicodeDecodeError) as e:
                    raise DataError(f"{path}: line 1: not CSV text ({e})") from None
                layout, unused = self._layout(header, specs, path, required, model)
                if layout0 is not None and layout != layout0:
                    raise DataError(
                        f"{path}: its header differs from {self.paths[0].name}'s: give files "
                        "with one header"
                    )
                layout0 = layout
                line = 1
                try:
                    for row in reader:
                        line = reader.line_num
                        if not row:
                            continue
                        if len(row) != len(header):
                            raise DataError(
                                f"{path}: line {line}: {len(row)} cells, the header has "
                                f"{len(header)}: fix the row"
                            )
                        yield f"{path.name}:{line}", row, layout, unused
                except (csv.Error, UnicodeDecodeError) as e:
                    raise DataError(f"{path}: line {line + 1}: not CSV text ({e})") from None

    def _batches(self, specs, model, required):  # noqa: ANN001 - see DataSource._batches
        for start, chunk in chunks(self._rows(specs, required, model), self.batch_size):
            notes = []
            if start == 0:
                _, _, layout, unused = chunk[0]
                built = [v for v in layout.values() if isinstance(v, _ExampleColumns)]
                notes = (
                    [f"CSV columns fed: {', '.join(layout)}"]
                    + [v.describe() for v in built]
                    + ([f"CSV columns not fed: {', '.join(unused)}"] if unused else [])
                )
            items = [(where, row) for where, row, _, _ in chunk]
            yield self._batch(items, start, layout, specs, notes)

    def _batch(self, items, start, layout, specs, notes) -> Batch:  # noqa: ANN001
        feeds: dict[str, Any] = {}
        summaries = None
        for key, positions in layout.items():
            spec = specs[key]
            if isinstance(positions, _ExampleColumns):
                feeds[key] = positions.serialized(items, self._file)
                summaries = positions
                continue
            want = numpy_dtype(spec.dtype)
            out = np.empty((len(items), len(positions)), dtype=want)
            for r, (where, row) in enumerate(items):
                for c, pos in enumerate(positions):
                    out[r, c] = _cell(row[pos], want, self._file(where), where, key, spec)
            feeds[key] = out.reshape(_shape(spec, len(items)))
        summarise = None if summaries is None else (lambda r: summaries.summary(items[r][1]))
        return Batch(feeds, start, [w for w, _ in items], summarise, notes)


def _named(names: Mapping[str, int], resolve: Callable[[str], str | None]) -> dict[str, Any]:
    """Key -> {element index (``None``: the whole value) -> column} for the columns ``names``
    (name -> column) calls ``key``, ``key[i]`` or ``key_i``; ``resolve``: name -> key or None."""
    out: dict[str, dict[int | None, int]] = {}
    for name, pos in names.items():
        key, idx = resolve(name), None
        m = _INDEXED.fullmatch(name) if key is None else None  # x[2] or x_2
        if m:
            key, idx = resolve(m.group(1)), int(m.group(2) or m.group(3))
        if key is not None:
            out.setdefault(key, {})[idx] = pos
    return out


def _columns(found: Mapping[int | None, int], width: int) -> list[int] | None:
    """The columns of a value of ``width`` elements (see :func:`_named`), or ``None``."""
    if width == 1 and None in found:
        return [found[None]]
    if width > 1 and all(i in found for i in range(width)):
        return [found[i] for i in range(width)]
    return None


def _resolve(name: str, specs: Mapping[str, TensorSpec]) -> str | None:
    """The input key a column name means: a key, a tensor name (``x`` for ``x:0``), an op name."""
    key = resolve_key(name, specs)
    if key is not None:
        return key
    for k, spec in specs.items():
        if spec.name and op_name(spec.name) == name and spec.name.endswith(":0"):
            return k
    return None


def _shape(spec: TensorSpec, rows: int) -> tuple[int, ...]:
    if spec.shape is None or len(spec.shape) == 1:
        return (rows,)
    return (rows, *(d or 1 for d in spec.shape[1:])) if spec.shape else ()


def _cell(text: str, want: np.dtype, path: str, where: str, key: str, spec: TensorSpec) -> Any:
    if want.kind == "O":
        return text.encode("utf-8")
    s = text.strip()
    try:
        if want.kind == "b":
            if s.lower() not in _TRUE | _FALSE:
                raise ValueError(s)
            return s.lower() in _TRUE
        if want.kind in "iu":
            return int(s)
        return float(s)
    except ValueError:
        line = where.rpartition(":")[2]
        what = "an empty cell" if not s else repr(text[:40])
        raise DataError(
            f"{path}: line {line}: column for {'feature' if spec.shape is None else 'input'} "
            f"{key!r}: {what} is not a {spec.dtype}"
            + (f" (input {fmt_spec(spec)})" if spec.shape is not None else "")
            + ": fix the cell"
        ) from None


@dataclass
class _ExampleColumns:
    """Columns that make one serialized tf.Example per row for a parse op's features."""

    spec: ParseSpec = field(compare=False)
    columns: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, names: dict[str, int], spec: ParseSpec, path: Path) -> _ExampleColumns | None:
        feats = spec.features()
        found = _named(names, lambda name: name if name in feats else None)
        columns: dict[str, list[int]] = {}
        for key, (kind, _dtype, shape, _required) in feats.items():
            width = int(np.prod(shape)) if kind == "dense" and shape else 1
            if (cols := _columns(found.get(key, {}), width)) is not None:
                columns[key] = cols
        if not columns:
            return None
        for key, (kind, dtype, shape, required) in feats.items():
            if required and key not in columns:
                raise DataError(
                    f"{path}: no column for feature {key!r} ({kind} {dtype}{list(shape or ())}, "
                    f"no default), which {spec.label} needs: add it to the CSV"
                )
        return cls(spec, columns)

    def describe(self) -> str:
        return f"a tf.Example per row for {self.spec.label} from columns {', '.join(self.columns)}"

    def serialized(
        self, items: list[tuple[str, list[str]]], file_of: Callable[[str], str]
    ) -> np.ndarray:
        from tensorflow.core.example import example_pb2

        feats = self.spec.features()
        out = np.empty(len(items), dtype=object)
        for r, (where, row) in enumerate(items):
            ex = example_pb2.Example()
            for key, positions in self.columns.items():
                kind, dtype, shape, required = feats[key]
                cells = [row[p].strip() for p in positions]
                if all(c == "" for c in cells) and not (required and kind == "dense"):
                    continue  # no value: empty var-len feature, or the dense default
                want = numpy_dtype(dtype)
                spec = TensorSpec(key, dtype, None)
                values = [_cell(c, want, file_of(where), where, key, spec) for c in cells]
                kind_list = LIST_OF.get(dtype, "float_list")
                getattr(ex.features.feature[key], kind_list).value.extend(values)
            out[r] = ex.SerializeToString()
        return out

    def summary(self, row: list[str]) -> str:
        return clip(
            "; ".join(f"{k}: {', '.join(row[p] for p in ps)}" for k, ps in self.columns.items())
        )


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
    """A lazy, batched source of feeds (see the module docstring). ``source``: a path, glob or
    list of paths (TFRecord, ``.csv``, a folder of images, ``.npz``/``.npy``), a dict of arrays
    (key -> array or ``SparseValue``) or a :class:`DataSource` (returned as is). ``kind``:
    ``tfrecord``/``csv``/``images``/``npz``/``npy``/``arrays`` (default: by extension;
    ``.tfrecord``/``.tfrecords``/``.tfr``/``.gz`` are TFRecord). ``batch_size``: records per batch
    (memory holds one); ``limit``: at most this many; ``key``: the input fed (images, ``.npy``,
    serialized examples) when several could be; ``compression``: ``GZIP``/``ZLIB``/``None``/
    ``auto`` (``.gz`` GZIP, ``.zlib``/``.zz`` ZLIB); ``columns``: CSV column -> input key or
    tensor name; ``image_size``: ``(height, width)`` when the input's shape does not say;
    ``value_range``: the pixel range image floats are scaled to (default: 0..255 as decoded).
    Raises DataError: no such file, no match for the glob, an unknown kind."""
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
        return TFRecordSource(paths, compression=compression, **common)
    if kind == "csv":
        return CsvSource(paths, columns=columns, **common)
    if kind == "images":
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
        images = p.is_dir() and any(
            f.suffix.lower() in IMAGE_EXT and f.is_file() for f in p.iterdir()
        )
        if p.is_dir() and not images:
            records = sorted(f for f in p.iterdir() if f.is_file() and _looks_tfrecord(f.name))
            if not records:
                raise DataError(
                    f"{p} is a folder with neither images ({', '.join(IMAGE_EXT)}) nor TFRecord "
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
    for suffix in COMPRESSED:
        low = low.removesuffix(suffix)
    return low.endswith(_TFRECORD_EXT) or "tfrecord" in low


def _kind_of(paths: list[Path]) -> str:
    p = paths[0]
    name = p.name.lower()
    if p.is_dir() or name.endswith(IMAGE_EXT):
        return "images"
    if p.suffix.lower() in COMPRESSED and not name.removesuffix(p.suffix.lower()).endswith(".csv"):
        return "tfrecord"
    for ends in (_TFRECORD_EXT, ".csv", ".npz", ".npy"):
        if name.endswith(ends):
            return "tfrecord" if ends == _TFRECORD_EXT else ends[1:]
    raise DataError(
        f"{p}: cannot tell the kind of data from the name: pass kind= one of {', '.join(KINDS)} "
        "(CLI: --data-kind)"
    )
