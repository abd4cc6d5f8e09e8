"""TensorFlow's protobuf classes without importing TensorFlow: same classes once it is imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from explorer.graph import protos

ROOT = Path(__file__).resolve().parents[2]


def test_parsed_without_tensorflow_then_imported_by_it(mlp_paths):
    code = f"""
import sys
from explorer.graph import protos
gd = protos.graph_pb2.GraphDef()
gd.ParseFromString(open({str(mlp_paths["frozen_pb"])!r}, "rb").read())
sm = protos.saved_model_pb2.SavedModel()
sm.ParseFromString(open({str(mlp_paths["saved_model"] / "saved_model.pb")!r}, "rb").read())
assert len(gd.node) > 10 and sm.meta_graphs[0].graph_def.node
assert "tensorflow" not in sys.modules, "TensorFlow was imported"
from explorer._tf import tf
tf()  # the quiet import, before any tensorflow module
from tensorflow.core.framework import graph_pb2
from tensorflow.core.protobuf import saved_model_pb2
assert graph_pb2.GraphDef is type(gd) and saved_model_pb2.SavedModel is type(sm)
g = tf().Graph()
with g.as_default():
    tf().compat.v1.import_graph_def(gd, name="")
    tf().compat.v1.train.import_meta_graph(sm.meta_graphs[0])
print(len(g.get_operations()))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=str(ROOT),
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.split()[-1]) > 10
    assert proc.stderr == ""  # the quiet import: no native start-up lines


def test_with_tensorflow_imported_its_own_modules_are_returned():
    from explorer._tf import tf

    tf()
    from tensorflow.core.framework import graph_pb2

    assert protos.graph_pb2 is graph_pb2
    assert protos.module("core.protobuf.saver_pb2").SaverDef
    assert "meta_graph_pb2" in dir(protos)
