"""explorer.graph.op_families: each op-type family named once, real op types, read by every user."""

from __future__ import annotations

import explorer
from explorer.graph import op_families as fam
from explorer.inspection.catalog import Catalog


def test_every_family_member_is_an_op_type_tensorflow_registers():
    from tensorflow.python.framework import op_def_registry

    constants = {k: v for k, v in vars(fam).items() if isinstance(v, frozenset)}
    unknown = {
        name: sorted(t for t in ops if op_def_registry.get(t) is None)
        for name, ops in constants.items()
    }
    assert {k: v for k, v in unknown.items() if v} == {}  # a typo would never match a node


def test_families_compose_from_their_parts():
    assert (
        fam.CONTROL_FLOW_ENTRY_OPS
        | fam.CONTROL_FLOW_EXIT_OPS
        | fam.CONTROL_FLOW_BACK_EDGE_OPS
        | {"LoopCond"}
    ) == fam.V1_CONTROL_FLOW_OPS
    assert fam.SAVE_OPS | fam.RESTORE_OPS | {"MergeV2Checkpoints"} == fam.CHECKPOINT_OPS
    assert fam.CHECKPOINT_OPS < fam.FILE_OPS
    assert fam.INPUT_OPS == fam.PLACEHOLDER_OPS | fam.DEFAULT_PLACEHOLDER_OPS
    assert not fam.REF_VARIABLE_OPS & fam.RESOURCE_VARIABLE_OPS
    assert len(fam.QUEUE_OPS) == 37 and {"FIFOQueueV2", "ReaderReadUpTo", "LMDBReader"} <= (
        fam.QUEUE_OPS
    )


def test_every_user_reads_the_one_family():
    from explorer.feeding import sampling as sampler
    from explorer.graph import index as graph_facts
    from explorer.inspection import gate
    from explorer.loading import model as loader

    rules = {r.name: r.op_types for r in gate.RULES.entries()}
    assert rules["stateful-random"] == fam.RANDOM_OPS
    assert rules["v1-control-flow"] == fam.V1_CONTROL_FLOW_OPS
    assert rules["queue"] == fam.QUEUE_OPS and rules["py-func"] == fam.PY_FUNC_OPS
    assert rules["file-system"] == fam.FILE_OPS
    assert rules["ref-variable"] == fam.REF_VARIABLE_OPS | fam.TEMPORARY_VARIABLE_OPS
    assert graph_facts.RANDOM_OPS is fam.RANDOM_OPS
    assert graph_facts.V1_CONTROL_FLOW_OPS is fam.V1_CONTROL_FLOW_OPS
    assert sampler.PLACEHOLDER_OPS is fam.PLACEHOLDER_OPS
    assert sampler.DEFAULT_PLACEHOLDER_OPS is fam.DEFAULT_PLACEHOLDER_OPS
    assert loader.REF_VARIABLE_OPS is fam.REF_VARIABLE_OPS
    assert loader.SAVE_OPS is fam.SAVE_OPS
    from explorer.feeding import sampling as tf_example

    assert set(fam.ASSIGN_OPS) <= set(tf_example.SAMPLE_RULES)
    assert fam.CHECKPOINT_OPS | fam.REF_VARIABLE_OPS <= fam.NOT_IO_OPS


def _tf10_graph_with_placeholder_v2():
    """A TF 1.0-era GraphDef (producer 21): PlaceholderV2 ``x`` (shape {} = unknown then),
    a ``keep_prob`` PlaceholderWithDefault, ``probs = Softmax(x * keep_prob)``."""
    from google.protobuf import text_format
    from tensorflow.core.framework import graph_pb2

    return text_format.Parse(
        """
        versions { producer: 21 }
        node { name: "x" op: "PlaceholderV2"
               attr { key: "dtype" value { type: DT_FLOAT } }
               attr { key: "shape" value { shape { } } } }
        node { name: "one" op: "Const"
               attr { key: "dtype" value { type: DT_FLOAT } }
               attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { }
                                                    float_val: 1.0 } } } }
        node { name: "keep_prob" op: "PlaceholderWithDefault" input: "one"
               attr { key: "dtype" value { type: DT_FLOAT } }
               attr { key: "shape" value { shape { } } } }
        node { name: "mul" op: "Mul" input: "x" input: "keep_prob"
               attr { key: "T" value { type: DT_FLOAT } } }
        node { name: "probs" op: "Softmax" input: "mul"
               attr { key: "T" value { type: DT_FLOAT } } }
        """,
        graph_pb2.GraphDef(),
    )


def test_placeholder_v2_is_an_input_everywhere():
    # Catalog, suggester and sampler now agree on what a placeholder is (one family).
    catalog = Catalog.from_graph_def(_tf10_graph_with_placeholder_v2())
    assert catalog.tensor("x:0").shape is None  # TF 1.0-era `shape {}` means unknown
    choice = explorer.suggest(catalog)
    kinds = {c.name: c.kind for c in choice.inputs}
    assert kinds == {"x:0": "placeholder", "keep_prob:0": "switch"}
    assert choice.outputs[0].name == "probs:0"
    check = choice.validate([], ["probs:0"])
    assert not check and check.missing == ("x",) and check.defaults == ("keep_prob",)
    assert choice.validate(["x:0"], ["probs:0"])
