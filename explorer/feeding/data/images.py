"""A folder of images (name order) as the feed of a ``[batch, H, W, C]``, ``[batch, H, W]`` or
``[batch, H*W*C]`` input: decoded, resized bilinearly to H x W; a string input gets the bytes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from explorer.errors import DataError, first_line
from explorer.feeding.data.base import IMAGE_EXT, Batch, DataSource
from explorer.feeding.feeds import bytes_array, fmt_spec, numpy_dtype
from explorer.graph.specs import TensorSpec

DECODER = "TensorFlow (tf.io.decode_image, tf.image.resize bilinear)"


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
        per = (h, w, c) if len(shape) == 4 else (h, w)
        return h, w, c, per

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
