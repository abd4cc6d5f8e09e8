"""``parity()`` and the one parity loop (:func:`run_sides`): v2 runs once, v1 once and again on
the first batch and where v2 differs (an output differing from itself is *nondeterministic*, never
failed). ``remedy=True`` feeds switches their neutral value, else converts afresh a copy of v1
with switches made constants, random ops seeded."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import itertools
import json
import logging
import os
import pprint
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from explorer._tf import numerics_environment
from explorer.comparing import _reference_script as script
from explorer.comparing._reference_script import entry, unpack
from explorer.comparing.outputs import Comparator
from explorer.comparing.records import NONDETERMINISTIC, ParityReport, ParitySummary, Tolerance
from explorer.conversion.build import convert
from explorer.conversion.onnx import runner_for
from explorer.conversion.v2_model import V2Model
from explorer.errors import DataError, ExplorerError, ParityError, SessionError, first_line
from explorer.feeding.data.sources import (
    Batch,
    DataSource,
    ImageSource,
    data,
    rows_of,
    take_rows,
)
from explorer.feeding.feeds import is_sparse_like, numpy_dtype
from explorer.feeding.sampling import switch_of
from explorer.graph import index as gf
from explorer.graph.index import graph_index
from explorer.graph.names import dtype_name, op_name, tensor_name
from explorer.inspection.suggestions import check_custom_io, default_io
from explorer.loading.model import CHECKPOINT, V1Model, as_model, load, meta_graph_with
from explorer.output_policy import staged_folder, temp_folder
from explorer.running.base import FnRunner, Runner
from explorer.running.v1_runner import V1Runner

Feeds = Mapping[str, Any]
Progress = Callable[[str, int, "int | None"], None]
Then = Callable[[Runner, Runner], None]


@dataclasses.dataclass(frozen=True)
class Sampled:
    """Generated feeds: ``batches`` batches of ``batch_size`` (batch ``i`` seeded ``seed + i``).
    ``feeds`` gives arrays instead: one batch, a list of batches, or signature name -> either;
    inputs not given are sampled."""

    batches: int = 3
    seed: int = 0
    batch_size: int = 2  # two rows: an output keeping row 0 only cannot pass unnoticed
    shapes: Mapping[str, Any] | None = None
    ranges: Mapping[str, tuple[float, float]] | None = None
    feeds: Any = None

    def __post_init__(self) -> None:
        if self.feeds is None and self.batches < 1:
            raise ParityError(
                f"batches={self.batches}: nothing to compare; run at least one batch "
                "(an empty comparison is never a pass)"
            )

    def only(self, name: str | None, names: list[str | None]) -> Sampled:
        """This source for signature ``name`` of ``names``: given arrays as a list."""
        feeds = self.feeds
        if isinstance(feeds, Mapping) and feeds and set(feeds) <= {n for n in names if n}:
            feeds = feeds.get(name)
        feeds = [feeds] if isinstance(feeds, Mapping) else feeds
        if feeds is not None and not list(feeds):
            raise ParityError("feeds is an empty list: give at least one batch")
        return dataclasses.replace(self, feeds=None if feeds is None else list(feeds))


Source = Sampled | DataSource


def feed_source(source: Any) -> Source:
    """A feed source of ``None`` (3 sampled batches), a :class:`Sampled`, a ``DataSource``, given
    arrays (``Sampled.feeds``), or a path for :func:`explorer.data`."""
    if source is None:
        return Sampled()
    if isinstance(source, (Sampled, DataSource)):
        return source
    return data(source) if isinstance(source, (str, os.PathLike)) else Sampled(feeds=source)


@dataclasses.dataclass(frozen=True)
class _Target:
    """What one report compares: a v1 signature (``None``: default io), or custom tensors."""

    signature: str | None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.signature or "serving_default"

    def kwargs(self, convert: bool = False) -> dict[str, Any]:
        """``V1Runner`` keywords, or (``convert``) ``convert`` keywords for the v2 side."""
        if self.outputs:
            return {"inputs": list(self.inputs), "outputs": list(self.outputs)}
        if convert:
            return {"signatures": [self.signature] if self.signature else None}
        return {"signature": self.signature}

    def output_ops(self, v1: V1Model) -> list[str]:
        if self.outputs:
            return [op_name(t) for t in self.outputs]
        if self.signature is None:
            return [op_name(t) for t in default_io(v1)[1]]
        return [op for s in v1.signature(self.signature).outputs.values() for op in _ops(s)]


@dataclasses.dataclass(frozen=True)
class _Plan:
    """How every target is run: what :func:`parity` was asked."""

    source: Source
    tolerance: Tolerance
    allow_unsafe: bool
    worst: int
    progress: Progress | None
    reference: Recorded | None = None
    ran: Counter[str] = dataclasses.field(default_factory=Counter)  # v1 runs, their examples

    @property
    def seed(self) -> int:
        return self.source.seed if isinstance(self.source, Sampled) else 0


def parity(
    v1_model: V1Model | str | os.PathLike[str],
    v2: V2Model | str | os.PathLike[str],
    signatures: Sequence[str] | str | None = None,
    source: Any = None,
    *,
    inputs: Sequence[str] | None = None,
    outputs: Sequence[str] | None = None,
    tolerance: Tolerance | None = None,
    remedy: bool = False,
    allow_unsafe: bool = False,
    worst: int = 5,
    progress: Progress | None = None,
    reference: Recorded | str | os.PathLike[str] | None = None,
    workers: int | str | None = None,
    scheduler: Any = None,
    then: Then | None = None,
) -> ParitySummary:
    """Compare a TF1 model (or its path) with its TF2 conversion (``V2Model`` or folder) on its
    ``signatures`` (default: all, or the default io) or ``inputs``/``outputs``. ``source``: see
    :func:`feed_source` (data streams, keeping the ``worst`` examples per output). ``reference``:
    a :class:`Recorded` (or path) whose outputs v2 is judged against. ``workers``/``scheduler``:
    the files split over Dask (:func:`shards`). ``then(v1_runner, v2_runner)``: called after
    the first target's loop with its started runners (e.g. to time them). Raises ParityError,
    FeedError, SessionError, DataError (a bad record), TensorNotFoundError."""
    v1 = as_model(v1_model)
    targets = _targets(v1, signatures, inputs, outputs)
    ref = Recorded.read(reference) if isinstance(reference, (str, os.PathLike)) else reference
    if ref is not None and source is not None:
        raise ParityError("give source or reference, not both: a reference replays its own feeds")
    plan = _Plan(feed_source(source), tolerance or Tolerance(), allow_unsafe, worst, progress, ref)
    reports: dict[str, ParityReport] = {}
    saved = None  # a saved copy of an in-memory V2Model: stateful signatures start fresh
    with temp_folder("tf1-parity-") as tmp, ExitStack() as stack:
        pool = None  # a Dask client: the workers (they load the models from paths)
        if workers is not None or scheduler is not None:
            parts = shards(plan.source)
            pool = stack.enter_context(cluster(workers, scheduler, len(parts)))
        for target, each in _per_target(plan, targets):
            each = dataclasses.replace(each, ran=Counter())  # counted per target, remedy too
            stateful = bool(gf.state_changing_upstream(v1.graph_def, target.output_ops(v1)))
            side = v2
            if (stateful or pool) and not isinstance(v2, (str, os.PathLike)):
                saved = side = saved or v2.save(tmp / "v2")
            if pool is not None and not stateful:  # stateful: one sequence of calls, here
                run = _merged(pool, parts, each, target, _model_at(v1), side)
                if then is not None and not reports:  # its runners were the workers': fresh ones
                    kw = {**target.kwargs(), "allow_unsafe": allow_unsafe}
                    with V1Runner(v1, **kw) as r1, runner_for(side, target.signature) as r2:
                        then(r1, r2)
            else:
                first, redo = None if reports else then, remedy and ref is None
                run = _stream(v1, side, target, each, stateful=stateful, then=first, redo=redo)
            report = _judge(v1, run, stateful)
            if remedy and report.nondeterministic and ref is None:
                report = _remedy(v1, v2, target, run, each)
            if report.data and pool is None:  # v1 runs per example, self-checks and remedies in
                ran = each.ran["examples"] / max(report.data["examples"], 1)
                report.data.update(v1_runs=each.ran["runs"], v1_runs_per_example=round(ran, 3))
            reports[target.name] = report
    return ParitySummary(reports, numerics_environment(), plan.seed)


def _targets(
    v1: V1Model,
    signatures: Sequence[str] | str | None,
    inputs: Sequence[str] | None,
    outputs: Sequence[str] | None,
) -> list[_Target]:
    if isinstance(signatures, str):
        signatures = [signatures]
    if inputs is not None or outputs is not None:
        return [_Target(None, *custom_io(v1, bool(signatures), inputs, outputs))]
    if signatures:
        for s in signatures:
            if v1.signatures or s != "serving_default":
                v1.signature(s)  # SignatureNotFoundError names the choices
        return [_Target(s if v1.signatures else None) for s in signatures]
    return [_Target(s) for s in v1.signatures] if v1.signatures else [_Target(None)]


def _per_target(plan: _Plan, targets: list[_Target]) -> Iterator[tuple[_Target, _Plan]]:
    """Each target with its plan: of arrays given per signature, its own."""
    names, given = [t.signature for t in targets], plan.source
    for t in targets:
        only = isinstance(given, Sampled)
        yield t, dataclasses.replace(plan, source=given.only(t.signature, names)) if only else plan


def custom_io(
    v1: V1Model, signature_too: bool, inputs: Sequence[str] | None, outputs: Sequence[str] | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Custom ``inputs``/``outputs`` as checked tensor names of ``v1`` (ParityError)."""
    check_custom_io(v1, signature_too, outputs, ParityError)
    ins = tuple(tensor_name(n) for n in inputs or ())
    outs = tuple(tensor_name(n) for n in outputs or ())
    for n in (*ins, *outs):
        v1.node(n)  # TensorNotFoundError names the missing tensor
    return ins, outs


def reference(
    model: V1Model | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    source: Any = None,
    *,
    signatures: Sequence[str] | str | None = None,
    inputs: Sequence[str] | None = None,
    outputs: Sequence[str] | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``out_dir``: ``reference.py`` (:mod:`._reference_script`, the model filled in), to
    run under the TensorFlow that served it, and the ``feeds.npz`` of ``source`` it replays for
    the targets :func:`parity` compares. ParityError: a sparse tensor."""
    v1 = as_model(model)
    plan = _Plan(feed_source(source), Tolerance(), False, 0, None)  # feeds only: nothing runs
    targets = _targets(v1, signatures, inputs, outputs)
    config, feeds = [], {}
    for t, (target, each) in enumerate(_per_target(plan, targets)):
        r1 = V1Runner(v1, **target.kwargs())
        specs = {**r1.input_specs, **r1.output_specs}
        if sparse := [k for k, s in specs.items() if s.kind != "dense"]:
            raise ParityError(
                f"{target.name}: {', '.join(sparse[:3])}{' ...' * (len(sparse) > 3)} sparse: the "
                "reference script records dense tensors only; choose dense ones (--outputs)"
            )
        got = [f for f, _ in _batches(r1, v1, each, {}, [])]
        ins = [[k, r1.input_specs[k].name] for k in got[0]]
        outs = [[k, s.name] for k, s in r1.output_specs.items()]
        config.append({"name": target.name, "inputs": ins, "outputs": outs, "batches": len(got)})
        for b, fed in enumerate(got):
            feeds.update((entry(t, b, "i", i), fed[k]) for i, (k, _) in enumerate(ins))
    path = Path(v1.path).resolve()
    prefix = v1.checkpoint_prefix if v1.format == CHECKPOINT else None  # relative to the folder
    filled = {"format": v1.format, "model": str(path), "tags": list(v1.tags), "targets": config}
    filled["prefix"] = prefix and os.path.relpath(prefix, path if path.is_dir() else path.parent)
    text = Path(script.__file__).read_text()
    text = text.replace("CONFIG = {}", f"CONFIG = {pprint.pformat(filled, width=96)}", 1)
    with staged_folder(out_dir, v1, overwrite, "reference") as staging:
        np.savez(staging.path / "feeds.npz", **script.pack(feeds))
        (staging.path / "reference.py").write_text(text)
        return staging.publish()


@dataclasses.dataclass(frozen=True)
class Recorded:
    """A ``reference.npz``: ``about`` it (TensorFlow, Python, CPU, feeds' hash) and per target
    its io config and batches of (feeds, outputs). :meth:`read`: ParityError if it is missing,
    not a reference, or not beside the feeds.npz it ran."""

    path: Path
    about: dict[str, Any]
    targets: dict[str, tuple[dict[str, Any], list[tuple[dict[str, Any], dict[str, Any]]]]]

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Recorded:
        path = Path(path).expanduser().resolve()
        feeds = path.with_name("feeds.npz")
        if not path.is_file():
            raise ParityError(f"{path} does not exist: give the reference.npz reference.py wrote")
        if not feeds.is_file():
            raise ParityError(f"{feeds} is missing: keep the feeds.npz of {path.name} beside it")

        def side(z: Any, t: int, b: int, kind: str, io: list[list[str]]) -> dict[str, Any]:
            return {key: unpack(z, entry(t, b, kind, i)) for i, (key, _) in enumerate(io)}

        try:
            with np.load(path, allow_pickle=False) as npz, np.load(feeds) as given:
                meta, targets = json.loads(str(npz["meta"])), {}
                for t, target in enumerate(meta["config"]["targets"]):
                    ins, outs = target["inputs"], target["outputs"]
                    batches = [
                        (side(given, t, b, "i", ins), side(npz, t, b, "o", outs))
                        for b in range(target["batches"])
                    ]
                    targets[target["name"]] = (target, batches)
        except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as e:
            raise ParityError(
                f"{path} is not a reference that reference.py wrote ({first_line(e)}): run "
                "reference.py again"
            ) from None
        digest = hashlib.sha256(feeds.read_bytes()).hexdigest()
        if digest != meta["feeds_sha256"]:
            raise ParityError(
                f"{feeds} is not the feeds {path.name} was recorded from (sha256 {digest[:12]}, "
                f"recorded {meta['feeds_sha256'][:12]}): put the reference's feeds.npz beside it"
            )
        keep = ("tf_version", "python", "cpu", "feeds_sha256")
        return cls(path, {"path": str(path), **{k: meta[k] for k in keep}}, targets)

    def batches(self, name: str, runner: Runner) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Target ``name``'s recorded batches; ParityError unless ``runner`` runs its tensors."""
        target, batches = self.targets.get(name, ({"inputs": [], "outputs": []}, []))
        ins = [[k, s.name] for k, s in runner.input_specs.items()]
        outs = [[k, s.name] for k, s in runner.output_specs.items()]
        if not batches or target["outputs"] != outs or any(i not in ins for i in target["inputs"]):
            raise ParityError(
                f"{self.path} was recorded for another model or target (its {name!r}: "
                f"{target['outputs'] + target['inputs'] or 'none'}; this model's: {outs + ins}): "
                "record one of this model with `tf1-explorer reference MODEL DIR`"
            )
        return batches


def _ops(spec: Any) -> list[str]:
    return [op_name(t) for t in spec.tensors]


def _key_map(v1_specs: Mapping[str, Any], v2_specs: Mapping[str, Any], what: str) -> dict[str, str]:
    """v1 key -> v2 key: the same key, ``x:0`` for ``x``, else the v2 key of the same tensor."""
    loose = {k.split(":")[0]: k for k in v2_specs} | {k: k for k in v2_specs}
    by_tensor = {s.name: k for k, s in v2_specs.items() if s.kind == "dense" and s.name}
    out = {}
    for k, spec in v1_specs.items():
        names = (k, k.split(":")[0], None if k.endswith(":0") else k.replace(":", "_"))
        found = next((loose[n] for n in names if n in loose), None)
        if found is None and spec.kind == "dense":
            found = by_tensor.get(spec.name)
        if found is not None:
            out[k] = found
    if what == "output" and len(out) != len(v1_specs):
        lost = sorted(set(v1_specs) - set(out))
        raise ParityError(
            f"v1 outputs {lost} have no counterpart among the v2 outputs {sorted(v2_specs)}: "
            "convert the same signature (or the same inputs/outputs) and compare that"
        )
    return out


def same_values(x: Any, y: Any) -> bool:
    """Bitwise the same value (NaNs equal; sparse values part by part)."""
    if is_sparse_like(x):
        return all(same_values(p, q) for p, q in zip(x, y))
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape or x.dtype != y.dtype:
        return False
    return bool(np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"))


def run_sides(
    r1: Runner,
    r2: Runner,
    batches: Iterable[tuple[Feeds, Batch | None]],
    acc: Comparator,
    *,
    check: Runner | None = None,
    in_map: Mapping[str, str] | None = None,
    out_map: Mapping[str, str] | None = None,
    defaults: Callable[[list[str]], dict[str, Any]] | None = None,
    after: Callable[[int, Batch | None, set[str]], None] | None = None,
) -> set[str]:
    """The one loop: per ``(feeds, batch)`` v1 runs, then v2 on the same feeds (keys mapped by
    ``in_map``/``out_map``, missing ones from ``defaults``), both into ``acc``. v1's ``check``
    runs on every batch if it is a twin session, else (a self-check) on the first batch and where
    v2 differs, while some output is not yet nondeterministic. ``after(i, batch, nondet)`` follows
    each batch. Returns the keys v1 disagreed with itself on."""
    nondet: set[str] = set()
    for i, (feeds, batch) in enumerate(batches):
        try:
            a = r1.infer(feeds)
        except SessionError as e:
            if batch is not None:
                _locate(r1, feeds, batch, e)
            raise
        f2 = dict(feeds)
        if in_map is not None:
            need = [k for k, v in in_map.items() if v in r2.required_inputs and k not in f2]
            f2.update(defaults(need))
            f2 = {in_map[k]: v for k, v in f2.items() if k in in_map}
        b = r2.infer(f2)
        b = {k: b[v] for k, v in out_map.items()} if out_map is not None else b
        differ = acc.add(a, b, batch)
        if check is not None and (i == 0 or check is not r1 or differ and not nondet >= set(a)):
            again = check.infer(feeds)
            nondet.update(k for k in a if not same_values(a[k], again[k]))
        if after is not None:
            after(i, batch, nondet)
    return nondet


@dataclasses.dataclass
class _Run:
    report: ParityReport
    nondet: set[str]
    output_ops: dict[str, list[str]]
    inputs: dict[str, Any]
    acc: Comparator  # what made the report: shards' merge


def _batches(
    r1: V1Runner, v1: V1Model, plan: _Plan, overrides: Mapping[str, Any], notes: list[str]
) -> Iterator[tuple[Feeds, Batch | None]]:
    """The plan's batches for ``r1``'s inputs, completed: inputs not given are sampled."""
    source = plan.source
    if isinstance(source, Sampled):
        for i, given in enumerate(source.feeds or [None] * source.batches):
            over, shapes, ranges = {**(given or {}), **overrides}, source.shapes, source.ranges
            feeds = r1.sample(
                source.batch_size, source.seed + i, overrides=over, shapes=shapes, ranges=ranges
            )
            yield dict(feeds), None
        return
    specs = r1.input_specs
    required = [
        k for k in r1.required_inputs if switch_of(k) is None and switch_of(specs[k].name) is None
    ]
    for i, batch in enumerate(source.batches(specs, v1, required=required)):
        feeds = {**batch.feeds, **overrides}
        if any(k not in feeds for k in r1.required_inputs):
            made = r1.sample(batch=batch.rows, seed=plan.seed + i, overrides=feeds)
            if i == 0:
                notes.append(
                    f"not in the data, generated: {', '.join(k for k in made if k not in feeds)}"
                )
            feeds = dict(made)
        if i == 0:
            notes.extend(batch.notes)
        yield feeds, batch


def _stream(
    v1: V1Model,
    v2: Any,
    target: _Target,
    plan: _Plan,
    *,
    stateful: bool,
    twin: bool = False,
    overrides: Mapping[str, Any] | None = None,
    then: Then | None = None,
    redo: bool = False,
) -> _Run:
    """One report of v1 (self-checked unless ``stateful``) against v2 over the source; ``redo``:
    stop at the first batch where v1 is nondeterministic (a remedy reruns it)."""
    kwargs = {**target.kwargs(), "allow_unsafe": plan.allow_unsafe}
    source = plan.source
    acc = Comparator(plan.tolerance, worst=plan.worst, name=target.name)
    notes: list[str] = []
    seconds = {"read": 0.0, "first_batch": 0.0, "check": 0.0}
    count = {"done": 0, "first": 0, "runs": 0, "stop": False}
    limit = source.limit if isinstance(source, DataSource) else None
    tell = plan.progress or (lambda *_: None)
    with ExitStack() as stack:
        r1 = stack.enter_context(V1Runner(v1, **kwargs))
        check = None if stateful else (stack.enter_context(V1Runner(v1, **kwargs)) if twin else r1)
        r2 = stack.enter_context(runner_for(v2, target.signature))
        cache: dict[str, Any] = {}
        output_ops = {k: _ops(s) for k, s in r1.output_specs.items()}
        racy = set(gf.racy_reads(v1.graph_def, output_ops)) if redo else set()

        def defaults(keys: list[str]) -> dict[str, Any]:  # v1's PlaceholderWithDefault values
            for k in keys:
                if k not in cache and r1.input_specs[k].kind == "dense":
                    cache[k] = r1.session.run(r1.input_specs[k].name)
            return {k: cache[k] for k in keys if k in cache}

        def after(i: int, batch: Batch | None, nondet: set[str]) -> None:
            rows = batch.rows if batch is not None else 1
            runs = len(r1.times) + (len(check.times) if twin and check is not None else 0)
            if check is r1 and runs - count["runs"] == 2:  # a self-check: not v1's seconds
                seconds["check"] += r1.times[-1]
            plan.ran.update(runs=runs - count["runs"], examples=rows * (runs - count["runs"]))
            count["done"], count["runs"] = count["done"] + rows, runs
            if i == 0:
                seconds["first_batch"] = time.perf_counter() - t0
                count["first"] = count["done"]
            tell(target.name, count["done"], limit)
            count["stop"] = bool(redo and nondet - racy)  # a remedy reruns it: no more batches

        def timed(it: Iterator[tuple[Feeds, Batch | None]]) -> Iterator[tuple[Feeds, Batch | None]]:
            while not count["stop"]:
                t = time.perf_counter()
                item = next(it, None)
                seconds["read"] += time.perf_counter() - t
                if item is None:
                    return
                yield item

        t0 = time.perf_counter()
        batches: Any = timed(_batches(r1, v1, plan, overrides or {}, notes))
        first: Runner = r1
        if plan.reference is not None:  # the reference plays v1; this TF's v1 is compared apart
            recorded = plan.reference.batches(target.name, r1)
            replay = itertools.cycle([out for _, out in recorded])
            first = stack.enter_context(FnRunner(lambda _: next(replay)))
            batches, check = [(feeds, None) for feeds, _ in recorded], None
        nondet = run_sides(
            first,
            r2,
            batches,
            acc,
            check=check,
            defaults=defaults,
            after=after,
            in_map=_key_map(r1.input_specs, r2.input_specs, "input"),
            out_map=_key_map(r1.output_specs, r2.output_specs, "output"),
        )
        wall = time.perf_counter() - t0
        if plan.reference is not None:
            drift = Comparator(plan.tolerance, worst=0, name=target.name)
            run_sides(first, r1, batches, drift)
        tell(target.name, count["done"], count["done"])  # the end: total known
        seconds.update(v1=sum(r1.times) - seconds.pop("check"), v2=sum(r2.times))
        if then is not None:
            then(r1, r2)
    report = acc.report()
    report.notes.extend(notes)
    if plan.reference is not None:  # this TF's v1 drift from it; whose each failure is
        moved = drift.report().outputs
        for key in (k for k, o in report.outputs.items() if not o.passed):  # not yet judged
            d = moved[key]
            whose = ("differs from", "TensorFlow's, not") if not d.passed else ("matches", "only")
            report.notes.append(
                f"{key}: this TensorFlow's v1 runtime {whose[0]} the reference (max abs "
                f"{d.max_abs}): the difference is {whose[1]} the conversion's"
            )
        keep = ("max_abs", "status", "reason")
        drifts = {k: {f: getattr(o, f) for f in keep} for k, o in moved.items()}
        report.reference = {**plan.reference.about, "drift": drifts}
    if isinstance(source, DataSource):
        done, first, cold = count["done"], count["first"], seconds["first_batch"]
        # after the first batch (whose runs are the cold first runs of fresh graphs)
        steady = round((done - first) / (wall - cold), 1) if done > first and wall > cold else None
        report.data = _figures(source, done, {**seconds, "total": wall}, steady)
    return _Run(report, nondet, output_ops, dict(r1.input_specs), acc)


def _figures(
    source: DataSource, n: int, seconds: dict[str, float], steady: float | None = None
) -> dict[str, Any]:
    """``report.data``: ``n`` examples of ``source`` in ``seconds`` (``total``: wall time)."""
    wall = seconds["total"]
    return {
        "source": source.describe(),
        "examples": n,
        "batch_size": source.batch_size,
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
        "examples_per_second": round(n / wall, 1) if wall > 0 else None,
        "steady_examples_per_second": steady,  # sharded: None (each shard's first batch is cold)
    }


# Sharded parity (issue 28): a data source split by file, each shard run by the one loop on a
# Dask worker, the comparators merged in file order: the report one process gives, but for the
# batch count and timings (docs/guides/parity.md).
BATCHES_PER_SHARD = 16  # an image folder (a record a file) is split in runs of whole batches


def shards(source: Source) -> list[DataSource]:
    """``source`` split in file order, a source per file (images: runs of whole batches; arrays
    in memory stay one), paths absolute. ParityError: not a data source, or a ``limit``."""
    if not isinstance(source, DataSource):
        raise ParityError(
            "workers split the files of a data source: give source=explorer.data(FILES) "
            "(CLI: --data), or drop workers/scheduler"
        )
    if source.limit is not None:
        raise ParityError(
            f"limit={source.limit} takes the first records in file order, which one process "
            "reads: drop the limit (CLI: --limit) or the workers (--workers/--scheduler)"
        )
    if not source.paths:  # arrays in memory: shipped as they are
        return [source]
    size = source.batch_size * BATCHES_PER_SHARD if isinstance(source, ImageSource) else 1
    out = []
    for i in range(0, len(source.paths), size):
        part = copy.copy(source)
        part.paths = [p.resolve() for p in source.paths[i : i + size]]  # a worker's cwd differs
        out.append(part)
    return out


@contextmanager
def cluster(
    workers: int | str | None = None, scheduler: Any = None, most: int = 0
) -> Iterator[Any]:
    """A Dask client of ``scheduler`` (an address or a cluster), else of a local cluster of
    ``workers`` processes (``"auto"``: one per core; at most ``most``) closed with the block."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        if workers is not None:
            raise ParityError("give workers (a local cluster) or a scheduler (a running one)")
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as e:
            raise ParityError(
                f"no Dask scheduler answers at {scheduler} ({first_line(e)}): start one "
                "(`dask scheduler`, workers with `dask worker ADDRESS`) or drop --scheduler"
            ) from None
        with client:
            yield client
        return
    n = (os.cpu_count() or 1) if workers == "auto" else workers
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ParityError(f"workers={workers!r}: give a number of processes >= 1, or 'auto'")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):  # a crash: said once
        local = LocalCluster(
            n_workers=min(n, most or n),
            threads_per_worker=1,  # one shard at a time a process: TensorFlow has its own threads
            processes=True,
            dashboard_address=":0",  # a free port (8787 may be taken)
            silence_logs=logging.ERROR,
        )
    with local, Client(local) as client:
        yield client


def run_shards(
    client: Any,
    fn: Callable[..., Any],
    parts: Sequence[DataSource],
    *args: Any,
    done: Callable[[Any], None] | None = None,
) -> list[Any]:
    """``fn(part, *args)`` for every part on the workers, the results in part order (``done``
    told each as it arrives). The first part to fail cancels the rest and raises one line naming
    its files: its error's class if an ExplorerError, else ParityError."""
    from distributed import as_completed

    futures = [client.submit(fn, part, *args, pure=False) for part in parts]
    index = {f.key: i for i, f in enumerate(futures)}
    out: list[Any] = [None] * len(parts)
    try:
        for future in as_completed(futures):
            i = index[future.key]
            if future.status == "finished":
                out[i] = future.result()
                if done is not None:
                    done(out[i])
                continue
            e, part = future.exception(), parts[i]
            files = ", ".join(str(p) for p in part.paths[:2]) + " ..." * (len(part.paths) > 2)
            where = f"{files or part.describe()} (shard {i + 1} of {len(parts)})"
            if isinstance(e, ExplorerError):
                raise type(e)(f"{where}: {first_line(e)}")
            raise ParityError(
                f"{where}: its Dask worker failed ({type(e).__name__}: {first_line(e)}): compare "
                "that file in one process (no --workers) to see why"
            )
    finally:
        client.cancel(futures)
    return out


def _merged(
    client: Any, parts: Sequence[DataSource], plan: _Plan, target: _Target, *args: Any
) -> _Run:
    """:func:`_shard` of every part on the workers (``plan.progress`` told here), merged: the
    first shard's run with every shard's comparator merged in, in order, its report made afresh,
    every shard's nondeterministic keys."""
    t0, count, tell = time.perf_counter(), [0], plan.progress or (lambda *_: None)

    def done(run: _Run) -> None:
        count[0] += run.report.data["examples"]
        tell(target.name, count[0], None)

    ship = dataclasses.replace(plan, progress=None)
    runs = run_shards(client, _shard, parts, ship, target, *args, done=done)
    tell(target.name, count[0], count[0])  # the end: total known
    seconds = time.perf_counter() - t0
    acc, before = runs[0].acc, 0
    for prev, shard in zip(runs, runs[1:]):
        before += prev.report.data["examples"]
        acc.merge(shard.acc, offset=before)
    report = acc.report()
    report.notes.extend(runs[0].report.notes)
    data = [r.report.data for r in runs]
    spent = {k: sum(d["seconds"][k] for d in data) for k in data[0]["seconds"]}
    spent["total"] = seconds  # the others: summed over the shards
    n = sum(d["examples"] for d in data)
    report.data = {**_figures(plan.source, n, spent), "shards": len(runs)}
    nondet = set().union(*(r.nondet for r in runs))
    return dataclasses.replace(runs[0], report=report, nondet=nondet, acc=acc)


def _model_at(v1: V1Model) -> tuple[str, dict[str, Any], str]:
    """What a worker needs to load ``v1`` itself: its path, load options and graph's digest."""
    options = {
        "tags": list(v1.tags),
        "replacements": v1.replacements or None,
        "op_libraries": v1.op_libraries,
    }
    return str(Path(v1.path).resolve()), options, _digest(v1)


def _shard(part: DataSource, plan: _Plan, target: _Target, at: tuple, v2: Path) -> _Run:
    """:func:`_stream` of one shard on a Dask worker, the model :func:`_model_at` describes loaded
    there (ParityError if it is another graph)."""
    path, options, digest = at
    v1 = load(path, **options)
    if _digest(v1) != digest:
        raise ParityError(
            f"{path} as a worker loads it is not the model compared (changed on disk, or in "
            "memory only): save the model to a path every worker reads and compare that"
        )
    return _stream(v1, v2, target, dataclasses.replace(plan, source=part), stateful=False)


def _digest(v1: V1Model) -> str:
    return hashlib.sha256(v1.graph_def.SerializeToString(deterministic=True)).hexdigest()


def _locate(runner: Runner, feeds: Feeds, batch: Batch, error: Exception) -> None:
    """Raise ``DataError`` naming the first record of a refused batch that v1 refuses alone."""
    for row in range(batch.rows):
        one = {
            k: take_rows(v, row, row + 1) if rows_of(v) == batch.rows else v
            for k, v in feeds.items()
        }
        try:
            runner.infer(one)
        except SessionError:
            reason = first_line(error).split("session.run failed ", 1)[-1]
            raise DataError(
                f"{batch.where[row]} (example {batch.start + row}): the model refuses this "
                f"record ({reason}): fix or drop the record"
            ) from None


RACY = "TF1 leaves its value open"  # the reason of an output reading what its call updates


def _judge(v1: V1Model, run: _Run, stateful: bool) -> ParityReport:
    """The run's report, marking outputs v1 disagreed with itself on and racy reads."""
    report = run.report
    if stateful:
        report.stateful = True
        report.notes.append(
            "stateful signature: v1 and v2 ran the same sequence of calls from the same fresh "
            "state (no v1-against-itself check)"
        )
    racy = gf.racy_reads(v1.graph_def, run.output_ops)  # whatever the feeds: no remedy helps
    marks = {k: ([], f"{RACY}: it {why} (no order between them)") for k, why in racy.items()}
    for key in run.nondet:
        ops = gf.random_ops_upstream(v1.graph_def, run.output_ops.get(key, []))
        why = f"random ops: {', '.join(ops)}" if ops else "no random op upstream"
        marks[key] = (ops, f"v1 disagrees with itself on the same feeds ({why})")
    for rec_key, rec in report.outputs.items():
        for key, (ops, reason) in marks.items():
            if _of(rec_key, key):
                rec.status, rec.random_ops, rec.reason = NONDETERMINISTIC, ops, reason
    if racy:
        report.notes.append(
            f"{len(racy)} outputs read variables that the same call updates (a metric's value "
            "fetched with its update op): their values depend on scheduling in TF1 itself, so "
            "they are not judged; fetch them in a call of their own"
        )
    if any(k not in racy for k in run.nondet):
        report.notes.append(
            "nondeterministic outputs are not judged: feed keep_prob-like inputs their neutral "
            "value, or rerun with remedy=True (CLI: --remedy)"
        )
    return report


def _of(rec_key: str, key: str) -> bool:
    """Whether a record key belongs to output ``key`` (a sparse output's parts: ``key_values``)."""
    return rec_key == key or rec_key.startswith(f"{key}_")


def _remedy(v1: V1Model, v2: Any, target: _Target, run: _Run, plan: _Plan) -> ParityReport:
    bad = [k for k, r in run.report.outputs.items() if r.status == NONDETERMINISTIC]
    if all(run.report.outputs[k].reason.startswith(RACY) for k in bad):
        return run.report  # reads racing writes in one call: no switch or seed orders them
    ops = [op for k, o in run.output_ops.items() if any(_of(b, k) for b in bad) for op in o]
    index = graph_index(v1.graph_def)
    up, nodes = index.upstream(ops), index.nodes
    overrides, done = {}, []
    for key, spec in run.inputs.items():
        found = switch_of(spec.name) or switch_of(key)
        if spec.kind == "dense" and op_name(spec.name) in up and found is not None:
            overrides[key] = np.asarray(found[0], dtype=numpy_dtype(spec.dtype))
            done.append(f"fed {key}={found[0]!r} ({found[1]})")
    if overrides:
        rerun = _stream(v1, v2, target, plan, stateful=False, overrides=overrides, redo=True)
        fixed = _judge(v1, rerun, False)
        if not fixed.nondeterministic:
            fixed.remedy = "; ".join(done) + " on both sides"
            return fixed
    # switches inside the graph and random ops: a seeded copy, converted afresh
    fed = {op_name(s.name) for s in run.inputs.values()}
    defaults = {n for n in up if n in nodes and nodes[n].op == "PlaceholderWithDefault"}
    switches = sorted(n for n in defaults - fed if switch_of(n) is not None)
    random_ops = gf.random_ops_upstream(v1.graph_def, ops)
    copy, what = _remedied_copy(v1, switches, random_ops, plan.seed)
    v2_copy = convert(copy, **target.kwargs(convert=True), allow_unsafe=plan.allow_unsafe)
    # two fresh sessions of the copy side by side: seeded ops restart their sequence in each
    rerun = _stream(copy, v2_copy, target, plan, stateful=False, twin=True, overrides=overrides)
    fixed = _judge(copy, rerun, False)
    fresh = " in a copy of the v1 graph, converted afresh; both sides ran from fresh state"
    fixed.remedy = "; ".join(done + what) + fresh
    fixed.notes.append(
        "the remedy compares a remedied copy of v1 with its own fresh conversion, not the given "
        "v2 model: it shows the conversion is faithful once randomness is pinned"
    )
    return fixed


def _remedied_copy(
    v1: V1Model, switches: list[str], random_ops: list[str], seed: int
) -> tuple[V1Model, list[str]]:
    """A copy of ``v1``: switches made neutral constants, unseeded random ops seeded."""
    from tensorflow.python.framework import tensor_util

    gd = type(v1.graph_def)()
    gd.CopyFrom(v1.graph_def)
    what = []
    for node in gd.node:
        if node.name in switches:
            neutral, label = switch_of(node.name)
            dtype = node.attr["dtype"].type
            value = np.asarray(neutral, dtype=numpy_dtype(dtype_name(dtype)))
            node.op = "Const"
            del node.input[:]
            node.ClearField("attr")
            node.attr["dtype"].type = dtype
            node.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(value))
            what.append(f"set {node.name}={neutral!r} ({label})")
        elif node.name in random_ops and node.attr["seed"].i == 0 and node.attr["seed2"].i == 0:
            node.attr["seed"].i = 87654321 + seed
            node.attr["seed2"].i = 1 + random_ops.index(node.name)
    if seeded := [n for n in random_ops if n not in switches]:
        what.append(f"seeded {', '.join(seeded)}")
    mg = meta_graph_with(v1.meta_graph, gd)
    copy = dataclasses.replace(v1, graph_def=gd, meta_graph=mg, _signatures=None)
    return copy, what
