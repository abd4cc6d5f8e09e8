"""Typed descriptions of tensors, signatures and variables, and their parsing from protobufs."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from explorer.graph.names import dtype_name


@dataclass(frozen=True)
class TensorSpec:
    """One input or output tensor ``op:idx``, ``dense``, ``sparse`` or ``composite``."""

    name: str
    dtype: str
    shape: tuple[int | None, ...] | None
    kind: str = "dense"
    components: tuple[str, ...] = ()

    @property
    def tensors(self) -> tuple[str, ...]:
        """The graph tensors behind it: its ``components`` (sparse, composite), else ``name``."""
        return tuple(n for n in self.components or (self.name,) if n)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "dtype": self.dtype, "shape": _listed(self.shape)}
        if self.kind != "dense":
            out.update(kind=self.kind, components=list(self.components))
        return out


@dataclass(frozen=True)
class Signature:
    name: str
    method: str
    inputs: dict[str, TensorSpec]
    outputs: dict[str, TensorSpec]

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "inputs": {k: v.to_json() for k, v in self.inputs.items()},
            "outputs": {k: v.to_json() for k, v in self.outputs.items()},
        }


@dataclass(frozen=True)
class Variable:
    """A variable of the graph: op name, dtype, shape, ``ref`` (VariableV2) or ``resource``."""

    name: str
    dtype: str
    shape: tuple[int | None, ...] | None
    kind: str

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "shape": _listed(self.shape)}


def spec_tensors(specs: Mapping[str, TensorSpec]) -> list[str]:
    """The graph tensors of ``specs`` (a sparse spec's components), in order."""
    return [t for s in specs.values() for t in s.tensors]


def _listed(shape: tuple[int | None, ...] | None) -> list[int | None] | None:
    return None if shape is None else list(shape)


def shape_of(shape_proto: Any) -> tuple[int | None, ...] | None:
    if shape_proto.unknown_rank:
        return None
    return tuple(None if d.size < 0 else int(d.size) for d in shape_proto.dim)


def static_shape(shape: Any) -> tuple[int | None, ...] | None:
    """A TensorFlow ``TensorShape`` as a tuple (``None``: unknown rank)."""
    return None if shape.rank is None else tuple(shape.as_list())


def spec_of(name: str, t: Any) -> TensorSpec:
    """The dense spec of a graph tensor or ``tf.TensorSpec`` (dtype without ``_ref``)."""
    return TensorSpec(name, t.dtype.base_dtype.name, static_shape(t.shape))


def tensor_spec_of(info: Any) -> TensorSpec:
    """A :class:`TensorSpec` from a SignatureDef ``TensorInfo`` (dense, coo_sparse, composite)."""
    dtype = dtype_name(info.dtype)
    shape = shape_of(info.tensor_shape) if info.HasField("tensor_shape") else None
    enc = info.WhichOneof("encoding")
    if enc == "coo_sparse":
        c = info.coo_sparse
        parts = (c.indices_tensor_name, c.values_tensor_name, c.dense_shape_tensor_name)
        return TensorSpec(c.values_tensor_name, dtype, shape, "sparse", parts)
    if enc == "composite_tensor":
        parts = tuple(t.name for t in info.composite_tensor.components)
        return TensorSpec(parts[0] if parts else "", dtype, shape, "composite", parts)
    return TensorSpec(info.name, dtype, shape)


def signatures_of(mg: Any) -> dict[str, Signature]:
    """A MetaGraph's signatures by name, inputs and outputs sorted by key (``{}`` for ``None``)."""
    out = {}
    for name in sorted(mg.signature_def) if mg is not None else []:
        sd = mg.signature_def[name]
        if name != "__saved_model_init_op":
            specs = [{k: tensor_spec_of(s[k]) for k in sorted(s)} for s in (sd.inputs, sd.outputs)]
            out[name] = Signature(name, sd.method_name, *specs)
    return out
