"""What this TensorFlow runtime has: device types present, pins to absent ones, unregistered ops."""

from __future__ import annotations

from explorer.graph.runtime import (
    absent_device_pins,
    device_type_of,
    device_types,
    remote_job_of,
    unregistered_op_types,
)


def _graph_def(nodes):
    from tensorflow.core.framework import graph_pb2

    gd = graph_pb2.GraphDef()
    for name, op, device in nodes:
        n = gd.node.add(name=name, op=op)
        n.device = device
    return gd


def test_device_type_of_each_spelling():
    assert device_type_of("/device:GPU:0") == "GPU"
    assert device_type_of("/job:worker/replica:0/task:1/device:CPU:0") == "CPU"
    assert device_type_of("/gpu:1") == "GPU"
    assert device_type_of("") is None and device_type_of("/job:ps/task:0") is None
    assert remote_job_of("/job:ps/task:0") == "ps" and remote_job_of("/job:localhost/cpu:0") is None


def test_pins_to_absent_devices_and_unregistered_ops():
    assert "CPU" in device_types()
    gd = _graph_def(
        [
            ("a", "Placeholder", "/device:CPU:0"),
            ("b", "Identity", "/device:TPU:0"),
            ("c", "MyCustomOp", ""),
            ("d", "NoOp", "/job:ps/task:0"),
        ]
    )
    absent = absent_device_pins(gd)
    assert absent == ["b", "d"]  # a TPU pin, and a parameter-server job a local session lacks
    assert unregistered_op_types(gd) == ["MyCustomOp"]
