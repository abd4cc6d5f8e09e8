"""``convert(..., to="onnx")``: each signature's pruned function, frozen, through tf2onnx's
``from_graph_def`` (v1 loops convert there) -> :class:`OnnxModel`, run by :class:`OnnxRunner`."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import logging
import logging.handlers
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from explorer._tf import tf
from explorer.conversion.v2_model import ConvertedSignature, V2Model, V2Runner
from explorer.errors import ConversionError, ModelNotFoundError, SessionError, first_line
from explorer.feeding.feeds import numpy_dtype
from explorer.graph.op_families import RESOURCE_ASSIGN_OPS, V1_CONTROL_FLOW_OPS
from explorer.loading.model import V1Model, pick_signature
from explorer.output_policy import staged_folder
from explorer.running.base import Runner
from explorer.running.deadline import bounded
from explorer.running.session import RUN_FIX, fed_text

OPSET = 17  # pinned: what tf2onnx 1.17 writes and onnxruntime 1.31 runs
TARGETS = ("saved_model", "onnx")
META_FILE = "tf1_explorer_onnx.json"  # beside the NAME.onnx files
# tf2onnx's words for an op it skips, fails on, or TensorFlow refuses while it optimises
_UNSUPPORTED = re.compile(r": (\w+)\] is not supported|\nop: \"(\w+)\"|\}\} = (\w+)\[")


def _missing(module: str | None) -> str:
    return (
        f"ONNX export needs the optional extra onnx ({module} is not installed): "
        "pip install tf1-explorer[onnx]"
    )


def onnx_missing() -> str:
    """Why ONNX export is unavailable, in one line (``""``: it is not); imports nothing."""
    gone = [m for m in ("onnx", "onnxruntime", "tf2onnx") if importlib.util.find_spec(m) is None]
    return _missing(gone[0]) if gone else ""


def onnx_libs() -> tuple[Any, Any, Any]:
    """``(tf2onnx, onnx, onnxruntime)``; ``ConversionError`` naming the extra when missing."""
    try:
        import onnx
        import onnxruntime
        import tf2onnx
    except ImportError as e:
        raise ConversionError(_missing(e.name)) from None
    return tf2onnx, onnx, onnxruntime


def check_target(to: str) -> None:
    """Refuse an unknown ``to=`` target, or ``onnx`` without its extra, before any work."""
    if to not in TARGETS:
        raise ConversionError(f"to={to!r}: convert to one of {', '.join(TARGETS)}")
    if to == "onnx":
        onnx_libs()


def _no_handler(fn: Any) -> set[str]:
    """Op types of ``fn`` tf2onnx has no handler for (its rewriters take v1 loops and conds)."""
    from tf2onnx.handler import tf_op

    known = {op for opsets in tf_op.get_opsets().values() for ops in opsets for op in ops}
    types = {op.type for op in fn.graph.get_operations()}
    return {t for t in types - known - V1_CONTROL_FLOW_OPS if not t.startswith("TensorArray")}


def to_onnx(v2: V2Model, opset: int = OPSET) -> OnnxModel:
    """Every converted signature of ``v2`` exported to ONNX, open in onnxruntime."""
    tf2onnx, onnx, ort = onnx_libs()
    from tensorflow.python.framework import convert_to_constants

    # the pruned functions (frozen: the tf.function); refused before any is exported
    fns = {k: f if hasattr(f, "graph") else v2.functions[k] for k, f in v2._pruned.items()}
    why = {}
    for name, fn in fns.items():
        updates = sorted({op.type for op in fn.graph.get_operations()} & RESOURCE_ASSIGN_OPS)
        if updates or not v2.signatures[name].inputs:
            why[name] = f"updates variables ({', '.join(updates)})" if updates else "has no input"
    if why:
        raise ConversionError(
            f"{v2.source.path}: signature {'; '.join(f'{k!r} {w}' for k, w in why.items())}: "
            "ONNX holds no variables and computes from inputs; leave it out (CLI: --signature)"
        )
    protos, sessions = {}, {}
    for name, fn in fns.items():
        sig = v2.signatures[name]
        logs, log = logging.handlers.BufferingHandler(1 << 30), logging.getLogger("tf2onnx")
        log.addHandler(logs)  # it logs each op it skips, and goes on: the refusal names them
        log.propagate = False
        try:
            frozen = convert_to_constants.convert_variables_to_constants_v2(fn)
            ins = [t.name for t in frozen.inputs[: len(sig.inputs)]]
            outs = [t.name for t in frozen.outputs]
            keys = tf().nest.flatten({k: k for k in fn.structured_outputs})
            proto, _ = tf2onnx.convert.from_graph_def(
                frozen.graph.as_graph_def(),
                input_names=ins,
                output_names=outs,
                opset=opset,
                tensors_to_rename={**dict(zip(ins, sig.inputs)), **dict(zip(outs, keys))},
            )
            bad = {n.op_type for n in proto.graph.node if not onnx.defs.has(n.op_type, n.domain)}
            if not bad:
                sessions[name] = _session(ort, proto.SerializeToString())
        except Exception as e:  # noqa: BLE001 - tf2onnx and onnxruntime raise anything
            said = " ".join([str(e), *(r.getMessage() for r in logs.buffer)])
            bad = {next(g for g in m.groups() if g) for m in _UNSUPPORTED.finditer(said)}
            bad = bad or _no_handler(fn) or {f"({first_line(e, 160)})"}
        finally:
            log.removeHandler(logs)
            log.propagate = True
        if bad:
            raise ConversionError(
                f"signature {name!r} of {v2.source.path} cannot be exported to ONNX: tf2onnx "
                f"{tf2onnx.__version__} (opset {opset}) does not convert {', '.join(sorted(bad))}: "
                "convert to a TF2 SavedModel instead "
                "(to='saved_model', CLI: drop --to onnx) or only signatures/outputs without them"
            ) from None
        protos[name] = proto
    return OnnxModel(v2.source, {k: v2.signatures[k] for k in protos}, protos, sessions, opset)


def _session(ort: Any, model: bytes | str) -> Any:
    """An onnxruntime CPU session, its warnings silenced (errors are raised, and said once)."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _file(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name) + ".onnx"


@dataclasses.dataclass(repr=False)
class OnnxModel:
    """A TF1 model exported to ONNX: signature name -> ``onnx.ModelProto`` (``protos``, named by
    the TF2 keys of ``signatures``) and its onnxruntime session (``sessions``)."""

    source: V1Model
    signatures: dict[str, ConvertedSignature]
    protos: dict[str, Any]
    sessions: dict[str, Any]
    opset: int = OPSET

    def summary(self, output_dir: str | os.PathLike[str] | None = None) -> dict[str, Any]:
        """The ``convert --to onnx --json`` object: output_dir, signatures, opset, files."""
        return {
            "output_dir": None if output_dir is None else str(output_dir),
            "signatures": sorted(self.signatures),
            "opset": self.opset,
            "files": {k: _file(k) for k in self.signatures},
        }

    def save(self, out_dir: str | os.PathLike[str], overwrite: bool = False) -> Path:
        """Write ``NAME.onnx`` per signature and :data:`META_FILE` to ``out_dir`` (all or none)."""
        signatures = {k: s.to_json() for k, s in self.signatures.items()}
        with staged_folder(out_dir, self.source, overwrite, "ONNX model") as staging:
            meta = {**self.summary(), "signatures": signatures}
            try:
                for name, proto in self.protos.items():
                    (staging.path / _file(name)).write_bytes(proto.SerializeToString())
                (staging.path / META_FILE).write_text(json.dumps(meta, indent=1))
            except OSError as e:
                raise ConversionError(
                    f"writing the ONNX model of {self.source.path} to {staging.target} failed: "
                    f"{first_line(e)}"
                ) from None
            return staging.publish()


class OnnxRunner(V2Runner):
    """Runs ``signature`` of an :class:`OnnxModel` (or its saved folder) in onnxruntime (CPU)."""

    name = "onnx"

    def __init__(self, model: OnnxModel | str | os.PathLike[str], *, signature: str | None = None):
        Runner.__init__(self)
        self.v2_model, self.path, self._session = None, None, None
        if isinstance(model, OnnxModel):
            self.v2_model, sigs = model, model.signatures  # its source samples (V2Runner.sample)
        else:
            self.path = Path(model).expanduser().resolve()
            if not (self.path / META_FILE).is_file():
                raise ModelNotFoundError(
                    f"{self.path} is not an ONNX export of tf1-explorer (no {META_FILE}): give "
                    "OnnxModel.save's output folder or an OnnxModel"
                )
            found = json.loads((self.path / META_FILE).read_text())["signatures"]
            sigs = {k: ConvertedSignature.from_json(k, d) for k, d in found.items()}
        self.converted = pick_signature(sigs, signature, self.path or model.source.path)
        self.signature_name = self.converted.name

    def _start(self) -> None:
        name = self.converted.name
        if self.v2_model is not None:
            self._session = self.v2_model.sessions[name]
            return
        file = self.path / _file(name)
        try:
            self._session = _session(onnx_libs()[2], str(file))
        except Exception as e:  # noqa: BLE001 - onnxruntime's own exception types
            raise SessionError(f"onnxruntime cannot open {file}: {first_line(e)}") from None

    def _stop(self) -> None:
        self._session = None

    def _call(self, c: ConvertedSignature, flat: dict[str, Any]) -> Any:
        args = {k: np.asarray(flat[k], dtype=numpy_dtype(s.dtype)) for k, s in c.inputs.items()}
        session, where = self._session, self.path or self.v2_model.source.path
        try:
            raw = bounded(lambda: session.run(None, args), None, f"ONNX {c.name!r}", where)
        except Exception as e:  # noqa: BLE001 - onnxruntime's own exception types
            raise SessionError(
                f"ONNX signature {c.name!r} ({where}) failed: {first_line(e)}; fed "
                f"{fed_text(args)}",
                RUN_FIX,
            ) from None
        return dict(zip((o.name for o in session.get_outputs()), raw))


def runner_for(model: Any, signature: str | None = None) -> Runner:
    """:class:`OnnxRunner` for an :class:`OnnxModel` or its saved folder, else :class:`V2Runner`."""
    if isinstance(model, OnnxModel) or (
        not isinstance(model, V2Model) and (Path(model) / META_FILE).is_file()
    ):
        return OnnxRunner(model, signature=signature)
    return V2Runner(model, signature=signature)
