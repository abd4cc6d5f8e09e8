"""Op-type families, each named once as a plain ``frozenset``."""

from __future__ import annotations

from dataclasses import dataclass


def _family(*op_types: str | frozenset[str]) -> frozenset[str]:
    return frozenset(
        t for group in op_types for t in (group.split() if isinstance(group, str) else group)
    )


PLACEHOLDER_OPS = _family("Placeholder", "PlaceholderV2")
DEFAULT_PLACEHOLDER_OPS = _family("PlaceholderWithDefault")
"""Inputs with a default (switches like ``keep_prob``): optional to feed."""
INPUT_OPS = _family(PLACEHOLDER_OPS, DEFAULT_PLACEHOLDER_OPS)

REF_VARIABLE_OPS = _family("VariableV2", "Variable")
"""Reference (``float_ref``) variables a Saver saves: TF2 loading refuses them."""
TEMPORARY_VARIABLE_OPS = _family("TemporaryVariable")
RESOURCE_VARIABLE_OPS = _family("VarHandleOp")

# -- v1 control flow (tf.cond / tf.while_loop without control flow v2) -----------------------------
CONTROL_FLOW_ENTRY_OPS = _family("Enter", "RefEnter", "Switch", "RefSwitch")
CONTROL_FLOW_EXIT_OPS = _family("Exit", "RefExit", "Merge", "RefMerge")
CONTROL_FLOW_BACK_EDGE_OPS = _family("NextIteration", "RefNextIteration")
V1_CONTROL_FLOW_OPS = _family(
    CONTROL_FLOW_ENTRY_OPS, CONTROL_FLOW_EXIT_OPS, CONTROL_FLOW_BACK_EDGE_OPS, "LoopCond"
)

RANDOM_OPS = _family(
    "RandomUniform RandomUniformInt RandomStandardNormal TruncatedNormal "
    "ParameterizedTruncatedNormal Multinomial RandomShuffle RandomGamma RandomPoisson "
    "RandomPoissonV2 RandomCrop"
)
"""Stateful random ops: new values every run; their ``seed``/``seed2`` attributes seed them."""

REF_ASSIGN_OPS = _family("Assign", "AssignAdd", "AssignSub")
RESOURCE_ASSIGN_OPS = _family("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp")
ASSIGN_OPS = _family(REF_ASSIGN_OPS, RESOURCE_ASSIGN_OPS)
"""Every plain variable assignment (the ops a variable's initializer runs)."""

SAVE_OPS = _family("SaveV2", "Save", "SaveSlices")
RESTORE_OPS = _family("RestoreV2", "Restore", "RestoreSlice")
CHECKPOINT_OPS = _family(SAVE_OPS, RESTORE_OPS, "MergeV2Checkpoints")


@dataclass(frozen=True)
class Door:
    """How an op type opens files: ``mode``, the ``inputs`` and string ``attrs`` holding paths,
    else its ``source`` (``network``, ``graph``, ``reader``, ``stream``, ``process``); with
    ``assets_only`` constant paths must lie in ``assets/``."""

    mode: str
    inputs: tuple[int, ...] = ()
    attrs: tuple[str, ...] = ()
    source: str = ""
    assets_only: bool = False


def _doors(door: Door, *op_types: str | frozenset[str]) -> dict[str, Door]:
    return dict.fromkeys(_family(*op_types), door)


DOORS: dict[str, Door] = {
    **_doors(
        Door("read", inputs=(0,)),
        "ReadFile MatchingFiles DTensorRestoreV2 TFRecordDataset TFRecordDatasetV2 TextLineDataset "
        "FixedLengthRecordDataset FixedLengthRecordDatasetV2 CSVDataset CSVDatasetV2 "
        "ExperimentalCSVDataset LMDBDataset ExperimentalLMDBDataset MatchingFilesDataset "
        "ExperimentalMatchingFilesDataset LoadDataset SnapshotDatasetReader SnapshotChunkDataset "
        "ListSnapshotChunksDataset LoadAndRemapMatrix",
        RESTORE_OPS,
    ),
    **_doors(Door("read", inputs=(0, 1)), "GenerateVocabRemapping"),
    **_doors(
        Door("read", inputs=(1,)),
        "SqlDataset ExperimentalSqlDataset ReaderRead ReaderReadV2 ReaderReadUpTo ReaderReadUpToV2",
    ),
    **_doors(
        Door("read", inputs=(1,), assets_only=True),
        "InitializeTableFromTextFile InitializeTableFromTextFileV2",
    ),
    **_doors(Door("read", attrs=("file_pattern",)), "RecordInput"),
    **_doors(Door("read", attrs=("memory_region_name",)), "ImmutableConst"),  # memory-maps it
    **_doors(Door("read", attrs=("filename",)), "Skipgram"),
    **_doors(Door("read", attrs=("vocab_file",)), "FixedUnigramCandidateSampler"),
    **_doors(Door("read", attrs=("descriptor_source",)), "DecodeProtoV2 EncodeProto"),
    **_doors(
        Door("read", source="network"),
        "DataServiceDataset DataServiceDatasetV2 DataServiceDatasetV3 DataServiceDatasetV4 "
        "RpcClient",
    ),
    **_doors(Door("read", source="graph"), "DatasetFromGraph"),
    **_doors(
        Door("read", source="reader"),
        "WholeFileReader WholeFileReaderV2 TextLineReader TextLineReaderV2 TFRecordReader "
        "TFRecordReaderV2 FixedLengthRecordReader FixedLengthRecordReaderV2 LMDBReader",
    ),
    **_doors(Door("write", inputs=(0,)), "WriteFile", SAVE_OPS),
    **_doors(Door("write", inputs=(0, 1)), "MergeV2Checkpoints"),
    **_doors(
        Door("write", inputs=(1,)),
        "CreateSummaryFileWriter CreateSummaryDbWriter CacheDataset CacheDatasetV2 "
        "DatasetToTFRecord ExperimentalDatasetToTFRecord SaveDataset SaveDatasetV2 SnapshotDataset "
        "SnapshotDatasetV2 DistributedSave",
    ),
    **_doors(Door("write", attrs=("output_stream",)), "PrintV2"),  # stderr too: fake messages
    **_doors(Door("write", source="stream"), "Print"),
    **_doors(Door("write", attrs=("log_dir_path", "file_name")), "DumpTensor"),
    **_doors(Door("write", attrs=("output_file_path",)), "CalibrationStatisticsSaver"),
    **_doors(
        Door("write", attrs=("debug_urls",)),
        "DebugIdentity DebugIdentityV2 DebugIdentityV3 DebugNanCount DebugNumericSummary",
    ),
    **_doors(Door("write", attrs=("debug_ops_spec",)), "Copy CopyHost"),
    **_doors(
        Door("write", source="network"),
        "RegisterDataset RegisterDatasetV2 RpcServer RpcServerStart",
    ),
    **_doors(Door("write", source="process"), "FileSystemSetConfiguration"),
}
"""Op type -> how it opens a file, socket or server (every registered op named like one is here
or in :data:`HARMLESS_PATH_OPS`)."""
FILE_OPS = frozenset(DOORS)
HARMLESS_PATH_OPS = _family(
    "RegexFullMatch RegexReplace StaticRegexFullMatch StaticRegexReplace ShardedFilename "
    "ShardedFilespec CTCBeamSearchDecoder TensorSliceDataset RemoteCall "
    "BoostedTreesCreateQuantileStreamResource BoostedTreesFlushQuantileSummaries "
    "BoostedTreesQuantileStreamResourceAddSummaries BoostedTreesExampleDebugOutputs "
    "BoostedTreesQuantileStreamResourceDeserialize BoostedTreesQuantileStreamResourceFlush "
    "BoostedTreesQuantileStreamResourceGetBucketBoundaries BoostedTreesMakeStatsSummary "
    "IsBoostedTreesQuantileStreamResourceInitialized ExperimentalSetStatsAggregatorDataset "
    "SetStatsAggregatorDataset ExperimentalStatsAggregatorSummary StatsAggregatorSummary "
    "IdentityReader IdentityReaderV2 SnapshotNestedDatasetReader DebugGradientIdentity "
    "DebugGradientRefIdentity DebugNumericSummaryV2 AudioSummary AudioSummaryV2 "
    "HistogramSummary ImageSummary MergeSummary ScalarSummary TensorSummary TensorSummaryV2 "
    "SummaryWriter CloseSummaryWriter FlushSummaryWriter StatsAggregatorSetSummaryWriter "
    "WriteAudioSummary WriteGraphSummary WriteHistogramSummary WriteImageSummary "
    "WriteRawProtoSummary WriteScalarSummary WriteSummary ReaderNumRecordsProduced "
    "ReaderNumRecordsProducedV2 ReaderNumWorkUnitsCompleted ReaderNumWorkUnitsCompletedV2 "
    "ReaderReset ReaderResetV2 ReaderRestoreState ReaderRestoreStateV2 ReaderSerializeState "
    "ReaderSerializeStateV2 RpcServerRegister RpcCall RpcCheckStatus RpcGetValue "
    "DeleteRpcFutureResource"
)
"""Registered ops named like a door that open nothing themselves (judged by hand)."""

QUEUE_OPS = _family(
    *(
        f"{base}{v}"
        for base in _family(
            "FIFOQueue PaddingFIFOQueue RandomShuffleQueue PriorityQueue QueueEnqueue "
            "QueueEnqueueMany QueueDequeue QueueDequeueMany QueueDequeueUpTo QueueClose QueueSize "
            "TFRecordReader TextLineReader WholeFileReader FixedLengthRecordReader IdentityReader "
            "ReaderRead ReaderReadUpTo"
        )
        for v in ("", "V2")
    ),
    "LMDBReader",
)
"""Input-pipeline queues and readers (``session.run`` blocks until queue runners fill them)."""
PY_FUNC_OPS = _family("PyFunc", "PyFuncStateless", "EagerPyFunc")
"""Calls into Python functions of the exporting process (not stored in the model)."""

PIPELINE_OUTPUT_OPS = _family(
    "IteratorGetNext IteratorGetNextSync",
    *(f"QueueDequeue{k}{v}" for k in ("", "Many", "UpTo") for v in ("", "V2")),
)
"""Where an input pipeline hands batches to the model (a feed_dict can feed them instead)."""
PARSE_EXAMPLE_OPS = _family("ParseExample", "ParseExampleV2", "ParseSingleExample")
"""Ops parsing serialized ``tf.Example`` protos (their dense keys name the features)."""
SHAPE_OPS = _family("Shape", "ShapeN", "Size", "Rank")
LAYER_OPS = _family(
    "MatMul BatchMatMul BatchMatMulV2 BatchMatMulV3 Conv2D Conv3D DepthwiseConv2dNative "
    "Conv2DBackpropInput BiasAdd Add AddV2 Gather GatherV2 ResourceGather"
)
"""Ops that apply a weight (a variable, or a constant in a frozen graph) when one is an input."""
ACTIVATION_HEAD_OPS = _family("Softmax", "Sigmoid", "Tanh", "LogSoftmax")
"""Activations that end a network when no later layer reads them (probabilities, images)."""

VARIABLE_OPS = _family(REF_VARIABLE_OPS, RESOURCE_VARIABLE_OPS)
REF_TYPED_OPS = _family(REF_VARIABLE_OPS, TEMPORARY_VARIABLE_OPS)
CALL_OPS = _family("PartitionedCall", "StatefulPartitionedCall")
IF_OPS = _family("If", "StatelessIf")
"""Functional conds: input 0 is the predicate, the rest the branches' arguments."""
WHILE_OPS = _family("While", "StatelessWhile")
THREADED_OPS = _family(
    V1_CONTROL_FLOW_OPS, IF_OPS, WHILE_OPS, QUEUE_OPS, PY_FUNC_OPS, "Case StatelessCase"
)
"""What TensorFlow's single-threaded executor cannot run: control flow, lowered or not; async."""
LOOKUP_OPS = _family("LookupTableFindV2", "LookupTableFind")
SUMMARY_OPS = _family("ScalarSummary", "HistogramSummary", "WriteScalarSummary")
MAP_DATASET_OPS = _family("MapDataset ParallelMapDataset ParallelMapDatasetV2 MapAndBatchDataset")
SEQUENCE_PARSE_OPS = _family(
    "ParseSequenceExample", "ParseSequenceExampleV2", "ParseSingleSequenceExample"
)
STATE_CHANGING_PREFIXES = tuple(
    _family(
        "Assign ResourceApply ResourceScatter ResourceSparseApply Apply SparseApply Scatter "
        "CountUpTo LookupTableInsert LookupTableRemove LookupTableImport"
    )
)

# -- pass-through: ops whose output 0 is input 0, or a view of it ------------------------------
IDENTITY_OPS = _family("Identity", "Snapshot", "StopGradient", "PreventGradient", "RefIdentity")
"""Output 0 is input 0 at inference, in the same frame (what a rewrite looks through)."""
PASS_THROUGH_OPS = _family(IDENTITY_OPS, "ReadVariableOp", CONTROL_FLOW_ENTRY_OPS)
"""Output 0 holds the value of input 0 (into a loop frame or a cond branch too)."""
RESHAPE_OPS = _family("Reshape", "ExpandDims", "Squeeze")
FEATURE_PASS_OPS = _family(
    PASS_THROUGH_OPS,
    RESHAPE_OPS,
    DEFAULT_PLACEHOLDER_OPS,
    "IdentityN EnsureShape CheckNumerics RegexReplace StaticRegexReplace StringLower "
    "StringUpper StringStrip",
)
"""A parsed ``tf.Example`` feature keeps its identity (and string kind) through these."""
PIPELINE_PASS_OPS = _family(PASS_THROUGH_OPS, RESHAPE_OPS, "Cast")
"""Between a pipeline's output and the parser that names its feature (a cast keeps the key)."""
HEAD_PASS_OPS = _family(PASS_THROUGH_OPS, RESHAPE_OPS, "Transpose")
"""What a network's head may pass through before its one reader (a layout change is the head)."""
PATH_PASS_OPS = _family(
    PASS_THROUGH_OPS, RESHAPE_OPS, DEFAULT_PLACEHOLDER_OPS, "Exit", "RefExit", "ShardedFilename"
)
"""A file path string keeps its source through these (out of loop frames, into shard names)."""
ANY_INPUT_OPS = _family("Merge", "RefMerge", "Pack", "IdentityN", "Select", "SelectV2")
"""The value may be any of the (data, for ``Select*``: branch) inputs'."""
SHAPE_KEEPING_OPS = _family(
    IDENTITY_OPS,
    "Enter RefEnter EnsureShape CheckNumerics Cast Relu Relu6 Elu Selu LeakyRelu Sigmoid Tanh "
    "Softplus Softsign Neg Abs Exp Log Log1p Sqrt Rsqrt Square Floor Ceil Round Rint Sign "
    "Reciprocal Inv Erf Sin Cos LogicalNot ZerosLike OnesLike Softmax LogSoftmax",
)
"""Output 0 has the shape of input 0 (not a ``Switch``: one branch says nothing of the other)."""
BROADCAST_OPS = _family(
    "Add AddV2 Sub Mul RealDiv Div FloorDiv FloorMod Maximum Minimum Pow SquaredDifference "
    "Greater GreaterEqual Less LessEqual Equal NotEqual LogicalAnd LogicalOr DivNoNan "
    "MulNoNan TruncateDiv Atan2"
)

LOSS_OPS = _family(
    "SoftmaxCrossEntropyWithLogits SparseSoftmaxCrossEntropyWithLogits SquaredDifference "
    "InTopK InTopKV2 Equal NotEqual"
)
"""Ops comparing a prediction with labels."""
LOGIT_OPS = _family("Add", "AddV2", "BiasAdd")
"""The last op of a dense layer (logits before an activation)."""
SCALAR_REDUCTION_OPS = _family("Mean", "Sum", "Max", "Min", "Prod", "All", "Any", "Neg", "Cast")
"""Ops that make a metric or loss scalar out of a tensor."""
CTC_DECODER_OPS = _family("CTCGreedyDecoder", "CTCBeamSearchDecoder")
DATA_SIZED_OPS = _family(
    CTC_DECODER_OPS,
    "NonMaxSuppression NonMaxSuppressionV2 NonMaxSuppressionV3 NonMaxSuppressionV4 "
    "NonMaxSuppressionV5 Where Unique UniqueV2 ListDiff",
)
"""Ops whose output size depends on the values: a count of what they keep is an output."""
HEAD_STEP_OPS = _family(ACTIVATION_HEAD_OPS, "ArgMax", "Identity", "Reshape", "Squeeze")
"""Steps from logits to the output a user reads (they are one head, not competing outputs)."""
NOT_IO_OPS = _family(
    VARIABLE_OPS,
    CHECKPOINT_OPS,
    "NoOp Const VarIsInitializedOp IsVariableInitialized Assert Print PrintV2 ShardedFilename "
    "ControlTrigger",
)
"""Never an input or output a user wants (bookkeeping, variables, checkpoints)."""
VOLATILE_OPS = _family(RANDOM_OPS, PLACEHOLDER_OPS, PIPELINE_OUTPUT_OPS, "StatelessRandomUniformV2")
"""Values that change from run to run (or are fed): never folded into a constant."""

# -- conversion / loading ------------------------------------------------------------------------
REF_APPLY_OPS = _family(
    *(
        f"Apply{x}"
        for x in _family(
            "GradientDescent ProximalGradientDescent Momentum Adam AdaMax Adagrad AdagradV2 "
            "AdagradDA ProximalAdagrad Adadelta RMSProp CenteredRMSProp Ftrl FtrlV2 AddSign "
            "PowerSign"
        )
    ),
    *(
        f"SparseApply{x}"
        for x in _family(
            "Momentum Adagrad AdagradV2 AdagradDA ProximalAdagrad ProximalGradientDescent "
            "Adadelta RMSProp CenteredRMSProp Ftrl FtrlV2"
        )
    ),
)
"""Training ops on reference variables (their resource ops: ``Resource`` + the name; Keras's
momentum has no reference form)."""
REF_SCATTER_OPS = _family(
    *(f"Scatter{k}" for k in _family("Update Add Sub Mul Div Min Max NdUpdate NdAdd NdSub"))
)
RESTORE_ASSIGN_OPS = _family("Assign", "AssignVariableOp")
"""What a Saver's restore op assigns each variable with (ref or resource)."""

# -- feeding ---------------------------------------------------------------------------------------
IMAGE_DECODE_OPS = _family("DecodeJpeg DecodeAndCropJpeg DecodePng DecodeImage DecodeBmp")
"""Ops decoding an image file's contents (a scalar string)."""

# -- inspection (scan rules: memory bombs, image sizes, loop predicates) ---------------------------
IMAGE_RESIZE_OPS = _family("ResizeBilinear ResizeNearestNeighbor ResizeBicubic ResizeArea")
RESIZE_OPS = _family(IMAGE_RESIZE_OPS, "CropAndResize")
PAD_OPS = _family("Pad PadV2 MirrorPad")
WINDOW_OPS = _family("Conv2D DepthwiseConv2dNative MaxPool AvgPool")
SPATIAL_OPS = _family(WINDOW_OPS, PAD_OPS, RESIZE_OPS, "Squeeze ExtractImagePatches")
"""Ops below an input that make it an image whose size matters."""
LOOP_PASS_OPS = _family(SHAPE_KEEPING_OPS, BROADCAST_OPS, "Merge NextIteration Switch Exit")
"""A value keeps steering what it reaches through these (element-wise math, loop plumbing)."""
KEEP_OPS = _family(LOOP_PASS_OPS, "BiasAdd FusedBatchNorm FusedBatchNormV3 LRN AddN")
"""Ops whose output 0 has input 0's height and width."""
SHAPE_AT_0_OPS = _family(
    "Fill Empty RandomUniform RandomStandardNormal TruncatedNormal RandomUniformInt "
    "StatelessRandomUniform StatelessRandomNormal StatelessTruncatedNormal "
    "StatelessRandomUniformV2 StatelessRandomNormalV2 StatelessTruncatedNormalV2 "
    "StatelessRandomUniformIntV2 RandomGamma RandomPoissonV2"
)
SHAPE_INPUT: dict[str, int] = {
    **dict.fromkeys(SHAPE_AT_0_OPS, 0),
    **dict.fromkeys(_family(IMAGE_RESIZE_OPS, "BroadcastTo"), 1),
    "ScatterNd": 2,
}
"""Op type -> the input holding its output shape (a resize: its new height and width)."""
SIZED_OPS = _family(frozenset(SHAPE_INPUT), PAD_OPS, "Tile OneHot Range")

# -- inspection (suggestions: which tensors are a model's inputs and outputs) ---------------------
LABEL_INPUT: dict[str, int | None] = {
    t: None if t in ("SquaredDifference", "Equal", "NotEqual") else 1 for t in LOSS_OPS
}
"""Comparing ops: which input holds the labels (``None``: either side, decided by the graph)."""
STOP_GRADIENT_PASS_OPS = _family(RESHAPE_OPS, "Identity")
GENERATED_PASS_OPS = _family("Identity Reshape Cast ExpandDims")
CONTROL_FLOW_PLUMBING_OPS = _family(CONTROL_FLOW_ENTRY_OPS, CONTROL_FLOW_BACK_EDGE_OPS, "LoopCond")
"""v1 control-flow ops that route values (Merge and Exit carry results: they may be outputs)."""

# -- rewriting (Keras rewrite rules, training check) -------------------------------------------
ACTIVATION_OPS = _family("Relu Relu6 Elu Selu Sigmoid Tanh Softplus Softsign")
"""Activations with a Keras ``activation=`` name (the op type, lower case)."""
CONV2D_OPS = _family("Conv2D", "DepthwiseConv2dNative", "Conv2DBackpropInput")
COMPARE_OPS = _family("Less", "LessEqual", "Greater", "GreaterEqual")
VARIABLE_READ_OPS = _family("Identity", "ReadVariableOp")
"""Between a variable and the value its readers get."""
