"""Weights for a native rewrite: :func:`map_weights` matches a TF1 model's checkpoint variables to
a Keras 3 model's weights (names, shape, order); :meth:`WeightMapping.assign` copies them."""

from __future__ import annotations

from collections.abc import Mapping
from copy import deepcopy
from dataclasses import asdict, dataclass, field
from typing import Any

from explorer.errors import ConversionError, TensorNotFoundError
from explorer.loading.model import V1Model, read_variables

# Name tokens that mean the same weight role in TF1 libraries (tf.layers, slim, sonnet) and Keras 3.
ROLE_ALIASES = dict(weights="kernel", w="kernel", biases="bias", b="bias", embedding="embeddings")
ROLE_ALIASES |= dict(scale="gamma", offset="beta")

# Optimizer slots and training bookkeeping: in the checkpoint, never part of a rewritten model.
_OPTIMIZER_SLOTS = (
    "Adam Adam_1 Momentum RMSProp RMSProp_1 Adagrad AdagradDA Adadelta Adadelta_1 Ftrl Ftrl_1 "
    "ProximalAdagrad ExponentialMovingAverage"
)
_OPTIMIZER_TOKENS = frozenset(_OPTIMIZER_SLOTS.split())
_BOOKKEEPING = frozenset({"global_step", "beta1_power", "beta2_power"})


@dataclass
class Match:
    """A TF1 variable paired with a Keras weight path of the same ``shape``; ``how``:
    ``override`` (given), ``name`` (tokens agree) or ``order`` (same role and shape, in order)."""

    v1_name: str
    keras_path: str
    shape: tuple[int, ...]
    how: str


@dataclass
class WeightMapping:
    """What :func:`map_weights` found; truthy when complete. ``matches`` in Keras weight order;
    ``ambiguous``: v1 name -> candidate paths; ``skipped``: optimizer slots and bookkeeping."""

    matches: list[Match] = field(default_factory=list)
    unmatched_v1: list[str] = field(default_factory=list)
    unmatched_keras: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    _values: dict[str, Any] = field(default_factory=dict, repr=False)
    _targets: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def complete(self) -> bool:
        """Every v1 variable and every Keras weight is matched exactly once."""
        return not (self.unmatched_v1 or self.unmatched_keras or self.ambiguous)

    def __bool__(self) -> bool:
        return self.complete

    def assign(self, strict: bool = True) -> int:
        """Copy the matched v1 values into the Keras weights (``strict``: only when complete)."""
        if strict and not self.complete:
            raise ConversionError(
                f"weight mapping is incomplete ({self.problem_summary()}): settle it with "
                "map_weights(..., overrides={v1_name: keras_path}) or assign(strict=False)"
            )
        for m in self.matches:
            self._targets[m.keras_path].assign(self._values[m.v1_name])
        return len(self.matches)

    def problem_summary(self) -> str:
        """One line: counts of unmatched and ambiguous names, with the first of each."""
        named = {"unmatched v1": self.unmatched_v1, "unmatched keras": self.unmatched_keras}
        named["ambiguous"] = list(self.ambiguous)
        parts = [f"{len(v)} {label}: {', '.join(v[:3])}" for label, v in named.items() if v]
        return "; ".join(parts) or "complete"

    def to_json(self) -> dict[str, Any]:
        names = ("unmatched_v1", "unmatched_keras", "ambiguous", "skipped")
        matches = [{**asdict(m), "shape": list(m.shape)} for m in self.matches]
        lists = {n: deepcopy(getattr(self, n)) for n in names}
        return {"complete": self.complete, "matches": matches, **lists}

    def __str__(self) -> str:
        lines = [f"{m.v1_name} -> {m.keras_path} {list(m.shape)} ({m.how})" for m in self.matches]
        lines += [f"{n} -> ? (no Keras weight)" for n in self.unmatched_v1]
        lines += [f"? -> {p} (no v1 variable)" for p in self.unmatched_keras]
        lines += [f"{n} -> one of {', '.join(c)} (ambiguous)" for n, c in self.ambiguous.items()]
        return "\n".join(lines)


def map_weights(
    v1_model: V1Model | Mapping[str, Any],
    keras_model: Any,
    overrides: Mapping[str, str | None] | None = None,
) -> WeightMapping:
    """Match a TF1 model's variables (a :class:`V1Model`'s checkpoint, or name -> array) to the
    weights of an equivalent built Keras 3 model; nothing is assigned yet. Names reduce to a role
    (last token, :data:`ROLE_ALIASES`) and a layer token (``dense_1``). In each (role, shape)
    group, pairs agree by ``layer/role`` name when all v1 names find theirs, else (as many on each
    side) by creation order; the rest is unmatched or ambiguous. ``overrides``: v1 name -> Keras
    path (model-name prefix optional), applied first; ``None`` leaves a variable out.
    Raises TensorNotFoundError (an override names nothing) or ConversionError (no variables, an
    unbuilt Keras model, an override pairing different shapes)."""
    import numpy as np

    values = dict(v1_model) if isinstance(v1_model, Mapping) else read_variables(v1_model)
    if not values:
        where = "the given dict" if isinstance(v1_model, Mapping) else v1_model.path
        raise ConversionError(
            f"{where} has no variables to map (a frozen graph keeps its weights as constants): "
            "load the checkpoint or SavedModel the graph was frozen from"
        )
    values = {k: np.asarray(v) for k, v in values.items()}
    targets = _keras_weights(keras_model)
    overrides = dict(overrides or {})
    result = WeightMapping(_values=values, _targets=targets)
    taken: set[str] = set()
    by_v1: dict[str, Match] = {}
    for v1_name, path in overrides.items():
        if v1_name not in values:
            raise TensorNotFoundError(
                f"override names v1 variable {v1_name!r}, which the model does not save: "
                f"choose one of {', '.join(list(values)[:5])}"
            )
        if path is None:
            result.skipped.append(v1_name)
            continue
        if (path := _resolve_path(path, targets)) not in targets:
            raise TensorNotFoundError(
                f"override maps {v1_name!r} to Keras weight {path!r}, which the model lacks: "
                f"choose one of {', '.join(list(targets)[:5])}"
            )
        if (shape := tuple(values[v1_name].shape)) != _shape(targets[path]):
            raise ConversionError(
                f"override maps {v1_name!r} {list(shape)} to {path!r} "
                f"{list(_shape(targets[path]))}: shapes differ; pick a weight of the same shape"
            )
        by_v1[v1_name] = Match(v1_name, path, shape, "override")
        taken.add(path)

    rest = [n for n in values if n not in overrides]
    result.skipped += [n for n in rest if _is_optimizer_state(n)]
    sources = [n for n in rest if not _is_optimizer_state(n)]
    model_prefix = getattr(keras_model, "name", "")
    groups: dict[tuple[str, tuple[int, ...]], tuple[list[str], list[str]]] = {}
    for name in sources:
        groups.setdefault((_role(name), tuple(values[name].shape)), ([], []))[0].append(name)
    for path in (p for p in targets if p not in taken):
        groups.setdefault((_role(path), _shape(targets[path])), ([], []))[1].append(path)
    for (_, shape), (src, dst) in groups.items():
        for m in _match_group(src, dst, model_prefix, shape):
            by_v1[m.v1_name] = m
            taken.add(m.keras_path)
        left_src = [n for n in src if n not in by_v1]
        left_dst = [p for p in dst if p not in taken]
        if left_src and left_dst:
            result.ambiguous.update({n: list(left_dst) for n in left_src})
        else:
            result.unmatched_v1.extend(left_src)
    in_doubt = {p for cands in result.ambiguous.values() for p in cands}
    result.unmatched_keras = [p for p in targets if p not in taken and p not in in_doubt]
    order = {p: i for i, p in enumerate(targets)}
    result.matches = sorted(by_v1.values(), key=lambda m: order[m.keras_path])
    result.unmatched_v1.sort(key=list(values).index)
    return result


def _match_group(
    src: list[str], dst: list[str], model_prefix: str, shape: tuple[int, ...]
) -> list[Match]:
    """Pairs within one (role, shape) group: by name when all v1 names agree, else by order."""
    if not src or not dst:
        return []
    dst_keys: dict[str, list[str]] = {}
    for p in dst:
        dst_keys.setdefault(_layer_role(p, model_prefix), []).append(p)
    cands = {n: dst_keys.get(_layer_role(n, ""), []) for n in src}
    by_name = {n: c[0] for n, c in cands.items() if len(c) == 1}
    if len(by_name) == len(src) and len(set(by_name.values())) == len(src):
        return [Match(n, by_name[n], shape, "name") for n in src]
    if len(src) == len(dst):
        return [Match(n, p, shape, "order") for n, p in zip(src, dst)]
    first = {p: n for n, p in reversed(by_name.items())}  # path -> the first v1 name naming it
    return [Match(n, p, shape, "name") for p, n in first.items()]


def _resolve_path(path: str, targets: Mapping[str, Any]) -> str:
    """``path`` itself, or the one Keras path ending in ``/path`` (model prefix left out)."""
    found = [p for p in targets if p.endswith("/" + path)]
    return found[0] if path not in targets and len(found) == 1 else path


def _keras_weights(model: Any) -> dict[str, Any]:
    if not (weights := getattr(model, "weights", None)):
        raise ConversionError(
            f"Keras model {getattr(model, 'name', model)!r} has no weights: build it first "
            "(start it with keras.Input or call it once on a batch)"
        )
    out: dict[str, Any] = {}
    for w in {id(w): w for w in weights}.values():  # each variable once
        path = getattr(w, "path", None) or w.name
        while path in out:  # two weights with one path: keep both, distinguishable
            path += "_"
        out[path] = w
    return out


def _shape(var: Any) -> tuple[int, ...]:
    return tuple(int(d) for d in var.shape)


def _tokens(name: str) -> list[str]:
    return [t for t in name.split(":")[0].split("/") if t]


def _role(name: str) -> str:
    last = (_tokens(name) or [name])[-1]
    return ROLE_ALIASES.get(last, last)


def _layer_role(name: str, model_prefix: str) -> str:
    toks = _tokens(name)
    if model_prefix and len(toks) > 2 and toks[0] == model_prefix:
        toks = toks[1:]
    return f"{toks[-2] if len(toks) >= 2 else ''}/{_role(name)}"


def _is_optimizer_state(name: str) -> bool:
    toks = _tokens(name)
    return bool(toks) and (
        toks[-1] in _BOOKKEEPING or any(t in _OPTIMIZER_TOKENS for t in toks[1:])
    )
