"""Sample rules for string inputs a decoder reads (``DecodeWav``, images, ``DecodeCSV``,
``ParseTensor``): valid encodings built from the op's attributes, not random bytes."""

from __future__ import annotations

import io
import math
import struct
import wave
from typing import TYPE_CHECKING, Any

import numpy as np

from explorer._tf import tf
from explorer.feeding.generators import random_strings, random_values
from explorer.feeding.shape_inference import needed_shape
from explorer.feeding.tf_example import (
    SAMPLE_RULES,
    Context,
    Rule,
    dtype_names,
    each,
    node_attr,
    sample_rule,
)
from explorer.graph.names import dtype_name

if TYPE_CHECKING:
    from tensorflow.core.framework.node_def_pb2 import NodeDef

WAV_RATE = 16000  # samples per second written into generated WAV files
WAV_SAMPLES = 16000  # samples when DecodeWav does not ask for a number
IMAGE_SIZE = 32  # height and width of generated images when nothing downstream fixes them


def _int_attr(node: NodeDef, name: str, default: int) -> int:
    """A positive int attribute, else ``default`` (0 or absent: the op decides)."""
    a = node_attr(node, name)
    return int(a.i) if a is not None and a.i > 0 else default


def _wav(rng: np.random.Generator, value_range: tuple[float, float], shape: tuple) -> bytes:
    """A 16-bit PCM WAV file of ``shape`` (samples, channels): quiet noise."""
    lo, hi = max(value_range[0], -1.0), min(value_range[1], 1.0)
    x = rng.uniform(lo, hi, shape) * 0.5
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(shape[1])
        w.setsampwidth(2)
        w.setframerate(WAV_RATE)
        w.writeframes((x * 32767).astype("<i2").tobytes())
    return buf.getvalue()


@sample_rule("DecodeWav")
def _decode_wav(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    if index != 0:
        return None
    n, ch = _int_attr(node, "desired_samples", WAV_SAMPLES), _int_attr(node, "desired_channels", 1)
    text = (
        f"WAV files for DecodeWav {node.name!r}: {n} samples, {ch} channel(s), {WAV_RATE} Hz, "
        "16-bit PCM"
    )
    return Rule(text, 44 + 2 * n * ch, each(lambda rng, vr, _: _wav(rng, vr, (n, ch))), ())


def _image(rng: np.random.Generator, fmt: str, shape: tuple, dtype: type) -> bytes:
    """An encoded image (``png``, ``jpeg`` or ``bmp``) of random pixels of ``shape`` (h, w, c)."""
    pixels = rng.integers(0, np.iinfo(dtype).max + 1, shape).astype(dtype)
    if fmt == "bmp":
        return _bmp(pixels)
    encode = tf().io.encode_jpeg if fmt == "jpeg" else tf().io.encode_png
    return bytes(encode(pixels).numpy())


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
    shape = (IMAGE_SIZE, IMAGE_SIZE, channels)
    text = f"{fmt.upper()} images for {node.op} {node.name!r}: {'x'.join(map(str, shape))}"
    size = 128 + IMAGE_SIZE * IMAGE_SIZE * channels * (2 if wide else 1)
    dtype = np.uint16 if wide else np.uint8
    return Rule(text, size, each(lambda rng, *_: _image(rng, fmt, shape, dtype)), ())


SAMPLE_RULES.add(_decode_image, *_IMAGE_FORMATS, name="encoded image")


def _csv_line(rng: np.random.Generator, value_range: Any, types: list[str], delim: str) -> bytes:
    """One CSV line with a field of each column's type."""
    fields = []
    for t in types:
        if t.startswith("float"):
            fields.append(f"{rng.uniform(*value_range):.6g}")
        elif t.startswith("int"):
            fields.append(str(int(rng.integers(0, 8))))
        else:
            fields.append(random_strings(rng, ()).item().decode())
    return delim.join(fields).encode()


@sample_rule("DecodeCSV")
def _decode_csv(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    if index != 0:
        return None
    types = dtype_names(node, "OUT_TYPE")
    sel = node_attr(node, "select_cols")
    cols = list(sel.list.i) if sel is not None else []
    if cols:  # the line holds every column up to the last selected; others are strings
        by_col = dict(zip(cols, types))
        types = [by_col.get(i, "string") for i in range(max(cols) + 1)]
    d = node_attr(node, "field_delim")
    delim = d.s.decode() if d is not None and d.s else ","
    text = f"CSV lines for DecodeCSV {node.name!r}: {', '.join(types)}"
    return Rule(
        text, 16 + 12 * len(types), each(lambda rng, vr, _: _csv_line(rng, vr, types, delim))
    )


def _tensor_proto(rng: np.random.Generator, value_range: Any, dtype: str, shape: tuple) -> bytes:
    from tensorflow.python.framework import tensor_util

    value = random_values(rng, dtype, shape, value_range)
    if dtype == "string":
        value = np.asarray(value.tolist(), dtype=object)
    return tensor_util.make_tensor_proto(value).SerializeToString()


@sample_rule("ParseTensor")
def _parse_tensor(ctx: Context, node: NodeDef, index: int) -> Rule | None:
    if index != 0:
        return None
    t = node_attr(node, "out_type")
    dtype = dtype_name(t.type) if t is not None else "float32"
    shape = needed_shape(ctx.model, f"{node.name}:0") or (2,)
    text = f"serialized {dtype}{list(shape)} TensorProto for ParseTensor {node.name!r}"
    make = each(lambda rng, vr, _: _tensor_proto(rng, vr, dtype, shape))
    return Rule(text, 32 + 8 * math.prod(shape), make, ())
