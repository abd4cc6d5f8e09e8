"""Sample rules for string inputs a decoder reads (``DecodeWav``, images, ``DecodeCSV``,
``ParseTensor``): valid encodings built from the op's attributes, not random bytes."""

from __future__ import annotations

import io
import math
import struct
import wave
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from explorer._tf import tf
from explorer.feeding.generators import random_strings, random_values
from explorer.feeding.shape_inference import needed_shape
from explorer.feeding.tf_example import DTYPES, SAMPLE_RULES, Context, Rule, node_attr, sample_rule

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

WAV_RATE = 16000  # samples per second written into generated WAV files
WAV_SAMPLES = 16000  # samples when DecodeWav does not ask for a number
IMAGE_SIZE = 32  # height and width of generated images when nothing downstream fixes them


@dataclass
class WavRule(Rule):
    """16-bit PCM WAV files of ``samples`` frames and ``channels`` channels (quiet noise)."""

    op_name: str
    samples: int
    channels: int
    rate: int = WAV_RATE

    scalar = True

    def bytes_per_item(self) -> int:
        return 44 + 2 * self.samples * self.channels

    def describe(self) -> str:
        return (
            f"WAV files for DecodeWav {self.op_name!r}: {self.samples} samples, "
            f"{self.channels} channel(s), {self.rate} Hz, 16-bit PCM"
        )

    def item(self, rng, value_range, ranges):  # noqa: ANN001 - see Rule.item
        lo, hi = max(value_range[0], -1.0), min(value_range[1], 1.0)
        x = rng.uniform(lo, hi, (self.samples, self.channels)) * 0.5
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(self.channels)
            w.setsampwidth(2)
            w.setframerate(self.rate)
            w.writeframes((x * 32767).astype("<i2").tobytes())
        return buf.getvalue()


@sample_rule("DecodeWav")
def _decode_wav(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    if index != 0:
        return None
    n = _int_attr(node, "desired_samples", WAV_SAMPLES)
    return WavRule(node.name, n, _int_attr(node, "desired_channels", 1))


@dataclass
class ImageRule(Rule):
    """Encoded images (``png``, ``jpeg`` or ``bmp``) of ``height`` x ``width`` x ``channels``."""

    op_type: str
    op_name: str
    fmt: str
    channels: int
    height: int = IMAGE_SIZE
    width: int = IMAGE_SIZE
    dtype: str = "uint8"

    scalar = True

    def bytes_per_item(self) -> int:
        return 128 + self.height * self.width * self.channels * (2 if self.dtype == "uint16" else 1)

    def describe(self) -> str:
        return (
            f"{self.fmt.upper()} images for {self.op_type} {self.op_name!r}: "
            f"{self.height}x{self.width}x{self.channels}"
        )

    def item(self, rng, value_range, ranges):  # noqa: ANN001 - see Rule.item
        high = 65536 if self.dtype == "uint16" else 256
        pixels = rng.integers(0, high, (self.height, self.width, self.channels))
        pixels = pixels.astype(np.uint16 if self.dtype == "uint16" else np.uint8)
        if self.fmt == "bmp":
            return _bmp(pixels)
        if self.fmt == "jpeg":
            return bytes(tf().io.encode_jpeg(pixels).numpy())
        return bytes(tf().io.encode_png(pixels).numpy())


def _bmp(pixels: np.ndarray) -> bytes:
    """A 24-bit (3 channels) or 32-bit (4) uncompressed BMP; 1 channel is written as 3."""
    h, w, c = pixels.shape
    if c == 1:
        pixels = np.repeat(pixels, 3, axis=2)
        c = 3
    bgr = pixels[::-1, :, [2, 1, 0] + ([3] if c == 4 else [])].astype(np.uint8)
    row = w * c
    pad = (4 - row % 4) % 4
    data = b"".join(bgr[y].tobytes() + b"\0" * pad for y in range(h))
    header = struct.pack("<2sIHHI", b"BM", 54 + len(data), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 8 * c, 0, len(data), 2835, 2835, 0, 0)
    return header + info + data


def _int_attr(node: NodeDef, name: str, default: int) -> int:
    """A positive int attribute, else ``default`` (0 or absent: the op decides)."""
    a = node_attr(node, name)
    return int(a.i) if a is not None and a.i > 0 else default


_IMAGE_FORMATS = {"DecodeJpeg": "jpeg", "DecodeAndCropJpeg": "jpeg", "ExtractJpegShape": "jpeg"}
_IMAGE_FORMATS |= {"DecodePng": "png", "DecodeImage": "png", "DecodeBmp": "bmp"}


def _decode_image(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    if index != 0:
        return None
    fmt = _IMAGE_FORMATS[node.op]
    channels = _int_attr(node, "channels", 3)
    if fmt == "jpeg" and channels not in (1, 3):
        channels = 3
    a = node_attr(node, "dtype")
    wide = node.op == "DecodePng" and a is not None and a.type == 17  # DT_UINT16
    return ImageRule(node.op, node.name, fmt, channels, dtype="uint16" if wide else "uint8")


SAMPLE_RULES.add(_decode_image, *_IMAGE_FORMATS, name="encoded image")


@dataclass
class CsvRule(Rule):
    """CSV lines with one field per ``DecodeCSV`` column, of the column's type."""

    op_name: str
    types: tuple[str, ...]
    delim: str = ","

    def bytes_per_item(self) -> int:
        return 16 + 12 * len(self.types)

    def describe(self) -> str:
        return f"CSV lines for DecodeCSV {self.op_name!r}: {', '.join(self.types)}"

    def item(self, rng, value_range, ranges):  # noqa: ANN001 - see Rule.item
        fields = []
        for t in self.types:
            if t.startswith("float"):
                fields.append(f"{rng.uniform(*value_range):.6g}")
            elif t.startswith("int"):
                fields.append(str(int(rng.integers(0, 8))))
            else:
                fields.append(random_strings(rng, ()).item().decode())
        return self.delim.join(fields).encode()


@sample_rule("DecodeCSV")
def _decode_csv(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    if index != 0:
        return None
    out = node_attr(node, "OUT_TYPE")
    types = [DTYPES.get(int(t), "string") for t in out.list.type] if out is not None else []
    sel = node_attr(node, "select_cols")
    cols = list(sel.list.i) if sel is not None else []
    if cols:  # the line holds every column up to the last selected; others are strings
        by_col = dict(zip(cols, types))
        types = [by_col.get(i, "string") for i in range(max(cols) + 1)]
    d = node_attr(node, "field_delim")
    delim = d.s.decode() if d is not None and d.s else ","
    return CsvRule(node.name, tuple(types), delim)


@dataclass
class TensorProtoRule(Rule):
    """Serialized ``TensorProto`` of ``dtype`` and ``shape`` for ``ParseTensor``."""

    op_name: str
    dtype: str
    shape: tuple[int, ...]

    scalar = True

    def bytes_per_item(self) -> int:
        return 32 + 8 * math.prod(self.shape)

    def describe(self) -> str:
        what = f"{self.dtype}{list(self.shape)}"
        return f"serialized {what} TensorProto for ParseTensor {self.op_name!r}"

    def item(self, rng, value_range, ranges):  # noqa: ANN001 - see Rule.item
        from tensorflow.python.framework import tensor_util

        value = random_values(rng, self.dtype, self.shape, value_range)
        if self.dtype == "string":
            value = np.asarray(value.tolist(), dtype=object)
        return tensor_util.make_tensor_proto(value).SerializeToString()


@sample_rule("ParseTensor")
def _parse_tensor(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    if index != 0:
        return None
    t = node_attr(node, "out_type")
    dtype = DTYPES.get(int(t.type), "float32") if t is not None else "float32"
    shape = needed_shape(ctx.model, f"{node.name}:0") or (2,)
    return TensorProtoRule(node.name, dtype, shape)
