"""Training-step parity (issue 27). :func:`read_training` maps a TF1 graph's loss, ``Apply*``
optimizer, hyperparameters, slots, schedule and step count to Keras 3 (``not_covered``: what has
no exact counterpart); :func:`weight_map` finds the TF1 elements of each Keras weight by
translating again with every variable read as its element numbers (and twice those).
:func:`train_check` runs ``steps`` TF1 and Keras steps (a JAX step is one ``jax.jit``) on one
sampled batch and compares the loss, gradients, weights, slots and batch-norm statistics after
each. Switches keep the graph's values (``is_training=True`` batch norms train in training mode,
dropout's ``keep_prob`` its default); a dropout at a fixed rate > 0 draws masks no seed shares.
Momentum's accumulator is Keras's ``-lr * accum`` (exact while ``lr`` is constant);
``tf.clip_by_global_norm`` is Keras's ``global_clipnorm``."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from explorer.comparing.outputs import Comparator
from explorer.comparing.records import Tolerance
from explorer.errors import ConversionError
from explorer.feeding.sampling import sample
from explorer.graph.names import op_name, tensor_name
from explorer.graph.op_families import COMPARE_OPS
from explorer.inspection.catalog import Catalog
from explorer.inspection.suggestions import GraphFacts
from explorer.loading.model import V1Model, as_model
from explorer.output_policy import staged_folder, temp_folder
from explorer.rewriting.api import BACKENDS, child_result, run_child, to_keras
from explorer.rewriting.graph import GraphContext, kwargs_code, lit
from explorer.rewriting.translate import generate, translate
from explorer.running.session import ModelSession

_FTRL = tuple(f"{k}_regularization_strength" for k in ("l1", "l2", "l2_shrinkage")) + (
    "learning_rate_power",
)
# Apply op (without Resource) -> (Keras optimizer, its inputs by name). A slot input is named
# after the Keras optimizer attribute holding it; ``-`` marks one Keras keeps scaled (Momentum).
# Keras updates as TF1 does (Adam: epsilon outside the bias correction; Adagrad: epsilon=0).
OPTIMIZERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ApplyAdam": (
        "Adam",
        ("var", "_momentums", "_velocities", "beta1_power", "beta2_power", "lr")
        + ("beta_1", "beta_2", "epsilon", "grad"),
    ),
    "ApplyMomentum": ("SGD", ("var", "-momentums", "lr", "grad", "momentum")),
    "ApplyRMSProp": (
        "RMSprop",
        ("var", "_velocities", "_momentums", "lr", "rho", "momentum", "epsilon", "grad"),
    ),
    "ApplyCenteredRMSProp": (
        "RMSprop",
        ("var", "_average_gradients", "_velocities", "_momentums", "lr", "rho", "momentum")
        + ("epsilon", "grad"),
    ),
    "ApplyAdagrad": ("Adagrad", ("var", "_accumulators", "lr", "grad")),
    "ApplyAdagradV2": ("Adagrad", ("var", "_accumulators", "lr", "epsilon", "grad")),
    "ApplyAdadelta": (
        "Adadelta",
        ("var", "_accumulated_grads", "_accumulated_delta_vars", "lr", "rho", "epsilon", "grad"),
    ),
    "ApplyGradientDescent": ("SGD", ("var", "lr", "grad")),
    "ApplyFtrl": (
        "Ftrl",
        ("var", "_accumulators", "_linears", "grad", "lr") + _FTRL[:2] + _FTRL[3:],
    ),
    "ApplyFtrlV2": ("Ftrl", ("var", "_accumulators", "_linears", "grad", "lr", *_FTRL)),
}
_HYPER = ("beta_1", "beta_2", "epsilon", "rho", "momentum", *_FTRL)
_ID_LIMIT = 2**22  # element numbers (and twice them, plus a small offset) exact in float32


@dataclass
class TrainingPlan:
    """A TF1 training setup in Keras 3 terms. ``optimizer``/``config``: the Keras class and its
    arguments (``learning_rate`` a float or ``schedule``: ``{"class", "config"}`` of
    ``keras.optimizers.schedules``); ``slots``: TF1 variable -> Keras attribute -> TF1 slot
    variable; ``grads``: TF1 variable -> the gradient tensor its apply op reads."""

    loss: str
    train_op: str
    tf1_optimizer: str
    optimizer: str
    config: dict[str, Any]
    iterations: int
    global_step: str | None
    slots: dict[str, dict[str, str]]
    grads: dict[str, str]
    schedule: dict[str, Any] | None = None
    inputs: list[str] = field(default_factory=list)  # placeholders the loss reads
    label_ranges: dict[str, tuple[int, int]] = field(default_factory=dict)
    not_covered: list[str] = field(default_factory=list)
    moving: list[str] = field(default_factory=list)  # variables UPDATE_OPS move (batch norm)


def _scalar(sess: Any, tensor: str, feed: dict | None = None) -> float:
    return float(np.asarray(sess.session.run(sess.graph.get_tensor_by_name(tensor), feed)))


def training_ops(model: V1Model) -> tuple[GraphFacts, list[Any], str]:
    """``(graph facts, the optimizer's apply ops, their op type)`` of a training graph, read from
    the graph alone (no session); a ConversionError names why the check cannot map it."""
    facts = GraphFacts(Catalog.from_model(model), set())
    applies = [op for ops in facts.updates.values() for op in ops]
    kinds = sorted({op.type.removeprefix("Resource") for op in applies})
    if not kinds:
        raise ConversionError(
            f"{model.path}: no optimizer updates a variable: not a training graph"
        )
    if sparse := [k for k in kinds if not k.startswith("Apply")]:
        raise ConversionError(
            f"{model.path}: the optimizer updates variables with {', '.join(sparse)} (a sparse "
            "update): the training check maps dense Apply* updates only"
        )
    if len(kinds) > 1 or len(facts.minimized) != 1:
        raise ConversionError(
            f"{model.path}: {len(facts.minimized)} losses trained by {', '.join(kinds)}: the "
            "check takes a graph with one loss and one optimizer"
        )
    kind = kinds[0]
    if kind not in OPTIMIZERS:
        raise ConversionError(
            f"{model.path}: optimizer op {kind} ({applies[0].name}) has no exact Keras 3 "
            f"counterpart here (mapped: {', '.join(OPTIMIZERS)})"
        )
    ins = dict(zip(OPTIMIZERS[kind][1], applies[0].inputs))
    for k, t in ins.items():
        if k not in ("var", "grad") and facts.needs.get(op_name(t)):
            raise ConversionError(
                f"{model.path}: the optimizer's {k} ({tensor_name(t)}) is fed at each step: the "
                "checkpoint does not hold it, so the check cannot replay a step"
            )
    return facts, applies, kind


def read_training(model: V1Model, sess: Any) -> TrainingPlan:
    """The :class:`TrainingPlan` of ``model``'s graph in the restored session ``sess``; a
    ConversionError names why there is none (no optimizer, several, one Keras lacks)."""
    facts, applies, kind = training_ops(model)
    keras_cls, names = OPTIMIZERS[kind]
    loss = tensor_name(next(iter(facts.minimized)))
    train_op = applies[0].name.split("/update_")[0]
    if train_op not in facts.by_name:
        raise ConversionError(f"{model.path}: no train op {train_op} groups the optimizer updates")
    slots, grads, hyper, clips = {}, {}, {}, set()
    for op in applies:
        ins = dict(zip(names, op.inputs))
        var = facts.weight_of(ins["var"])
        slots[var] = {k: facts.weight_of(t) for k, t in ins.items() if k[0] in "_-"}
        grads[var], clip = _unclipped(facts, tensor_name(ins["grad"]))
        clips.add(clip)
        hyper.setdefault("lr", tensor_name(ins["lr"]))
        for k in (*_HYPER, "beta2_power"):
            if k in ins:
                hyper.setdefault(k, _scalar(sess, tensor_name(ins[k])))
    config: dict[str, Any] = {k: hyper[k] for k in _HYPER if k in hyper}
    if clips != {None}:
        if len(clips) > 1:
            raise ConversionError(
                f"{model.path}: the applied gradients are not all clipped by one "
                "tf.clip_by_global_norm: Keras's global_clipnorm clips all of them together"
            )
        config["global_clipnorm"] = _scalar(sess, clips.pop())
    not_covered: list[str] = []
    if kind == "ApplyMomentum":
        config["nesterov"] = applies[0].node.attr["use_nesterov"].b
    elif kind == "ApplyCenteredRMSProp":
        config["centered"] = True
    elif kind == "ApplyAdagrad":
        config["epsilon"] = 0.0
    steps = [v for v in facts.variables if v.rsplit("/", 1)[-1] == "global_step"]
    step_op = steps[0] if len(steps) == 1 else None
    step = int(sess.session.run(step_op + ":0")) if step_op else None
    iterations = step or 0
    if "beta2_power" in hyper:  # Adam's step count: beta2^(steps + 1) (beta1's underflows first)
        iterations = round(math.log(hyper["beta2_power"]) / math.log(config["beta_2"])) - 1
    lr_t = hyper["lr"]
    schedule = None
    if step_op and step_op in facts.index.upstream([lr_t], control=False):
        schedule, why = _schedule(facts, sess, lr_t, step_op + ":0", step or 0)
        if why:
            not_covered.append(why)
        if step != iterations:
            not_covered.append(
                f"the global step ({step}) is not the optimizer's step count ({iterations}): "
                "Keras drives its schedule and its update from one iteration count"
            )
        if schedule and kind == "ApplyMomentum":
            not_covered.append(
                "Momentum on a learning-rate schedule: TF1 keeps the accumulator without the "
                "rate, Keras with it; only the first step is exact"
            )
    config["learning_rate"] = _scalar(sess, lr_t)
    fed = [p for p in facts.deps.get(op_name(loss), ()) if facts.by_name[p].type == "Placeholder"]
    moving = sorted(
        facts.weight_of(op.inputs[0].name) for op in sess.graph.get_collection("update_ops")
    )
    return TrainingPlan(
        loss=loss,
        train_op=train_op,
        tf1_optimizer=kind,
        optimizer=keras_cls,
        config=config,
        iterations=iterations,
        global_step=step_op,
        slots=slots,
        grads=grads,
        schedule=schedule,
        inputs=sorted(fed),  # a placeholder_with_default (dropout's keep_prob) keeps its default
        label_ranges=_label_ranges(facts, sess, loss),
        not_covered=not_covered,
        moving=moving,
    )


def _unclipped(facts: GraphFacts, grad: str) -> tuple[str, str | None]:
    """(the gradient before ``tf.clip_by_global_norm``, its clip-norm tensor), or ``(grad,
    None)``: a clipped gradient is ``g * (c * Minimum(1/norm, 1/c) + (norm - norm))``, the
    formula of Keras's ``global_clipnorm``."""
    op = facts.by_name[op_name(grad)]
    while op.type == "Identity":
        op = facts.by_name[op_name(op.inputs[0])]
    if op.type != "Mul":
        return grad, None
    for raw, scale in (op.inputs, op.inputs[::-1]):
        add = facts.by_name[op_name(scale)]
        if add.type not in ("Add", "AddV2"):
            continue
        mul, sub = (facts.by_name[op_name(t)] for t in add.inputs)
        if mul.type == "Mul" and sub.type == "Sub":
            ins = [facts.by_name[op_name(t)].type for t in mul.inputs]
            if "Minimum" in ins:
                return tensor_name(raw), tensor_name(mul.inputs[ins.index("Minimum") ^ 1])
    return grad, None


def _label_ranges(facts: GraphFacts, sess: Any, loss: str) -> dict[str, tuple[int, int]]:
    """Placeholder -> ``(0, classes)`` for the labels of a sparse cross-entropy in the loss."""
    out = {}
    for name in facts.index.upstream([loss], control=False):
        op = facts.by_name.get(name)
        if op is not None and op.type == "SparseSoftmaxCrossEntropyWithLogits":
            classes = sess.graph.get_tensor_by_name(op.inputs[0]).shape[-1]
            for src in facts.deps.get(op_name(op.inputs[1]), ()):
                if classes is not None:
                    out[src] = (0, int(classes))
    return out


def _schedule(
    facts: GraphFacts, sess: Any, lr: str, step: str, now: int
) -> tuple[dict[str, Any] | None, str | None]:
    """(``{"class", "config"}`` of the Keras schedule ``lr`` computes from ``step``, why not)."""
    ups = facts.index.upstream([lr], control=False)
    ops = [facts.by_name[n] for n in ups if n in facts.by_name]
    schedule = None
    pows = [op for op in ops if op.type == "Pow"]
    cmps = [op for op in ops if op.type in COMPARE_OPS]
    if len(pows) == 1 and not cmps:
        base, expo = pows[0].inputs
        div = facts.by_name[op_name(expo)]
        staircase = div.type == "Floor"
        div = facts.by_name[op_name(div.inputs[0])] if staircase else div
        if div.type in ("RealDiv", "Div", "TrueDiv"):
            cfg = {
                "initial_learning_rate": _scalar(sess, lr, {step: 0}),
                "decay_steps": _scalar(sess, tensor_name(div.inputs[1])),
                "decay_rate": _scalar(sess, tensor_name(base)),
                "staircase": staircase,
            }
            schedule = {"class": "ExponentialDecay", "config": cfg}
    elif cmps and not pows:
        bounds = set()
        for op in cmps:
            for t in op.inputs:
                if op_name(step) not in facts.index.upstream([t], control=False):
                    bounds.add(int(_scalar(sess, tensor_name(t))))
        b = sorted(bounds)
        values = [_scalar(sess, lr, {step: g}) for g in [*b, b[-1] + 1]] if b else []
        cfg = {"boundaries": b, "values": values}
        schedule = {"class": "PiecewiseConstantDecay", "config": cfg} if b else None
    if schedule is not None and all(
        math.isclose(_scalar(sess, lr, {step: g}), _keras_lr(schedule, g), rel_tol=1e-6)
        for g in {0, 1, now, now + 5}
    ):
        return schedule, None
    shown = ", ".join(sorted({op.type for op in ops})[:6])
    return None, (
        f"learning rate {lr} is computed from the global step by ops {shown}: not recognised "
        "(exponential decay and piecewise constant are); the check uses its current value"
    )


def _keras_lr(schedule: dict[str, Any], g: int) -> float:
    """What the Keras schedule gives at step ``g``."""
    import keras  # heavy: only for a graph with a schedule

    fn = getattr(keras.optimizers.schedules, schedule["class"])(**schedule["config"])
    return float(keras.ops.convert_to_numpy(fn(g)))


@dataclass
class WeightMap:
    """Keras weight ``(layer, index)`` -> ``(variables, ids, offset)``: its value is
    ``concat(v.ravel() for v in variables)[ids] + offset`` (the flat order of ``variables``)."""

    variables: list[str]
    sizes: list[int]
    weights: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]
    frozen: list[tuple[str, int]]  # Keras weights holding no trained variable (TF1 constants)

    def gather(self, arrays: dict, key: tuple[str, int], offset: bool) -> np.ndarray:
        """A TF1 variable (or slot, gradient: ``offset=False``; absent ones zero) in the Keras
        weight's layout."""
        arrays = {v: np.zeros(n) for v, n in zip(self.variables, self.sizes)} | arrays
        flat = np.concatenate([np.asarray(arrays[v], np.float64).ravel() for v in self.variables])
        ids, off = self.weights[key]
        return (flat[ids] + (off if offset else 0.0)).astype(np.float32)

    def sources(self, key: tuple[str, int]) -> list[str]:
        """The TF1 variables a Keras weight holds."""
        at = np.searchsorted(np.cumsum(self.sizes), self.weights[key][0].ravel(), "right")
        return [self.variables[i] for i in np.unique(at)]


def weight_map(
    ctx: GraphContext,
    inputs: dict[str, str],
    outputs: dict[str, str],
    shapes: dict[str, tuple[int | None, ...]],
    values: dict[str, np.ndarray],
) -> WeightMap:
    """Where each trained variable's elements (``values``: variable -> array) land in the
    rewrite's Keras weights; a ConversionError names a weight the check cannot map."""
    variables = sorted(values)
    sizes = [int(np.size(values[v])) for v in variables]
    if sum(sizes) >= _ID_LIMIT:
        raise ConversionError(
            f"{sum(sizes)} trained elements: the weight map numbers at most {_ID_LIMIT}"
        )
    starts = np.cumsum([0, *sizes])
    numbers = np.arange(1, sum(sizes) + 1, dtype=np.float32)  # each element's, from 1
    runs = []
    for scale in (0, 1, 2):
        parts = np.split(scale * numbers, starts[1:-1]) if scale else []
        ctx.probe = {v: p.reshape(np.shape(values[v])) for v, p in zip(variables, parts)}
        ctx._values.clear()
        ctx.cache.clear()
        _, weights, _ = generate(translate(ctx, inputs, outputs, shapes), "probe")
        runs.append(weights)
    ctx.probe = {}
    real, one, two = runs
    mapped, frozen, used = {}, [], np.zeros(sum(sizes) + 1, int)
    flat = np.concatenate([np.asarray(values[v], np.float64).ravel() for v in variables])
    for layer, arrays in real.items():
        for i, w in enumerate(arrays):
            a, b = (np.asarray(r[layer][i], np.float64) for r in (one, two))
            ids = b - a
            if not ids.any():
                frozen.append((layer, i))
                continue
            k = np.rint(ids).astype(np.int64)
            if np.any(k != ids) or k.min() < 1 or k.max() > sum(sizes):
                raise ConversionError(
                    f"Keras weight {layer}[{i}] is computed from TF1 variables in a way the "
                    "training check cannot map (only moved, not mixed, elements map)"
                )
            np.add.at(used, k.ravel(), 1)
            mapped[(layer, i)] = (k - 1, a - ids)
            if not np.allclose(flat[k - 1] + a - ids, w, rtol=1e-6, atol=1e-6):
                raise ConversionError(
                    f"Keras weight {layer}[{i}] is not its TF1 elements plus a constant: the "
                    "training check cannot map it"
                )
    for bad, why in (
        (used[1:] > 1, "is used by two Keras weights (shared layers): Keras would train each"),
        (used[1:] == 0, "reaches the loss through values the rewrite computed once: no Keras"),
    ):
        if (at := np.flatnonzero(bad)).size:
            v = variables[int(np.searchsorted(starts[1:], at[0], "right"))]
            raise ConversionError(f"TF1 variable {v} {why} weight trains it as TF1 does")
    return WeightMap(variables, sizes, mapped, frozen)


_TRAINING_SOURCE = '''
OPTIMIZER_STATE = os.path.join(HERE, "optimizer.npz")
LOSS = {loss}
TRAINED = {trained}  # (layer, weight index) the TF1 optimizer trains, in its state's order
FROZEN = {frozen}  # TF1 constants and untrained variables
SLOTS = {slots}  # the Keras optimizer attributes restored from the TF1 slots
TRAINING = {training}  # TF1 trains its batch norms in training mode (UPDATE_OPS)


class TrainingModel(keras.Model):
    """The rewrite with the TF1 loss (its output LOSS) added: ``fit(x)`` needs no ``y``."""

    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, inputs, training=False):
        outputs = self.inner(inputs, training=TRAINING and training)  # TF1's fixed switches
        self.add_loss(outputs[LOSS])
        return outputs


def make_optimizer():
    """TF1 {tf1} -> keras.optimizers.{cls}."""
    learning_rate = {lr}
    return keras.optimizers.{cls}(learning_rate=learning_rate, {kwargs})


def training_model(weights=WEIGHTS, restore=True):
    """The model compile()d as TF1 trained it; ``restore`` loads the checkpoint's optimizer
    state (slots, iteration {iterations}) from optimizer.npz, so ``fit`` continues the TF1 run."""
    import numpy as np

    inner = build_model(weights)
    for layer, i in FROZEN:
        inner.get_layer(layer).weights[i].trainable = False
    model = TrainingModel(inner)
    model.compile(optimizer=make_optimizer())
    if restore:
        opt = model.optimizer
        opt.build(model.trainable_variables)
        state = np.load(OPTIMIZER_STATE)
        opt.iterations.assign(int(state["iterations"]))
        for j, (layer, i) in enumerate(TRAINED):
            w = inner.get_layer(layer).weights[i]
            for attr in SLOTS:
                getattr(opt, attr)[opt._get_variable_index(w)].assign(state[f"{{j}}/{{attr}}"])
    return model


'''


def training_source(source: str, plan: TrainingPlan, loss_key: str, wmap: WeightMap) -> str:
    """``source`` (a rewrite's ``model.py`` whose output ``loss_key`` is the TF1 loss) with
    ``training_model()``: the loss, a ``compile()`` with the mapped optimizer and schedule, and
    the optimizer state restored from ``optimizer.npz`` (:meth:`TrainCheck.write`)."""
    config = {k: v for k, v in plan.config.items() if k != "learning_rate"}
    lr = lit(plan.config["learning_rate"])
    if plan.schedule:
        args = kwargs_code(**plan.schedule["config"])
        lr = f"keras.optimizers.schedules.{plan.schedule['class']}({args})"
    extra = _TRAINING_SOURCE.format(
        loss=lit(loss_key),
        trained=lit([tuple(k) for k in wmap.weights]),
        frozen=lit([tuple(k) for k in wmap.frozen]),
        slots=lit(sorted({a.lstrip("-") for s in plan.slots.values() for a in s})),
        tf1=plan.tf1_optimizer,
        cls=plan.optimizer,
        lr=lr,
        kwargs=kwargs_code(**config),
        iterations=plan.iterations,
        training=bool(plan.moving),
    )
    head, main = source.split('\nif __name__ == "__main__":')
    return f'{head.rstrip()}\n\n{extra}\nif __name__ == "__main__":{main}'


TOLERANCE = Tolerance(1e-5, 1e-4)

# run(spec) steps in this process where Keras runs the backend, else in a fresh process (argv[1]
# is the JSON spec written by _keras_steps).
_STEPPER = r"""
import json, runpy, sys
import numpy as np
import keras


def run(spec):
    try:
        module = runpy.run_path(spec["folder"] + "/model.py", run_name="rewritten")
        outer = module["training_model"](restore=True)  # the optimizer as a resumed fit has it
        model, opt = outer.inner, outer.optimizer
        data = np.load(spec["arrays"])
        feeds = {k: data[f"x_{k}"] for k in spec["inputs"]}
        train = [model.get_layer(layer).weights[i] for layer, i in spec["weights"]]
        stats = [model.get_layer(layer).weights[i] for layer, i in spec["stats"]]
        every = model.trainable_variables  # the optimizer's variables, in its order
        at = [next(k for k, v in enumerate(every) if v is w) for w in train]
        key, training = spec["loss"], spec["training"]
        if keras.backend.backend() == "jax":
            import jax

            def loss_of(tv, ntv):
                out, ntv = model.stateless_call(tv, ntv, feeds, training=training)
                return out[key], ntv

            @jax.jit  # one compile: eager JAX compiles every op of a step
            def jitted(tv, ntv, ov):
                (loss, ntv), grads = jax.value_and_grad(loss_of, has_aux=True)(tv, ntv)
                return loss, grads, ntv, *opt.stateless_apply(ov, grads, tv)

            def step():
                fixed = model.non_trainable_variables  # batch norm's moving statistics
                values = [[v.value for v in vs] for vs in (every, fixed)]
                loss, grads, ntv, new, state = jitted(*values, [v.value for v in opt.variables])
                for v, value in zip(every + fixed + opt.variables, new + ntv + state):
                    v.assign(value)
                return loss, [grads[k] for k in at]
        else:
            import tensorflow as tf

            def step():
                with tf.GradientTape() as tape:
                    loss = model(feeds, training=training)[key]
                grads = tape.gradient(loss, every)
                opt.apply(grads, every)
                return loss, [grads[k] for k in at]
        out = {}
        for t in range(spec["steps"]):
            loss, grads = step()
            out[f"loss{t}"] = keras.ops.convert_to_numpy(loss)
            for j, w in enumerate(train):
                out[f"g{t}_{j}"] = keras.ops.convert_to_numpy(grads[j])
                out[f"w{t}_{j}"] = keras.ops.convert_to_numpy(w)
                for attr in spec["slots"]:
                    s = getattr(opt, attr)[opt._get_variable_index(w)]
                    out[f"s{t}_{j}_{attr}"] = keras.ops.convert_to_numpy(s)
            for j, w in enumerate(stats):
                out[f"m{t}_{j}"] = keras.ops.convert_to_numpy(w)
        np.savez(spec["result"], **out)
    except Exception as e:
        line = (str(e).strip().splitlines() or [""])[0][:300]
        open(spec["result"] + ".err", "w").write(f"{type(e).__name__}: {line}")


if __name__ == "__main__":
    run(json.loads(sys.argv[1]))
"""


@dataclass
class TrainCheck:
    """The result of :func:`train_check`: ``plan`` (the mapped training setup), ``backends``:
    backend -> ``{passed, error, steps: [{step, passed, max_abs: {loss, gradients, weights,
    slots}, first_failure}]}``, ``proved``: the TF1 tensors and variables compared."""

    model: str
    plan: TrainingPlan
    steps: int
    batch: int
    backends: dict[str, Any] = field(default_factory=dict)
    proved: list[str] = field(default_factory=list)
    tf1_losses: list[float] = field(default_factory=list)  # the loss of each TF1 step
    source: str = field(default="", repr=False)  # model.py with training_model()
    _rewrite: Any = field(default=None, repr=False)
    _state: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def save(self, out_dir: str | os.PathLike[str], overwrite: bool = False) -> Path:
        """Write the loss rewrite (``model.py`` with ``training_model()``, its weights) and the
        checkpoint's optimizer state (``optimizer.npz``): ``fit`` there continues the TF1 run."""
        with staged_folder(out_dir, self._rewrite.model, overwrite, "Keras training") as staging:
            self.write(staging.path)
            return staging.publish()

    def write(self, folder: Path) -> None:
        """The files of :meth:`save` into ``folder`` (made here) of a staged output."""
        folder.mkdir(exist_ok=True)
        self._rewrite._write(folder)
        (folder / "model.py").write_text(self.source)
        np.savez(folder / "optimizer.npz", **self._state)
        text = json.dumps(self.summary(), indent=2, default=str)
        (folder / "train_check.json").write_text(text + "\n")

    @property
    def passed(self) -> bool:
        return bool(self.backends) and all(b["passed"] for b in self.backends.values())

    @property
    def first_failure(self) -> str | None:
        """``backend step N: name`` of the first loss, gradient, weight or slot that differs."""
        for backend, res in self.backends.items():
            if res.get("error"):
                return f"{backend}: {res['error']}"
            for s in res["steps"]:
                if s["first_failure"]:
                    return f"{backend} step {s['step']}: {s['first_failure']}"
        return None

    def summary(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "model": self.model,
            "passed": self.passed,
            "steps": self.steps,
            "batch": self.batch,
            "loss": plan.loss,
            "optimizer": {"tf1": plan.tf1_optimizer, "keras": plan.optimizer, **plan.config},
            "schedule": plan.schedule,
            "iterations": plan.iterations,
            "tf1_losses": self.tf1_losses,
            "not_covered": plan.not_covered,
            "first_failure": self.first_failure,
            "proved": self.proved,
            "backends": self.backends,
        }


def train_check(
    model: V1Model | str | os.PathLike[str],
    *,
    steps: int = 5,
    batch: int = 4,
    seed: int = 0,
    backends: tuple[str, ...] = BACKENDS,
    tolerance: Tolerance = TOLERANCE,
    allow_unsafe: bool = False,
) -> TrainCheck:
    """Run ``steps`` TF1 training steps and the same Keras 3 steps on the rewrite per backend and
    compare them (see the module doc). ConversionError: a training setup the check cannot map."""
    model = as_model(model)
    with ModelSession(model, allow_unsafe=allow_unsafe) as sess:
        plan = read_training(model, sess)
        inputs = [f"{p}:0" for p in plan.inputs]
        ranges = {f"{p}:0": r for p, r in plan.label_ranges.items()}
        feed = {
            t: np.asarray(v) for t, v in sample(model, inputs, batch, seed, ranges=ranges).items()
        }
        rw = to_keras(model, inputs, [plan.loss], check=False, batches=(), feeds=[feed])
        ins, outs = rw.inputs, rw.outputs
        shapes = {k: (None, *np.shape(feed[t])[1:]) for k, t in ins.items()}
        values = sess.session.run({v: f"{v}:0" for v in [*plan.slots, *plan.moving]})
        ctx = GraphContext(list(ins.values()), list(outs.values()), sess)
        wmap = weight_map(ctx, ins, outs, shapes, values)
        slot_vars = [s for v in plan.slots for s in plan.slots[v].values()]
        start = sess.session.run({v: f"{v}:0" for v in slot_vars})
        tf1 = _tf1_steps(sess, plan, feed, steps, wmap.variables + slot_vars)
    names = {k: "+".join(wmap.sources(k)) for k in wmap.weights}
    keys = [k for k in wmap.weights if not set(wmap.sources(k)) & set(plan.moving)]
    stats = [k for k in wmap.weights if k not in keys]
    proved = [f"loss {plan.loss}", *(f"gradient, value and slots of {names[k]}" for k in keys)]
    proved += [f"training-mode update of {names[k]}" for k in stats]
    losses = [float(loss) for loss, _, _ in tf1]
    check = TrainCheck(str(model.path), plan, steps, batch, {}, proved, losses, _rewrite=rw)
    trained = replace(wmap, weights={k: wmap.weights[k] for k in keys}, frozen=wmap.frozen + stats)
    check.source = training_source(rw.source, plan, next(iter(outs)), trained)
    with temp_folder("tf1x-train-") as tmp:
        attrs = sorted({a for s in plan.slots.values() for a in s})
        for j, key in enumerate(keys):
            for attr in attrs:
                check._state[f"{j}/{attr.lstrip('-')}"] = _keras_slot(wmap, start, key, attr, plan)
        check._state["iterations"] = np.asarray(plan.iterations)
        check.write(tmp)  # the Keras side runs the training_model() it writes
        np.savez(f"{tmp}/arrays.npz", **{f"x_{k}": feed[t] for k, t in ins.items()})
        spec = {
            "folder": str(tmp),
            "arrays": f"{tmp}/arrays.npz",
            "inputs": list(ins),
            "loss": next(iter(outs)),
            "weights": [list(k) for k in keys],
            "stats": [list(k) for k in stats],
            "training": bool(plan.moving),
            "slots": [a.lstrip("-") for a in attrs],
            "steps": steps,
        }
        for backend in backends:
            got = _keras_steps({**spec, "result": f"{tmp}/result_{backend}.npz"}, backend)
            check.backends[backend] = _compare(
                got, tf1, plan, wmap, (keys, stats), names, attrs, tolerance
            )
    return check


def _keras_slot(wmap: WeightMap, state: dict, key: Any, attr: str, plan: TrainingPlan) -> Any:
    """The TF1 slots ``attr`` (arrays in ``state``) in the Keras weight's layout (Momentum's
    accumulator as Keras's ``-lr*a``)."""
    slot = {v: state[plan.slots[v][attr]] for v in plan.slots}
    value = wmap.gather(slot, key, offset=False)
    return value * np.float32(-plan.config["learning_rate"]) if attr[0] == "-" else value


def _tf1_steps(sess: Any, plan: TrainingPlan, feed: dict, steps: int, state: list[str]) -> list:
    """Per step: the loss and gradients before the update, every variable and slot after it."""
    train = [plan.train_op, *sess.graph.get_collection("update_ops")]  # feed, fetch by name
    out = []
    for _ in range(steps):
        loss, grads = sess.session.run([plan.loss, plan.grads], feed)
        sess.session.run(train, feed)
        out.append((loss, grads, sess.session.run({v: f"{v}:0" for v in state})))
    return out


def _keras_steps(spec: dict[str, Any], backend: str) -> dict | str:
    """The Keras side of ``spec`` (see ``_STEPPER``) on ``backend``, in a fresh process unless
    Keras runs it here: its arrays, or its one-line error."""
    import keras  # loaded by to_keras already

    error = None
    if backend == keras.backend.backend():  # steps here: no second import of Keras
        exec(_STEPPER, stepper := {"__name__": "stepper"})  # noqa: S102 - our own source
        stepper["run"](spec)
    else:
        error = run_child(_STEPPER, spec, backend)
    return child_result(spec["result"], error)


def _compare(got, tf1, plan, wmap, keys, names, attrs, tolerance) -> dict[str, Any]:
    """One backend's steps against TF1's, one Comparator per step (names in TF1 terms)."""
    if isinstance(got, str):
        return {"passed": False, "error": got, "steps": []}
    keys, stats = keys
    rows = []
    for t, (loss, grads, state) in enumerate(tf1):
        pairs = {"loss": ("loss", np.asarray(loss), got[f"loss{t}"])}  # label -> group, TF1, Keras
        for j, key in enumerate(keys):
            n = names[key]
            pairs[f"gradient {n}"] = ("gradients", wmap.gather(grads, key, False), got[f"g{t}_{j}"])
            pairs[n] = ("weights", wmap.gather(state, key, True), got[f"w{t}_{j}"])
            for attr in attrs:
                value = _keras_slot(wmap, state, key, attr, plan)
                mine = got[f"s{t}_{j}_{attr.lstrip('-')}"]
                pairs[f"{attr.strip('-_')} {n}"] = ("slots", value, mine)
        for j, key in enumerate(stats):  # batch norm's moving statistics, like slots
            pairs[names[key]] = ("statistics", wmap.gather(state, key, True), got[f"m{t}_{j}"])
        acc = Comparator(tolerance)
        acc.add({k: p[1] for k, p in pairs.items()}, {k: p[2] for k, p in pairs.items()})
        recs = acc.report().outputs
        worst: dict[str, float] = {}
        for k, rec in recs.items():
            worst[pairs[k][0]] = max(worst.get(pairs[k][0], 0.0), rec.max_abs or 0.0)
        failed = next((k for k in pairs if not recs[k].passed), None)
        rows.append(
            {"step": t + 1, "passed": failed is None, "max_abs": worst, "first_failure": failed}
        )
    return {"passed": all(r["passed"] for r in rows), "error": None, "steps": rows}
