"""CSV files as feeds: a column feeds the input its header names (``columns=`` maps others),
``[batch, k]`` inputs columns ``key[0]``.. (or ``key_0``..), cells parsed as the input's dtype; a
string input a parse op reads gets a ``tf.Example`` per row from the columns named like features."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from explorer.errors import DataError
from explorer.feeding.data.base import Batch, DataSource, chunks, clip
from explorer.feeding.data.tfrecord import LIST_OF, ParseSpec, parse_spec, parser_of
from explorer.feeding.feeds import fmt_spec, numpy_dtype, resolve_key
from explorer.graph.names import op_name
from explorer.graph.op_families import PARSE_EXAMPLE_OPS
from explorer.graph.specs import TensorSpec

_INDEXED = re.compile(r"(.+?)(?:\[(\d+)\]|_(\d+))")
_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}


class CsvSource(DataSource):
    """Rows of one or more CSV files with the same header (see the module docstring)."""

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
