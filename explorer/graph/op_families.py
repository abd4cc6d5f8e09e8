"""Op-type families, each named once: placeholders, variables, v1 control flow, random, I/O.

Every module that asks "is this op a placeholder / a variable / v1 control flow / a stateful
random op / a save or restore op?" reads the answer here, so a family is spelled out in one place
(the scan rules, the suggester, parity's graph facts, the sampler, the weight reader and the
variable rewrite all use these). Pure Python, no TensorFlow: cheap to import.

Each family is a ``frozenset`` of op-type names, registered under a name in :data:`FAMILIES`::

    >>> from explorer.graph.op_families import RANDOM_OPS, families_of
    >>> "RandomUniform" in RANDOM_OPS
    True
    >>> families_of("Switch")
    ['control_flow_entry', 'v1_control_flow']

Every name is an op type TensorFlow 2.21 still registers (checked by the tests), including the
deprecated ones old graphs carry (``PlaceholderV2``, ``Variable``, ``Save``, ``RestoreSlice``).
"""

from __future__ import annotations

from collections.abc import Mapping

from explorer.graph.registry import OpRegistry

_REGISTRY: OpRegistry[frozenset[str]] = OpRegistry("op family", many=True)

FAMILIES: Mapping[str, frozenset[str]] = _REGISTRY.by_name
"""Family name -> op types (read-only), filled by :func:`op_family`."""


def op_family(name: str, *op_types: str | frozenset[str]) -> frozenset[str]:
    """Register the family ``name`` of ``op_types`` (names, or families to include); returns it.

    Raises:
        ValueError: ``name`` is already registered (a family is named once), or has no members.
    """
    if not op_types:
        raise ValueError(f"op family {name!r} has no op types")
    members: set[str] = set()
    for t in op_types:
        members.update({t} if isinstance(t, str) else t)
    family = frozenset(members)
    _REGISTRY.add(family, *sorted(family), name=name)
    return family


def families_of(op_type: str) -> list[str]:
    """Names of the families ``op_type`` belongs to, sorted (``[]`` for none)."""
    return sorted(e.name for e in _REGISTRY.matching(op_type))


# -- graph inputs ----------------------------------------------------------------------------------

PLACEHOLDER_OPS = op_family("placeholder", "Placeholder", "PlaceholderV2")
"""Inputs that must be fed."""
DEFAULT_PLACEHOLDER_OPS = op_family("default_placeholder", "PlaceholderWithDefault")
"""Inputs with a default (switches like ``keep_prob``): optional to feed."""
INPUT_OPS = op_family("input", PLACEHOLDER_OPS, DEFAULT_PLACEHOLDER_OPS)

# -- variables -------------------------------------------------------------------------------------

REF_VARIABLE_OPS = op_family("ref_variable", "VariableV2", "Variable")
"""Reference (``float_ref``) variables a Saver saves: TF2 loading refuses them."""
TEMPORARY_VARIABLE_OPS = op_family("temporary_variable", "TemporaryVariable")
"""Reference-typed scratch variables (never saved)."""
RESOURCE_VARIABLE_OPS = op_family("resource_variable", "VarHandleOp")

# -- v1 control flow (tf.cond / tf.while_loop without control flow v2) -----------------------------

CONTROL_FLOW_ENTRY_OPS = op_family("control_flow_entry", "Enter", "RefEnter", "Switch", "RefSwitch")
"""Where a while-loop frame or a cond branch starts."""
CONTROL_FLOW_EXIT_OPS = op_family("control_flow_exit", "Exit", "RefExit", "Merge", "RefMerge")
"""Where a while-loop frame or a cond branch ends."""
CONTROL_FLOW_BACK_EDGE_OPS = op_family(
    "control_flow_back_edge", "NextIteration", "RefNextIteration"
)
"""The back edges of a while loop (the graph's only cycles)."""
V1_CONTROL_FLOW_OPS = op_family(
    "v1_control_flow",
    CONTROL_FLOW_ENTRY_OPS,
    CONTROL_FLOW_EXIT_OPS,
    CONTROL_FLOW_BACK_EDGE_OPS,
    "LoopCond",
)

# -- randomness ------------------------------------------------------------------------------------

RANDOM_OPS = op_family(
    "stateful_random",
    "RandomUniform",
    "RandomUniformInt",
    "RandomStandardNormal",
    "TruncatedNormal",
    "ParameterizedTruncatedNormal",
    "Multinomial",
    "RandomShuffle",
    "RandomGamma",
    "RandomPoisson",
    "RandomPoissonV2",
    "RandomCrop",
)
"""Stateful random ops: new values every run; their ``seed``/``seed2`` attributes seed them."""

# -- variable updates ----------------------------------------------------------------------------

REF_ASSIGN_OPS = op_family("ref_assign", "Assign", "AssignAdd", "AssignSub")
"""TF1 assignments to reference variables (they return the new value)."""
RESOURCE_ASSIGN_OPS = op_family(
    "resource_assign", "AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp"
)
"""Assignments to resource variables."""
ASSIGN_OPS = op_family("assign", REF_ASSIGN_OPS, RESOURCE_ASSIGN_OPS)
"""Every plain variable assignment (the ops a variable's initializer runs)."""

# -- checkpoints, files, queues, Python --------------------------------------------------------

SAVE_OPS = op_family("save", "SaveV2", "Save", "SaveSlices")
RESTORE_OPS = op_family("restore", "RestoreV2", "Restore", "RestoreSlice")
CHECKPOINT_OPS = op_family("checkpoint", SAVE_OPS, RESTORE_OPS, "MergeV2Checkpoints")
"""What a ``tf.train.Saver`` (V1 or V2 checkpoint format) adds to a graph."""
FILE_OPS = op_family(
    "file_system",
    "ReadFile",
    "WriteFile",
    "MatchingFiles",
    "PrintV2",  # only when it prints to a file:// stream
    "ImmutableConst",  # memory-maps a file
    "CreateSummaryFileWriter",
    "CreateSummaryDbWriter",
    # dataset sources
    "TFRecordDataset",
    "TFRecordDatasetV2",
    "TextLineDataset",
    "FixedLengthRecordDataset",
    "FixedLengthRecordDatasetV2",
    "CSVDataset",
    "CSVDatasetV2",
    "ExperimentalCSVDataset",
    "SqlDataset",
    "ExperimentalSqlDataset",
    "LMDBDataset",
    "ExperimentalLMDBDataset",
    "MatchingFilesDataset",
    "ExperimentalMatchingFilesDataset",
    "LoadDataset",
    "SnapshotDatasetReader",
    "SnapshotChunkDataset",
    "ListSnapshotChunksDataset",
    "RecordInput",  # reads the files its file_pattern matches
    "DataServiceDataset",
    "DataServiceDatasetV2",
    "DataServiceDatasetV3",
    "DataServiceDatasetV4",
    "DatasetFromGraph",
    # dataset sinks
    "CacheDataset",  # only with a file name
    "CacheDatasetV2",
    "DatasetToTFRecord",
    "ExperimentalDatasetToTFRecord",
    "SaveDataset",
    "SaveDatasetV2",
    "SnapshotDataset",
    "SnapshotDatasetV2",
    "DistributedSave",
    "RegisterDataset",  # sends a dataset to a tf.data service address
    "RegisterDatasetV2",
    # queue readers and what reads them
    "WholeFileReader",
    "WholeFileReaderV2",
    "TextLineReader",
    "TextLineReaderV2",
    "TFRecordReader",
    "TFRecordReaderV2",
    "FixedLengthRecordReader",
    "FixedLengthRecordReaderV2",
    "LMDBReader",
    "ReaderRead",
    "ReaderReadV2",
    "ReaderReadUpTo",
    "ReaderReadUpToV2",
    # tables, vocabularies, protos read from files
    "InitializeTableFromTextFile",
    "InitializeTableFromTextFileV2",
    "Skipgram",
    "DecodeProtoV2",  # descriptor_source may name a file
    "EncodeProto",
    "LoadAndRemapMatrix",
    "GenerateVocabRemapping",
    # debug ops with URLs (file:// dumps, grpc://)
    "DebugIdentity",
    "DebugIdentityV2",
    "DebugIdentityV3",
    "DebugNanCount",
    "DebugNumericSummary",
    "Copy",
    "CopyHost",
    CHECKPOINT_OPS,
)
"""Ops that read or write paths chosen by the model's author (each one's door, which input or
attribute holds the path, is in ``explorer.inspection.file_doors.DOORS``)."""
QUEUE_OPS = op_family(
    "queue",
    *(
        f"{base}{v}"
        for base in (
            "FIFOQueue",
            "PaddingFIFOQueue",
            "RandomShuffleQueue",
            "PriorityQueue",
            "QueueEnqueue",
            "QueueEnqueueMany",
            "QueueDequeue",
            "QueueDequeueMany",
            "QueueDequeueUpTo",
            "QueueClose",
            "QueueSize",
            "TFRecordReader",
            "TextLineReader",
            "WholeFileReader",
            "FixedLengthRecordReader",
            "IdentityReader",
            "ReaderRead",
            "ReaderReadUpTo",
        )
        for v in ("", "V2")
    ),
    "LMDBReader",
)
"""Input-pipeline queues and readers (``session.run`` blocks until queue runners fill them)."""
PY_FUNC_OPS = op_family("py_func", "PyFunc", "PyFuncStateless", "EagerPyFunc")
"""Calls into Python functions of the exporting process (not stored in the model)."""

# -- input pipelines, layers, shapes (what training graphs hold) -------------------------------

PIPELINE_OUTPUT_OPS = op_family(
    "pipeline_output",
    "IteratorGetNext",
    "IteratorGetNextSync",
    *(f"QueueDequeue{k}{v}" for k in ("", "Many", "UpTo") for v in ("", "V2")),
)
"""Where an input pipeline hands batches to the model (tf.data iterators, queue dequeues): a
feed_dict can feed their outputs instead, and the pipeline behind them does not run."""
PARSE_EXAMPLE_OPS = op_family(
    "parse_example", "ParseExample", "ParseExampleV2", "ParseSingleExample"
)
"""Ops parsing serialized ``tf.Example`` protos (their dense keys name the features)."""
SHAPE_OPS = op_family("shape", "Shape", "ShapeN", "Size", "Rank")
"""Ops whose value is a tensor's shape, not its values."""
LAYER_OPS = op_family(
    "layer",
    "MatMul",
    "BatchMatMul",
    "BatchMatMulV2",
    "BatchMatMulV3",
    "Conv2D",
    "Conv3D",
    "DepthwiseConv2dNative",
    "Conv2DBackpropInput",
    "BiasAdd",
    "Add",
    "AddV2",
    "Gather",
    "GatherV2",
    "ResourceGather",
)
"""Ops that apply a weight (a variable, or a constant in a frozen graph) when one is an input."""
ACTIVATION_HEAD_OPS = op_family("activation_head", "Softmax", "Sigmoid", "Tanh", "LogSoftmax")
"""Activations that end a network when no later layer reads them (probabilities, images)."""
