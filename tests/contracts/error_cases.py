"""The bad inputs and the one line each gives: the table the contract tests iterate and the docs
render (``docs/security.md``, through ``docs/hooks/error_table.py``).

* :data:`BAD_INPUTS`: broken files, each built by ``test_bad_inputs`` (builder ``build`` with
  ``args``); the API raises exactly ``error`` with a message matching ``pattern`` (``re.search``),
  and ``test_cli_stderr`` runs the CLI on each (``inspect``, or ``run`` for ``step="session"``):
  exit 2, that line on stderr.
* :data:`HOSTILE`: hostile models of ``hostile_models``; ``tf1-explorer run`` exits 2 with one
  stderr line matching ``pattern``.

``example`` is a message from a real run (paths shortened to ``…``); ``tests/test_docs.py`` checks
that it matches ``pattern``. This module imports only the error classes: the docs build reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from explorer import errors


@dataclass(frozen=True)
class ErrorCase:
    id: str  # the test id and the table's "bad input"
    build: str  # the builder in test_bad_inputs.BUILDERS, called (tmp, mlp_paths, *args)
    error: type[errors.ExplorerError]
    pattern: str
    example: str = ""
    step: str = "load"  # where it fails: "load", or "session" (load works, the session fails)
    tags: list[str] | None = None
    args: tuple = ()


@dataclass(frozen=True)
class HostileCase:
    id: str  # the builder in hostile_models
    what: str
    pattern: str
    example: str = ""
    extra: tuple[str, ...] = ()  # more CLI arguments after ``run MODEL``


_CORRUPT = ": the file is truncated or of another kind; re-export or point at the right file"
TRUNCATED = (0.0001, 0.01, 0.25, 0.5, 0.75, 0.999)

BAD_INPUTS: list[ErrorCase] = [
    ErrorCase(
        "empty file",
        "empty_pb",
        errors.ModelFormatError,
        r"empty\.pb is empty: re-export",
        "…/empty.pb is empty: re-export the GraphDef",
    ),
    ErrorCase(
        "random bytes .pb",
        "random_pb",
        errors.ModelFormatError,
        r"random\.pb is not a valid binary GraphDef .*: the file is truncated or of another kind",
        "…/random.pb is not a valid binary GraphDef (Error parsing message with type "
        "'tensorflow.GraphDef': Wire format was corrupt)" + _CORRUPT,
    ),
    *[
        ErrorCase(
            f"saved_model.pb truncated at {f:.0%}",
            "truncated",
            errors.ModelFormatError,
            r"saved_model\.pb (is not a valid binary SavedModel|holds no)",
            f"…/truncated_{f}/saved_model.pb is not a valid binary SavedModel (Error parsing "
            "message with type 'tensorflow.SavedModel': Wire format was corrupt)" + _CORRUPT,
            args=(f,),
        )
        for f in TRUNCATED
    ],
    ErrorCase(
        ".pbtxt syntax error",
        "pbtxt_syntax",
        errors.ModelFormatError,
        r"syntax\.pbtxt is not a valid text GraphDef \(1:7 .*re-export or point at the right file",
        "…/syntax.pbtxt is not a valid text GraphDef (1:7 : 'node {{': Expected identifier or "
        "number, got {.)" + _CORRUPT,
    ),
    ErrorCase(
        "SavedModel without variables/",
        "no_variables_folder",
        errors.MissingVariablesError,
        r"no_variables has 4 variables but no checkpoint: .*variables/",
        "…/no_variables has 4 variables but no checkpoint: for a SavedModel restore its "
        "variables/ folder; for a GraphDef, freeze it with its checkpoint or load the .meta file",
        step="session",
    ),
    ErrorCase(
        "SavedModel with another graph's variables",
        "other_graph_variables",
        errors.MissingVariablesError,
        r"foreign_variables/variables/variables is of another graph \(dense/kernel is \[2, 2\] "
        r"there but \[4, 8\].*restore the variables exported with",
        "checkpoint …/foreign_variables/variables/variables is of another graph (dense/kernel "
        "is [2, 2] there but [4, 8] in the graph): restore the variables exported with "
        "…/foreign_variables",
        step="session",
    ),
    ErrorCase(
        "SavedModel with damaged variable data",
        "damaged_variables",
        errors.MissingVariablesError,
        r"cannot read checkpoint .*damaged_variables/variables/variables "
        r".*restore the one exported",
        "cannot read checkpoint …/damaged_variables/variables/variables (TensorBundle at … "
        "Checksum does not match: …): it is damaged or not a checkpoint; restore the one "
        "exported with …/damaged_variables",
        step="session",
    ),
    ErrorCase(
        "unknown tags",
        "shipped_saved_model",
        errors.TagsError,
        r"saved_model has no MetaGraph with tags gpu: choose one of serve",
        "…/saved_model has no MetaGraph with tags gpu: choose one of serve",
        tags=["gpu"],
    ),
    ErrorCase(
        "several tag sets, none chosen",
        "shipped_two_tags",
        errors.AmbiguousModelError,
        r"two_tags has 2 tag sets .*pass tags=\.\.\. \(CLI: --tags\)",
        "…/two_tags has 2 tag sets (serve; train): pass tags=... (CLI: --tags) to choose one",
    ),
    ErrorCase(
        "checkpoint state file pointing nowhere",
        "state_file_nowhere",
        errors.MissingVariablesError,
        r"state_nowhere/checkpoint points at /nowhere/model, which is not here .*point at the",
        "…/state_nowhere/checkpoint points at /nowhere/model, which is not here (nor "
        "…/state_nowhere/model): point at the checkpoint prefix or .meta file",
    ),
    ErrorCase(
        "unregistered op",
        "unregistered_op",
        errors.UnsupportedOpError,
        r"unregistered\.pb uses op types .* does not register: MyCustomSoftmax; ways on: .*"
        r"replacements=\{'MyCustomSoftmax': fn.*op_libraries=.*--op-library PATH",
        "…/unregistered.pb uses op types this TensorFlow (2.21.0) does not register: "
        "MyCustomSoftmax; ways on: (1) no built-in replacement is known for these; (2) your "
        "own, explorer.load(path, replacements={'MyCustomSoftmax': fn, ...}) computing each "
        "with TF ops (README: Custom ops); (3) the library that defines them, "
        "explorer.load(path, op_libraries=['lib.so']) (CLI: --op-library PATH; it runs native "
        "code: trust it as you would --allow-unsafe)",
        step="session",
    ),
    ErrorCase(
        "input referencing a missing node",
        "missing_input",
        errors.ModelFormatError,
        r"missing_input\.pb: node 'probs' reads 'not_here', which is not in the graph",
        "…/missing_input.pb: node 'probs' reads 'not_here', which is not in the graph: the "
        "file is incomplete; re-export it or freeze it again",
    ),
    ErrorCase(
        "negative placeholder shape",
        "placeholder_shape",
        errors.ModelFormatError,
        r"negative\.pb: node 'x' has shape \[-5, 4\] .*below -1",
        "…/negative.pb: node 'x' has shape [-5, 4] in 'shape' with a dimension below -1: the "
        "file is corrupt; re-export it",
        args=([-5, 4], "negative.pb"),
    ),
    ErrorCase(
        "huge placeholder shape",
        "placeholder_shape",
        errors.ModelFormatError,
        r"huge\.pb: node 'x' has shape .*more than 2\*\*63-1 entries",
        "…/huge.pb: node 'x' has shape [1099511627776, 1099511627776] in 'shape', more than "
        "2**63-1 entries: the file is corrupt; re-export it",
        args=([2**40, 2**40], "huge.pb"),
    ),
    ErrorCase(
        "negative Const shape",
        "const_shape",
        errors.ModelFormatError,
        r"negative_const\.pb: node 'dense/kernel' .*below 0",
        "…/negative_const.pb: node 'dense/kernel' has shape [-5, 8] in 'value' with a "
        "dimension below 0: the file is corrupt; re-export it",
        args=(-5, "negative_const.pb"),
    ),
    ErrorCase(
        "Const shape larger than its data",
        "const_shape",
        errors.ModelFormatError,
        r"huge_const\.pb: Const 'dense/kernel' has 128 bytes of data",
        "…/huge_const.pb: Const 'dense/kernel' has 128 bytes of data but its shape "
        "[1099511627776, 8] needs 35184372088832: the file is corrupt; re-export it",
        args=(2**40, "huge_const.pb"),
    ),
    ErrorCase(
        "SavedModel file renamed .pb",
        "saved_model_named_pb",
        errors.ModelFormatError,
        r"model\.pb is a SavedModel file: point at its folder",
        "…/model.pb is a SavedModel file: point at its folder and name it saved_model.pb",
    ),
    ErrorCase(
        "MetaGraph renamed .pb",
        "meta_named_pb",
        errors.ModelFormatError,
        r"graph\.pb is a MetaGraphDef: rename it to \.meta",
        "…/graph.pb is a MetaGraphDef: rename it to .meta beside its checkpoint",
    ),
    ErrorCase(
        "unknown file type",
        "unknown_suffix",
        errors.ModelFormatError,
        r"weights\.h5: unknown model file type \.h5",
        "…/weights.h5: unknown model file type .h5: expected saved_model.pb, .pb/.pbtxt "
        "GraphDef, .meta or a checkpoint",
    ),
    ErrorCase(
        "folder with no model",
        "empty_folder",
        errors.ModelNotFoundError,
        r"empty_folder holds no TF1 model .*point at the model folder or file",
        "…/empty_folder holds no TF1 model (no saved_model.pb, .pb/.pbtxt, .meta or "
        "checkpoint file): point at the model folder or file",
    ),
    ErrorCase(
        "folder with two models",
        "two_models",
        errors.AmbiguousModelError,
        r"two_models holds several models \(a\.pb, b\.pb\): point at one of them",
        "…/two_models holds several models (a.pb, b.pb): point at one of them",
    ),
    ErrorCase(
        "folder with two SavedModels",
        "two_saved_models",
        errors.AmbiguousModelError,
        r"two_versions holds several models \(1, 2\): point at one of them",
        "…/two_versions holds several models (1, 2): point at one of them",
    ),
    ErrorCase(
        "saved_model.pb and .pbtxt",
        "pb_and_pbtxt",
        errors.AmbiguousModelError,
        r"pb_and_pbtxt holds both saved_model\.pb and saved_model\.pbtxt: remove one",
        "…/pb_and_pbtxt holds both saved_model.pb and saved_model.pbtxt: remove one or point "
        "at a copy",
    ),
    ErrorCase(
        "path that does not exist",
        "nonexistent",
        errors.ModelNotFoundError,
        r"nope does not exist: give a SavedModel folder",
        "…/nope does not exist: give a SavedModel folder, .pb/.pbtxt, .meta or checkpoint path",
    ),
]

HOSTILE: list[HostileCase] = [
    HostileCase(
        "table_constant_path",
        "a table filled from a constant path outside assets/",
        r"holds ops that",
        "…/table_constant_path holds ops that read …/secret/marker.txt (outside the "
        "model's assets/) (text_file_init/InitializeTableFromTextFileV2): run explorer.scan "
        "for details; …",
    ),
    HostileCase(
        "asset_traversal",
        "an asset named `../../secret/marker.txt`",
        r"holds ops that",
        "… holds ops that read asset …/assets/../../secret/marker.txt (its recorded name "
        "leaves the model folder) (asset_vocab_txt): …",
    ),
    HostileCase(
        "debug_identity",
        "`DebugIdentity` with a `file://` URL",
        r"holds ops that",
        "… holds ops that write …/watch/debug_dump (a write outside what explorer writes) (dbg): …",
    ),
    HostileCase(
        "fifo_pb",
        "a `.pb` that is a FIFO",
        r"model\.pb",
        "…/fifo/model.pb is a FIFO (named pipe), not a regular file: it is not a GraphDef and "
        "reading it could block or never end; point at the real file",
    ),
    HostileCase(
        "saved_model_pb_outside",
        "`saved_model.pb` linked out of the model folder",
        r"saved_model\.pb",
        "…/saved_model.pb is a symbolic link to …, outside the model folder …: explorer "
        "reads only files inside it; copy the SavedModel into the folder",
    ),
    HostileCase(
        "self_recursive",
        "a library function that calls itself",
        r"recur",
        "… holds ops that recurse without end (__inference_f_7): …",
    ),
    HostileCase(
        "huge_fill",
        "a `Fill` of 2**40 floats",
        r"allocate",
        "… holds ops that allocate 4.0 TiB in Fill 'big' (shape [1048576, 1048576]), over "
        "the 4.0 GiB limit (big): …",
    ),
    HostileCase(
        "endless_loop",
        "an endless `while_loop` (`--timeout 2`)",
        r"did not finish within",
        "…/model.pb: session.run did not finish within 2 s (an endless loop, or a reader or "
        "queue waiting for data) and was abandoned: …",
        extra=("--timeout", "2"),
    ),
]
