"""The whole graph in Google's Model Explorer (``ai-edge-model-explorer``) with parity results as
node-data overlays, served by its server in a child process on localhost, shown as an IFrame."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from explorer.comparing.divergence import v2_graph_def
from explorer.comparing.records import Divergence, ParitySummary
from explorer.conversion.v2_model import V2Model
from explorer.errors import ExplorerError, plain
from explorer.feeding.shape_inference import static_shapes
from explorer.graph.index import function_calls, graph_index
from explorer.graph.names import data_inputs, op_name, shape_text, tensor_name
from explorer.graph.proto_reader import attr_summary
from explorer.inspection.catalog import Catalog
from explorer.loading.model import V1Model, as_model
from explorer.reporting.html import esc

MAIN = "main"  # the top-level graph's id; each library function is a graph of its own name
COLOURS = {"passed": "#aceebb", "failed": "#ff8182", "nondeterministic": "#fff8c5"}
FIRST = "#d1242f"  # the first diverging tensor
# Model Explorer's server without its update check (its only call beyond localhost); it ends when
# its stdin closes: on stop(), and when the kernel ends, however it ends.
_SERVE = """\
import json, os, sys, threading
from model_explorer import config, server
keys = ("version", "runningVersion", "releaseUrl", "desktopAppUrl")
server._check_new_version = lambda *_: dict.fromkeys(keys, "")
c = config()
c.__dict__.update(json.loads(sys.stdin.readline()))
def watch():
    sys.stdin.read()
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
server.start(host="127.0.0.1", port=int(sys.argv[1]), config=c, no_open_in_browser=True,
             skip_health_check=True)
"""


def graphs(catalog: Catalog, model: V1Model | None = None) -> list[Any]:
    """Model Explorer ``Graph`` s: ``main`` (id: op name, label: type, namespace: scope; outputs'
    ``tensor_name``, ``dtype``, ``shape`` or as inferred from ``model``), then each function's."""
    from model_explorer import graph_builder as gb

    kv = gb.KeyValue
    inferred = static_shapes(model, {}) if model is not None else None
    functions = graph_index(catalog.graph_def).functions
    nodes = []
    for op in catalog.ops:
        node = gb.GraphNode(op.name, plain(op.type), op.scope)
        node.subgraphIds = function_calls(op.node, functions, strings=False)
        node.attrs = [kv(k, plain(v)) for k, v in op.attrs.items()]
        if op.control_inputs:
            ids = gb.NodeIdsNodeAttributeValue(nodeIds=list(op.control_inputs))
            node.attrs.append(kv("control inputs", ids))
        for pos, t in enumerate(op.inputs):
            if op_name(t) in catalog:
                node.incomingEdges.append(gb.IncomingEdge(op_name(t), t.split(":")[1], str(pos)))
        for k, t in enumerate(op.outputs):
            info = catalog.tensor(t)
            shape = info.shape if info.shape is not None or inferred is None else inferred(t)
            meta = {"tensor_name": t, "dtype": info.dtype, "shape": shape_text(shape)}
            node.outputsMetadata.append(gb.MetadataItem(str(k), [kv(*i) for i in meta.items()]))
        nodes.append(node)
    out = [gb.Graph(MAIN, nodes, nodeLabelsToHide=[])]  # show constants: weights diverge too
    for name, fn in functions.items():
        args = [gb.GraphNode(a.name, "arg", "") for a in fn.signature.input_arg]
        inner = [gb.GraphNode(n.name, plain(n.op), n.name.rpartition("/")[0]) for n in fn.node_def]
        for node, n in zip(inner, fn.node_def):
            node.subgraphIds = function_calls(n, functions, strings=False)
            node.attrs = [kv(k, plain(attr_summary(v))) for k, v in sorted(n.attr.items())]
            for pos, s in enumerate(data_inputs(n)):
                src, _, out_id = s.partition(":")
                node.incomingEdges.append(gb.IncomingEdge(src, out_id, str(pos)))
        out.append(gb.Graph(name, args + inner, nodeLabelsToHide=[]))
    return out


def overlays(results: Iterable[Any], model: V1Model | None = None) -> dict[str, Any]:
    """Overlay name -> ``ModelNodeData`` of ``results`` (``Divergence``, ``ParitySummary``,
    ``ParityReport``) by v1 tensor name (``model`` maps signature keys): each compared tensor's
    max abs error coloured by verdict (the first divergence darkest), each output's status."""
    from model_explorer import node_data_builder as nd

    layers: dict[str, dict[str, Any]] = {}
    for r in results:
        if isinstance(r, Divergence):
            layer = layers.setdefault("first divergence (max abs error)", {})
            for i, s in enumerate(r.steps):
                colour = FIRST if i == r.index else COLOURS["passed" if s.passed else "failed"]
                if s.max_abs is not None:
                    layer[s.tensor] = nd.NodeDataResult(s.max_abs, colour)
            continue
        for rep in r.reports.values() if isinstance(r, ParitySummary) else [r]:
            sig = model.signatures.get(rep.name) if model is not None else None
            for key, o in rep.outputs.items():
                spec = sig.outputs.get(key) if sig is not None else None
                t = spec.name if spec is not None and spec.kind == "dense" else tensor_name(key)
                colour = COLOURS.get(o.status)
                layers.setdefault("parity verdict", {})[t] = nd.NodeDataResult(o.status, colour)
                if o.max_abs is not None:
                    errors = layers.setdefault("parity (max abs error)", {})
                    errors[t] = nd.NodeDataResult(o.max_abs, colour)
    return {
        name: nd.ModelNodeData({MAIN: nd.GraphNodeData(res, name=name)})
        for name, res in layers.items()
    }


class GraphView(contextlib.AbstractContextManager):
    """Model Explorer's server showing a graph and overlays at :attr:`url`, an IFrame ``height`` px
    high in a notebook; :meth:`stop` (a ``with`` block's end, garbage collection) ends it."""

    def __init__(self, name: str, graphs: list[Any], overlays: dict[str, Any], scope: str) -> None:
        import model_explorer as me

        config = me.config()
        config.graphs_list.append(json.dumps(me.utils.convert_adapter_response({"graphs": graphs})))
        config.model_sources.append({"url": f"graphs://{name}/0"})
        for overlay, node_data in overlays.items():
            config.add_node_data(overlay, node_data.to_json_string())
        data = json.loads(urllib.parse.unquote(config.to_url_param_value()))
        # A node selected on opening is kept in some loads only (its info then hides the node
        # data tables): the op's name scope ``scope`` is opened instead.
        groups = [f"{scope}___group___"] if scope else []
        pane = {"deepestExpandedGroupNodeIds": groups, "selectedNodeId": "", "widthFraction": 1}
        data["uiState"] = {"paneStates": [{**pane, "selectedGraphId": MAIN}]}
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.name, self.height = name, 720
        self.url = f"http://127.0.0.1:{port}/?data={urllib.parse.quote(json.dumps(data))}"
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVE, str(port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        self._stop = weakref.finalize(self, _end, self.process)
        with contextlib.suppress(OSError):  # a server that died at once: said below
            self.process.stdin.write(json.dumps(vars(config)).encode() + b"\n")
            self.process.stdin.flush()
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # localhost only
        deadline = time.monotonic() + 60
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                with opener.open(f"http://127.0.0.1:{port}/check_health", timeout=2) as r:
                    if r.read() == b"model_explorer_ok":
                        return
            except OSError:
                time.sleep(0.2)
        self._log.seek(0)
        said = self._log.read().decode(errors="replace").splitlines() or ["no answer within 60 s"]
        self.stop()
        raise ExplorerError(f"Model Explorer did not start for {name}: {said[-1]}")

    def stop(self) -> None:
        """End the server (the embedded view goes blank), if running."""
        self._stop()
        self._log.close()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _repr_html_(self) -> str:
        link = f'<a href="{esc(self.url)}" target="_blank">open in a new tab</a>'
        return (
            f'<div class="tf1x-model-explorer"><iframe src="{esc(self.url)}" width="100%" '
            f'height="{self.height}" style="border:1px solid #ccc" title="Model Explorer: '
            f'{esc(self.name)}"></iframe><br><small>Model Explorer · {link}</small></div>'
        )


def _end(proc: subprocess.Popen) -> None:
    with contextlib.suppress(OSError):
        proc.stdin.close()
    proc.kill()
    proc.wait(timeout=10)


def view_graph(
    model: V1Model | Catalog | str | os.PathLike[str],
    result: Any = None,
    *,
    select: str | None = None,
    v2: V2Model | str | os.PathLike[str] | None = None,
) -> GraphView:
    """``model`` (a ``V1Model``, its path, or a ``Catalog``) whole in Model Explorer, inline in a
    notebook: scopes collapse, dtype and shape on the edges, functions as subgraphs; ``v2`` (a
    ``V2Model`` or folder): its default signature's graph instead (v1 names kept). ``result``:
    ``first_divergence``/``parity`` results (or a list) as overlays; ``select``: the op whose
    scope is open (default: the first divergence)."""
    v1 = None if isinstance(model, Catalog) else as_model(model)
    catalog = model if isinstance(model, Catalog) else Catalog.from_model(v1)
    name = Path(str(catalog.source)).name or "graph"
    if v2 is not None:
        catalog = Catalog.from_graph_def(v2_graph_def(v2), f"{name} converted")
        name = f"{name} (v2)"
    given = result if isinstance(result, list | tuple) else [result]
    results = [r for r in given if r is not None]
    first = next((r.op for r in results if isinstance(r, Divergence) and r.found), "")
    shown = select or first
    scope = catalog.op(shown).scope if shown in catalog else ""
    return GraphView(name, graphs(catalog, v1), overlays(results, v1), scope)
