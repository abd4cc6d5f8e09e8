"""Training-step parity (issue 27): ``explorer.train_check(model)`` runs ``steps`` TF1 training
steps on one sampled batch and the same Keras 3 steps on the native rewrite (loss as its output,
optimizer and slots restored by :mod:`explorer.rewriting.training`; a JAX step is one
``jax.jit``), comparing after every step the loss, each applied gradient, each updated weight,
slot and batch-norm moving statistic with the one Comparator. Switches keep the graph's values: a
batch norm TF1 trains with ``is_training=True`` runs with ``training=True``; dropout's
``keep_prob`` keeps its default (rate 0 on both sides). A dropout at a constant rate > 0 draws
masks no seed shares across TF1 and Keras: not pinned, its loss differs."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from explorer.comparing.outputs import Comparator
from explorer.comparing.records import Tolerance
from explorer.feeding.sampling import sample
from explorer.loading.model import V1Model, as_model
from explorer.output_policy import staged_folder
from explorer.rewriting.api import BACKENDS, child_result, run_child, to_keras
from explorer.rewriting.graph import GraphContext
from explorer.rewriting.training import (
    TrainingPlan,
    WeightMap,
    read_training,
    training_source,
    weight_map,
)
from explorer.running.session import ModelSession

TOLERANCE = Tolerance(1e-5, 1e-4)

# run(spec) steps in this process where Keras runs the backend, else in a fresh process (argv[1]
# is the JSON spec written by _keras_steps).
_STEPPER = r"""
import importlib.util, json, sys
import numpy as np
import keras


def run(spec):
    try:
        loader = importlib.util.spec_from_file_location("rewritten", spec["folder"] + "/model.py")
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        outer = module.training_model(restore=True)  # the optimizer as a resumed fit has it
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
        ctx = GraphContext(model, list(ins.values()), list(outs.values()), sess)
        wmap = weight_map(ctx, ins, outs, shapes, values)
        slot_vars = [s for v in plan.slots for s in plan.slots[v].values()]
        start = sess.session.run({v: f"{v}:0" for v in slot_vars})
        tf1 = _tf1_steps(sess, plan, feed, steps, wmap.variables + slot_vars)
    losses = [float(loss) for loss, _, _ in tf1]
    check = TrainCheck(str(model.path), plan, steps, batch, tf1_losses=losses, _rewrite=rw)
    names = {k: "+".join(wmap.sources(k)) for k in wmap.weights}
    keys = [k for k in wmap.weights if not set(wmap.sources(k)) & set(plan.moving)]
    stats = [k for k in wmap.weights if k not in keys]
    trained = replace(wmap, weights={k: wmap.weights[k] for k in keys}, frozen=wmap.frozen + stats)
    check.source = training_source(rw.source, plan, next(iter(outs)), trained)
    with tempfile.TemporaryDirectory(prefix="tf1x-train-") as tmp:
        attrs = sorted({a for s in plan.slots.values() for a in s})
        for j, key in enumerate(keys):
            for attr in attrs:
                slot = {v: start[plan.slots[v][attr]] for v in plan.slots}
                check._state[f"{j}/{attr.lstrip('-')}"] = _keras_slot(wmap, slot, key, attr, plan)
        check._state["iterations"] = np.asarray(plan.iterations)
        check.write(Path(tmp))  # the Keras side runs the training_model() it writes
        np.savez(f"{tmp}/arrays.npz", **{f"x_{k}": feed[t] for k, t in ins.items()})
        for backend in backends:
            got = _keras_steps(tmp, backend, rw, (keys, stats), attrs, steps, bool(plan.moving))
            check.backends[backend] = _compare(
                got, tf1, plan, wmap, (keys, stats), names, attrs, tolerance
            )
    check.proved = [f"loss {plan.loss}"] + [
        f"gradient, value and slots of {names[k]}" for k in keys
    ]
    check.proved += [f"training-mode update of {names[k]}" for k in stats]
    return check


def _keras_slot(wmap: WeightMap, slot: dict, key: Any, attr: str, plan: TrainingPlan) -> Any:
    """A TF1 slot in the Keras weight's layout (Momentum's accumulator as Keras's ``-lr*a``)."""
    value = wmap.gather(slot, key, offset=False)
    return value * np.float32(-plan.config["learning_rate"]) if attr[0] == "-" else value


def _tf1_steps(sess: Any, plan: TrainingPlan, feed: dict, steps: int, state: list[str]) -> list:
    """Per step: the loss and gradients before the update, every variable and slot after it."""
    graph = sess.graph
    fd = {graph.get_tensor_by_name(t): v for t, v in feed.items()}
    train = [graph.get_operation_by_name(plan.train_op), *graph.get_collection("update_ops")]
    out = []
    for _ in range(steps):
        loss, grads = sess.session.run([plan.loss, plan.grads], fd)
        sess.session.run(train, fd)
        out.append((loss, grads, sess.session.run({v: f"{v}:0" for v in state})))
    return out


def _keras_steps(tmp: str, backend: str, rw, keys, attrs, steps, training) -> dict | str:
    """The Keras side on ``backend`` (a fresh process unless it runs here): its arrays, or its
    one-line error."""
    result = f"{tmp}/result_{backend}.npz"
    spec = {
        "folder": tmp,
        "arrays": f"{tmp}/arrays.npz",
        "inputs": list(rw.inputs),
        "loss": next(iter(rw.outputs)),
        "weights": [list(k) for k in keys[0]],
        "stats": [list(k) for k in keys[1]],
        "training": training,
        "slots": [a.lstrip("-") for a in attrs],
        "steps": steps,
        "result": result,
    }
    import keras  # loaded by to_keras already

    error = None
    if backend == keras.backend.backend():  # steps here: no second import of Keras
        exec(_STEPPER, stepper := {"__name__": "stepper"})  # noqa: S102 - our own source
        stepper["run"](spec)
    else:
        error = run_child(_STEPPER, spec, backend, 600.0)
    return child_result(result, error)


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
                slot = {v: state[plan.slots[v][attr]] for v in plan.slots}
                value = _keras_slot(wmap, slot, key, attr, plan)
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
