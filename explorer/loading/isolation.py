"""Import a model's graph into a fresh ``tf.Graph`` (:func:`import_into`), the one init-op choice;
untrusted graphs are imported in a child process first (:func:`preflight`): a TF ``CHECK`` abort is
an error here (``TF1_EXPLORER_ISOLATE=0``: off; ``TF1_EXPLORER_IMPORT_TIMEOUT``: the limit, s)."""

from __future__ import annotations

import atexit
import contextlib
import copy
import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from explorer._tf import quiet_env, tf, tf1, verbose
from explorer.errors import (
    MissingVariablesError,
    ModelFormatError,
    SessionError,
    TensorNotFoundError,
    first_line,
    plain,
)
from explorer.graph import protos
from explorer.graph.names import op_name, tensor_name
from explorer.graph.op_families import PLACEHOLDER_OPS
from explorer.graph.runtime import absent_type, all_nodes
from explorer.loading.model import V1Model, init_ops, meta_graph_with
from explorer.loading.replacements import apply_replacements

if TYPE_CHECKING:
    import tensorflow as tf_types
    from tensorflow.core.framework.graph_pb2 import GraphDef
    from tensorflow.core.framework.node_def_pb2 import NodeDef

    from explorer.graph.specs import Variable


def prepare_graph_def(model: V1Model, *, writable: bool = False) -> GraphDef:
    """The model's GraphDef ready to import here: pins to absent devices cleared, and scalar
    placeholder shapes of producers <= 21 read as unknown. A changed copy; the model's own proto
    (not to be changed) when nothing changes, unless ``writable`` (saves a copy of a big graph)."""
    gd = model.graph_def

    def old_scalar(node: NodeDef) -> bool:
        if model.producer > 21 or node.op not in PLACEHOLDER_OPS or "shape" not in node.attr:
            return False
        s = node.attr["shape"].shape
        return not s.unknown_rank and len(s.dim) == 0

    pinned = any(absent_type(n.device) for n in all_nodes(gd))
    if not (writable or pinned or any(map(old_scalar, gd.node))):
        return gd
    gd = copy.deepcopy(gd)
    for node in all_nodes(gd):
        if absent_type(node.device):
            node.device = ""
    for node in filter(old_scalar, gd.node):
        node.attr["shape"].shape.unknown_rank = True
    return gd


def import_into(model: V1Model, graph: tf_types.Graph) -> None:
    """Import the model's prepared graph into ``graph`` (SessionError, ModelFormatError)."""
    # import_graph_def adds default attrs to the GraphDef it is given; a MetaGraph imports a copy
    gd = prepare_graph_def(model, writable=model.meta_graph is None)
    try:
        with graph.as_default():
            if model.replacements:  # nodes of replaced op types: imported here, in waves
                gd = apply_replacements(model, gd, graph)
            if model.meta_graph is not None:
                mg = meta_graph_with(model.meta_graph, gd)
                tf1().train.import_meta_graph(mg, clear_devices=False)
            else:
                tf1().import_graph_def(gd, name="")
    except (ValueError, TypeError, tf().errors.OpError) as e:
        raise SessionError(
            f"{model.path}: the graph does not import into TensorFlow {tf().__version__} "
            f"({first_line(e)}): run explorer.scan for what to fix"
        ) from None
    except KeyError as e:  # a collection or input naming an op the graph lacks
        raise ModelFormatError(
            f"{model.path}: the graph does not import (KeyError: {first_line(e)}): the file is "
            "corrupt; re-export it"
        ) from None


def graph_element(graph: tf_types.Graph, name: str) -> Any | None:
    """The op or tensor ``name`` (``op`` or ``op:idx``) of ``graph``, else ``None``."""
    try:
        return graph.as_graph_element(name)
    except (KeyError, ValueError):
        return None


def graph_tensor(graph: tf_types.Graph, ref: str, model: V1Model) -> tf_types.Tensor:
    """Tensor ``ref`` (``op`` for ``op:0``) of ``model``'s ``graph``, else TensorNotFoundError."""
    if (t := graph_element(graph, tensor_name(ref))) is None:
        raise TensorNotFoundError(
            f"tensor {ref!r} is not in {model.path}: browse "
            "explorer.Catalog.from_model(model) or explorer.suggest(model) for names"
        )
    return t


def saver_ops(model: V1Model, graph: tf_types.Graph) -> tuple[Any, Any] | None:
    """The Saver's restore op and filename tensor in ``graph``, or ``None`` (no Saver there)."""
    restore, filename = model.restore_op, model.filename_tensor
    found = [graph_element(graph, n) if n else None for n in (op_name(restore or ""), filename)]
    return None if any(f is None for f in found) else (found[0], found[1])


def table_init(
    graph: tf_types.Graph, init_op: str | None, assets: dict[str, str]
) -> tuple[list[str], dict[str, str]]:
    """The ops initialising tables in ``graph`` (``init_op``, or the tables'), and the feeds of
    the ``assets`` (tensor -> path) that are in ``graph``."""
    feeds = {n: p for n, p in assets.items() if graph_element(graph, n) is not None}
    if init_op and graph_element(graph, op_name(init_op)) is not None:
        return [init_op], feeds
    ops = {
        item.name if hasattr(item, "name") else str(item).split(":")[0]
        for item in graph.get_collection("table_initializer")
    }
    if not ops and graph_element(graph, "init_all_tables") is not None:
        ops.add("init_all_tables")
    return sorted(ops), feeds


_STATE = {
    "enabled": os.environ.get("TF1_EXPLORER_ISOLATE", "1").strip().lower()
    not in ("0", "false", "no", "off"),
    "timeout": float(os.environ.get("TF1_EXPLORER_IMPORT_TIMEOUT", "120")),
}
START_TIMEOUT_S = 300.0  # importing TensorFlow in the worker on a busy machine
CHECK_DATA_BYTES = 256 * 2**20  # checkpoints up to this size are read whole (checksums) first
_CHECKED: set[str] = set()  # digests of payloads whose import did not crash
_CKPT_CACHE: dict[tuple[str, float, int], dict[str, list[int] | None]] = {}


def configure(enabled: bool | None = None, timeout: float | None = None) -> dict[str, Any]:
    """Turn isolation on/off and set the import time limit (seconds); returns the settings."""
    if enabled is not None:
        _STATE["enabled"] = bool(enabled)
    if timeout is not None:
        if timeout <= 0:
            raise ValueError("timeout must be > 0 seconds")
        _STATE["timeout"] = float(timeout)
    return dict(_STATE)


def is_enabled() -> bool:
    return bool(_STATE["enabled"])


def preflight(
    model: V1Model, *, restore: bool = True, initialize: bool = False, timeout: float | None = None
) -> None:
    """Check in the worker that importing ``model``'s graph does not crash or hang (``restore``:
    its checkpoint fits; ``initialize``: its tables initialise). ModelFormatError,
    MissingVariablesError (a checkpoint of another graph), SessionError (no worker)."""
    if not is_enabled():
        return
    limit = float(timeout if timeout is not None else _STATE["timeout"])
    gd = prepare_graph_def(model)
    mg = meta_graph_with(model.meta_graph, gd)
    kind = "meta_graph" if mg is not None else "graph_def"
    payload = (mg if mg is not None else gd).SerializeToString(deterministic=True)
    wanted = initialize and (model.assets or init_ops(model))
    init = {"op": model.init_op, "assets": dict(model.assets)} if wanted else None
    # the model's custom ops are loaded there too
    header = {"op": "import", "kind": kind, "init": init, "libraries": list(model.op_libraries)}
    digest = hashlib.sha256(payload).hexdigest() + json.dumps(header, sort_keys=True)
    if digest not in _CHECKED:
        what = "importing the graph and initialising its tables" if init else "importing the graph"
        reply = _WORKER.request(header, payload, limit, model.path, what)
        if reply.get("status") == "error" and not reply.get("expected"):
            raise ModelFormatError(
                f"{model.path}: the graph does not import ({reply.get('type')}: "
                f"{reply.get('message')}): the file is corrupt; re-export it"
            )
        _CHECKED.add(digest)
    if restore and model.checkpoint_prefix and model.variables:
        _check_checkpoint(model, limit)


def _check_checkpoint(model: V1Model, limit: float) -> None:
    prefix = model.checkpoint_prefix
    index = Path(prefix + ".index") if Path(prefix + ".index").exists() else Path(prefix)
    try:
        st = index.stat()
    except OSError:
        return  # the restore in the session reports a missing checkpoint with its own message
    key = (str(index.resolve()), st.st_mtime, st.st_size)
    if (shapes := _CKPT_CACHE.get(key)) is None:
        reply = _WORKER.request(
            {"op": "checkpoint", "prefix": prefix}, b"", limit, Path(prefix), "reading it"
        )
        if reply.get("status") != "ok":
            raise MissingVariablesError(
                f"cannot read checkpoint {prefix} ({reply.get('message')}): it is damaged or not "
                f"a checkpoint; restore the one exported with {model.path}"
            )
        shapes = _CKPT_CACHE[key] = reply["shapes"]
    if problem := checkpoint_mismatch(model.variables, shapes):
        raise MissingVariablesError(
            f"checkpoint {prefix} is of another graph ({problem}): restore the variables "
            f"exported with {model.path}"
        )


def checkpoint_mismatch(
    variables: list[Variable], shapes: dict[str, list[int] | None]
) -> str | None:
    """Why a checkpoint (key -> shape) cannot be of these variables, or ``None``."""
    for v in variables:
        if v.name in shapes and v.shape is not None and shapes[v.name] is not None:
            want, got = list(v.shape), list(shapes[v.name])
            if None not in want and want != got:
                return f"{v.name} is {got} there but {want} in the graph"
    object_based = "_CHECKPOINTABLE_OBJECT_GRAPH" in shapes
    names = {v.name for v in variables}
    bases = {n.rsplit("/part_", 1)[0] for n in names}
    if names and not object_based and shapes and not (names | bases) & set(shapes):
        some = ", ".join(sorted(shapes)[:3])
        return f"it holds none of the graph's {len(names)} variables, but {some}"
    return None


class _Worker:
    """One long-lived child process that imports graphs on request (see module docstring)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.log: IO[bytes] | None = None
        self.lock = threading.Lock()
        self.buffer = b""
        self._log_pos = 0  # where the current request's log lines start
        self.ready = False  # its hello was read
        self.requests = 0  # requests sent (cached graphs send none)

    def start(self) -> None:
        """Start the worker if none runs, without waiting for its TensorFlow import."""
        if self.proc is not None and self.proc.poll() is None:
            return
        root = str(Path(__file__).resolve().parents[2])
        code = (
            f"import sys; sys.path.insert(0, {root!r}); "
            "from explorer.loading.isolation import worker_main; sys.exit(worker_main())"
        )
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
        self.buffer, self.ready = b"", False
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=quiet_env(),
            start_new_session=True,  # a Ctrl-C in the notebook does not hit the worker
        )
        here = "imported" if "tensorflow" in sys.modules else "not yet imported"
        debug(f"isolation worker {self.proc.pid} started (TensorFlow {here} in this process)")

    def _await_ready(self) -> None:
        """Wait for the worker's hello; TensorFlow is imported here meanwhile (needed next)."""
        t0 = time.monotonic()
        tf()
        t1 = time.monotonic()
        hello = self._read_reply(t1 + START_TIMEOUT_S)
        if hello is None or hello.get("status") != "ready":
            why = self._death_note() if hello is None else str(hello)
            self.stop()
            raise SessionError(
                f"the import-isolation worker did not start ({why}): set TF1_EXPLORER_ISOLATE=0 "
                "to import graphs in this process only"
            )
        self.ready = True
        waited = f"{t1 - t0:.2f} s importing TensorFlow here, {time.monotonic() - t1:.2f} s waiting"
        debug(f"isolation worker ready after {waited}")

    def request(
        self, header: dict[str, Any], payload: bytes, limit: float, path: Path, what: str
    ) -> dict[str, Any]:
        """The reply to one request; ``ModelFormatError`` if the child died or hung."""
        with self.lock:
            self.start()
            if not self.ready:
                self._await_ready()
            assert self.proc is not None and self.proc.stdin is not None and self.log is not None
            self._log_pos = self.log.seek(0, os.SEEK_END)  # this request's log lines start here
            self.requests += 1
            with contextlib.suppress(OSError):  # it died: _read_reply sees EOF and says how
                self.proc.stdin.write(json.dumps({**header, "size": len(payload)}).encode() + b"\n")
                self.proc.stdin.write(payload)
                self.proc.stdin.flush()
            if (reply := self._read_reply(time.monotonic() + limit)) is not None:
                return reply
            if self.proc.poll() is None:  # still running: it hung
                self.stop()
                raise ModelFormatError(
                    f"{path}: {what} did not finish within {limit:g} s (checked in a "
                    "separate process, now stopped): the file is malformed or very large; raise "
                    "TF1_EXPLORER_IMPORT_TIMEOUT if it is just large"
                )
            note = self._death_note()
            self.stop()
            raise ModelFormatError(
                f"{path}: {what} crashed TensorFlow ({note}) in a separate process, "
                "so this one is unharmed: the file is corrupt or hostile; re-export it"
            )

    def _read_reply(self, deadline: float) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:  # EOF: the child is gone
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(timeout=10)
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def _death_note(self) -> str:
        code = self.proc.poll() if self.proc is not None else None
        if code is None:
            what = "no answer"
        elif code < 0:
            what = next((s.name for s in signal.Signals if s == -code), f"signal {-code}")
        else:
            what = f"exit status {code}"
        lines: list[str] = []
        if self.log is not None:
            self.log.seek(self._log_pos)
            text = self.log.read().decode("utf-8", "replace")
            lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        fatal = [ln for ln in lines if ln.startswith("F") or "Check failed" in ln]
        pick = (fatal or lines)[-1:]
        return what + (f": {pick[0][:200]}" if pick else "")

    def stop(self) -> None:
        proc, self.proc, self.ready = self.proc, None, False
        if proc is not None:
            if proc.poll() is None:  # it holds nothing to save: no wait for a graceful exit
                proc.kill()
                proc.wait()
            for stream in (proc.stdin, proc.stdout):
                with contextlib.suppress(OSError, AttributeError):
                    stream.close()  # type: ignore[union-attr]
        if self.log is not None:
            self.log.close()
            self.log = None
        self.buffer = b""


_WORKER = _Worker()
atexit.register(_WORKER.stop)


def start() -> None:
    """Start the worker now (if isolation is on) so that its TensorFlow import overlaps this
    process's work; :func:`preflight` waits for it only when it needs it."""
    if is_enabled():
        _WORKER.start()


def debug(text: str) -> None:
    """``text`` on stderr as a debug line, with the CLI's ``--verbose`` only."""
    if verbose():
        print(f"tf1-explorer: debug: {plain(text)}", file=sys.stderr, flush=True)


def worker_pid() -> int | None:
    proc = _WORKER.proc
    return proc.pid if proc is not None and proc.poll() is None else None


def stats() -> dict[str, int]:
    """How many requests this process sent the worker, and how many graphs passed."""
    return {"requests": _WORKER.requests, "cached": len(_CHECKED)}


def worker_main() -> int:
    """The worker loop: one JSON header line + payload in, one JSON line out, until EOF."""
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # whatever TensorFlow prints goes to the log, not the protocol
    inp = sys.stdin.buffer
    tf_mod = tf()

    def send(obj: dict[str, Any]) -> None:
        out.write(json.dumps(obj).encode() + b"\n")

    send({"status": "ready", "tf": tf_mod.__version__})
    while True:
        if not (header := inp.readline()):
            os._exit(0)  # nothing to clean up: skip TensorFlow's slow interpreter teardown
        req = json.loads(header)
        payload = inp.read(req["size"]) if req["size"] else b""
        try:
            if req["op"] == "import":
                for lib in req["libraries"]:
                    tf_mod.load_op_library(lib)
                _child_import(req["kind"], payload, req.get("init"))
                send({"status": "ok"})
            else:
                send({"status": "ok", "shapes": _child_checkpoint_shapes(req["prefix"])})
        except Exception as e:  # noqa: BLE001 - everything is reported to the parent
            expected = isinstance(e, (ValueError, TypeError, tf_mod.errors.OpError))
            reply = {"type": type(e).__name__, "message": first_line(e), "expected": expected}
            send({"status": "error", **reply})


def _child_import(kind: str, payload: bytes, init: dict[str, Any] | None = None) -> None:
    meta = kind == "meta_graph"
    msg = protos.meta_graph_pb2.MetaGraphDef() if meta else protos.graph_pb2.GraphDef()
    msg.ParseFromString(payload)
    graph = tf().Graph()
    with graph.as_default():
        if meta:
            tf1().train.import_meta_graph(msg, clear_devices=False)
        else:
            tf1().import_graph_def(msg, name="")
    config = tf1().ConfigProto(allow_soft_placement=True)
    with tf1().Session(graph=graph, config=config) as session:
        if init is not None:  # as the session would; ordinary failures are left to the one here
            ops, feeds = table_init(graph, init["op"], init["assets"])
            with contextlib.suppress(tf().errors.OpError, ValueError, TypeError):
                session.run(ops, feeds)


def _child_checkpoint_shapes(prefix: str) -> dict[str, list[int] | None]:
    reader = tf().train.load_checkpoint(prefix)
    shapes = {k: list(v) for k, v in reader.get_variable_to_shape_map().items()}
    data = [Path(p) for p in tf().io.gfile.glob(prefix + ".data-*")] or [Path(prefix)]
    if sum(p.stat().st_size for p in data if p.is_file()) <= CHECK_DATA_BYTES:
        for key in shapes:  # checksums: a damaged data file fails here, not in the session
            reader.get_tensor(key)
    return shapes
