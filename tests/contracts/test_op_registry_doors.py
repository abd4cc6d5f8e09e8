"""The list of doors covers every op of the installed TensorFlow that opens a file, a socket or a
server: derived from the op registry, each op whose inputs or attributes are named like a path or
an address (or whose type names a reader, writer, server, RPC, dump or print) is a door
(``op_families.DOORS``) or judged harmless by hand (``op_families.HARMLESS_PATH_OPS``). A new
TensorFlow adding one fails here until it is listed."""

from __future__ import annotations

import re

from explorer.graph import op_families as fam

ARG = re.compile(
    r"(?:^|_)(?:files?|filenames?|file_name|pattern|paths?|dirs?|directory|logdir|urls?|uri|"
    r"address|server|stream|prefix(?:es)?|descriptor_source|data_source_name|memory_region_name|"
    r"debug_ops_spec)(?:$|_)",
    re.IGNORECASE,
)
TYPE = re.compile(
    r"Reader|Rpc|Server|Dump|Print|Save|Writer|Checkpoint|Socket|Grpc|Remote|FromGraph|Debug|"
    r"Summary|Sql|Lmdb|File|Restore"
)


def _registered() -> dict:
    """Every op the installed TensorFlow registers: name -> OpDef."""
    import tensorflow  # noqa: F401 (registers every op)
    from tensorflow.core.framework import op_def_pb2
    from tensorflow.python.client import pywrap_tf_session as c_api

    op_list = op_def_pb2.OpList()
    op_list.ParseFromString(c_api.TF_GetBuffer(c_api.TF_GetAllOpList()))
    return {op.name: op for op in op_list.op}


def _looks_like_a_door(op) -> bool:
    args = [a.name for a in (*op.attr, *op.input_arg)]
    return bool(TYPE.search(op.name)) or any(ARG.search(a) for a in args)


def test_every_registered_op_named_like_a_door_is_judged():
    ops = _registered()
    assert len(ops) > 1500
    suspects = {name for name, op in ops.items() if _looks_like_a_door(op)}
    unjudged = sorted(suspects - fam.FILE_OPS - fam.HARMLESS_PATH_OPS)
    assert unjudged == [], f"list each in op_families.DOORS or HARMLESS_PATH_OPS: {unjudged}"
    assert not fam.FILE_OPS & fam.HARMLESS_PATH_OPS


def test_the_doors_issue_23_found_missing_are_listed():
    for op in ("DumpTensor", "CalibrationStatisticsSaver", "FixedUnigramCandidateSampler"):
        assert op in fam.DOORS
    assert fam.DOORS["RpcServer"].source == "network" and "RpcServerStart" in fam.DOORS
    assert fam.DOORS["Print"].source == "stream" and fam.DOORS["PrintV2"].attrs == (
        "output_stream",
    )
    assert frozenset(fam.DOORS) == fam.FILE_OPS
