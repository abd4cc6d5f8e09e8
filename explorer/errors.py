"""Every error explorer raises on purpose: one line naming what is at fault and the fix."""

from __future__ import annotations

import re


class ExplorerError(Exception):
    """Base class of all explorer errors. ``str(err)`` is a one-line, user-facing message."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class ModelNotFoundError(ExplorerError):
    """The path does not exist, or holds no TF1 model."""


class ModelFormatError(ExplorerError):
    """A file exists but is not a valid SavedModel, GraphDef, MetaGraph or checkpoint."""


class AmbiguousModelError(ExplorerError):
    """A folder holds more than one model, or a SavedModel more than one tag set."""


class TagsError(ExplorerError):
    """The requested tag set is not in the SavedModel."""


class MissingVariablesError(ExplorerError):
    """The graph has variables but their checkpoint is missing, unreadable or of another graph."""


class TensorNotFoundError(ExplorerError):
    """A tensor or op name is not in the graph."""


class SignatureNotFoundError(ExplorerError):
    """A signature name is not in the model."""


class SessionError(ExplorerError):
    """The v1 session could not be built or run (import, restore, initialisation, run). ``fix``:
    the way on that ends the message (``running.session.RUN_FIX``, ``GRAPH_FIX``), else ``""``."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(f"{message}: {fix}" if fix else message)
        self.fix = fix


class UnsupportedOpError(ExplorerError):
    """The graph uses op types that the running TensorFlow does not register."""


class OutputChoiceError(ExplorerError):
    """A model without signatures whose outputs cannot be chosen with confidence: name them."""


class UnsafeModelError(ExplorerError):
    """The model holds file-system or Python-calling ops and the user did not allow them."""


class FeedError(ExplorerError):
    """A feed does not match the input it is for (name, dtype, shape, size)."""


class DataError(FeedError):
    """The user's data does not fit the model's inputs, or a record is bad."""


class ConversionError(ExplorerError):
    """The model could not be converted to TF2, or the output folder could not be written."""


class OutputExistsError(ConversionError):
    """The output folder exists and ``overwrite`` was not given."""


class ParityError(ExplorerError):
    """A comparison could not be made (nothing to compare, mismatched outputs)."""


# TF 2.x run errors open with "Graph execution error:", where the node was defined, a traceback.
_TF_NOISE = ("Graph execution error", "Detected at node", "Node:", "[[", "File ")
_TF_WRAPPING = re.compile(r"\{\{function_node [^}]*\}\}\s*|\s*\[Op:[^\]]*\].*$")
# C0/C1 controls, DEL, and the Unicode bidi and line separators a terminal or browser acts on.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def plain(text: object) -> str:
    """Text from a model safe to show: control characters as visible escapes (``\\x1b``)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


def first_line(e: BaseException, limit: int = 300) -> str:
    """The first line of ``e`` that is not TensorFlow's boilerplate, at most ``limit`` long."""
    msg = getattr(e, "message", None) or str(e) or type(e).__name__
    lines = [ln.strip() for ln in str(msg).strip().splitlines() if ln.strip()]
    useful = [ln for ln in lines if not ln.startswith(_TF_NOISE) and "most recent call" not in ln]
    line = _TF_WRAPPING.sub("", (useful or lines or [type(e).__name__])[0]).strip()
    return plain(line[:limit]) or type(e).__name__
