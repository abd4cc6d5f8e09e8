"""Converting TF1 Hub modules (:class:`HubBuilder`): ``UPDATE_OPS`` run with each signature whose
inputs they need (``hub.load`` drops them), regularization losses become
``regularization_losses()``, ``trainable_variables`` is recorded by name;
:func:`convert_hub_for_keras` puts the ``default`` and ``default__train`` graphs in one SavedModel
sharing one set of variables."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from explorer._tf import tf, tf1
from explorer.conversion.build import Builder, Plan, plan_signatures, resource_source
from explorer.conversion.v2_model import V2Model
from explorer.errors import ConversionError
from explorer.graph.index import graph_index
from explorer.graph.names import op_name
from explorer.graph.op_families import PLACEHOLDER_OPS
from explorer.graph.specs import TensorSpec
from explorer.inspection.gate import admit
from explorer.loading.checkpoints import variable_defs
from explorer.loading.isolation import in_graph, prepare_graph_def
from explorer.loading.model import (
    REGULARIZATION_LOSSES,
    TRAIN_TAGS,
    TRAINABLE_VARIABLES,
    UPDATE_OPS,
    V1Model,
    load,
    meta_graph_with,
)

if TYPE_CHECKING:
    import tensorflow as tf_types

TRAIN_SCOPE = "explorer_train"
TRAIN_SUFFIX = "__train"
META_KEY = "tf1_hub_module"  # key of the record in assets.extra/tf1_explorer.json
# Collections of the train graph imported beside the inference graph (variables come from it).
_TRAIN_COLLECTIONS = (
    UPDATE_OPS,
    REGULARIZATION_LOSSES,
    "table_initializer",
    "asset_filepaths",
    "saved_model_assets",
    "cond_context",
    "while_context",
)


def build_hub(
    model: V1Model,
    signatures: Sequence[str] | None,
    inputs: Sequence[str] | Mapping[str, str] | None,
    outputs: Sequence[str] | Mapping[str, str] | None,
    freeze: bool,
    train_model: V1Model | None = None,
    allow_unsafe: bool = False,
) -> V2Model:
    """``convert`` for a TF1 Hub module, ``train_model`` (its train tag set) converted beside it;
    each graph is admitted whole (its restore and init run)."""
    for m in filter(None, (model, train_model)):
        admit(m, allow_unsafe=allow_unsafe)
    plans = plan_signatures(model, signatures, inputs, outputs)
    return HubBuilder(model, plans, freeze, train_model).build()


def convert_hub_for_keras(model: V1Model, signature: str | None = None) -> V2Model:
    """The inference graph and the ``train`` graph (when the module has one; either loaded) in
    one :class:`V2Model` with shared variables; ``signature`` limits it to one signature."""
    tag_sets = [sorted(t) for t in model.tag_sets]
    reps = model.replacements or None
    train = None
    if sorted(TRAIN_TAGS) in tag_sets and sorted(model.tags) != sorted(TRAIN_TAGS):
        train = load(model.path, tags=list(TRAIN_TAGS), replacements=reps)
    elif sorted(model.tags) == sorted(TRAIN_TAGS) and [] in tag_sets:
        model, train = load(model.path, tags=[], replacements=reps), model
    names = [signature] if signature else None
    return build_hub(model, names, None, None, False, train_model=train)


class HubBuilder(Builder):
    """A :class:`~explorer.conversion.build.Builder` for TF1 Hub modules (see module doc)."""

    def __init__(
        self, model: V1Model, plans: list[Plan], freeze: bool, train_model: V1Model | None
    ) -> None:
        super().__init__(model, plans, freeze)
        self.train_model = train_model
        self.train_source: V1Model | None = None
        self.train_plans: list[Plan] = []
        self.shared: list[str] = []

    def build(self) -> V2Model:
        updates = {p.name: _updates_for(self.model, p, "") for p in self.plans}
        if self.train_model is not None:
            self._prepare_train()
            for p in self.train_plans:
                updates[p.name] = _updates_for(self.train_model, p, f"{TRAIN_SCOPE}/")
            self.plans = self.plans + self.train_plans
        self.updates = {k: v for k, v in updates.items() if v}
        v2 = super().build()
        names = [
            op_name(vd.variable_name)
            for vd in variable_defs(self.model.meta_graph, TRAINABLE_VARIABLES)
        ]
        for v in v2.variables:  # TF1-era VariableDefs lack ``trainable``: the collection decides
            if v.name.split(":")[0] in names and not v.trainable and hasattr(v, "_trainable"):
                v._trainable = True  # noqa: SLF001 - read-only in the public API
        # Regularization losses read variables: none when frozen.
        reg = [] if self.freeze else self.model.collection(REGULARIZATION_LOSSES)
        losses = [self.graph.as_graph_element(n) for n in reg if in_graph(self.graph, n)]
        if losses:
            pruned = self.wrapped.prune(feeds=[], fetches=losses)

            def regularization_losses() -> list[tf_types.Tensor]:
                return pruned()

            fn = tf().function(regularization_losses, input_signature=[], autograph=False)
            v2._root.regularization_losses = fn
            fn.get_concrete_function()
        v2.extra_meta = {
            META_KEY: {
                "tags": list(self.model.tags),
                "train_signatures": {
                    p.name[: -len(TRAIN_SUFFIX)]: p.name for p in self.train_plans
                },
                "update_ops": {k: len(v) for k, v in self.updates.items()},
                "regularization_losses": len(losses),
                "trainable_variables": names,
            }
        }
        return v2

    def _prepare_train(self) -> None:
        train = self.train_model
        self.train_source = resource_source(train)
        gd, mg = self.train_source.graph_def, self.train_source.meta_graph
        shared = {v.name for v in self.model.variables}
        own = {v.name for v in train.variables}
        if own - shared:
            raise ConversionError(
                f"{train.path}: the train graph has variables the inference graph lacks "
                f"({', '.join(sorted(own - shared)[:3])}): convert each tag set on its own "
                "(explorer.convert(explorer.load(path, tags=...)))"
            )
        self.shared = sorted(own)
        keep = [n for n in gd.node if not (n.name in own and n.op == "VarHandleOp")]
        del gd.node[:]
        gd.node.extend(keep)
        for n in gd.node:  # no colocation with the variables, which come from outside
            n.attr.pop("_class", None)
        mg.graph_def.CopyFrom(gd)
        for key in list(mg.collection_def):
            if key not in _TRAIN_COLLECTIONS:
                del mg.collection_def[key]
        mg.ClearField("signature_def")
        mg.ClearField("saver_def")
        prefix = f"{TRAIN_SCOPE}/"
        self.model = dataclasses.replace(
            self.model,
            assets={**self.model.assets, **{prefix + k: v for k, v in train.assets.items()}},
        )
        plans = {p.name: p for p in self.plans}
        for sig in (s for s in train.signatures.values() if s.name in plans):
            self.train_plans.append(
                dataclasses.replace(
                    plans[sig.name],
                    name=sig.name + TRAIN_SUFFIX,
                    inputs={k: _prefixed(s, prefix) for k, s in sig.inputs.items()},
                    outputs={k: _prefixed(s, prefix) for k, s in sig.outputs.items()},
                )
            )

    def _import(self) -> None:
        super()._import()
        if self.train_source is None:
            return
        graph = tf1().get_default_graph()
        mg = meta_graph_with(self.train_source.meta_graph, prepare_graph_def(self.train_source))
        input_map = {f"{v}:0": graph.get_tensor_by_name(f"{v}:0") for v in self.shared}
        tf1().train.import_meta_graph(
            mg, clear_devices=False, import_scope=TRAIN_SCOPE, input_map=input_map
        )

    def _fetchable(self, t: tf_types.Tensor, plan: Plan) -> tf_types.Tensor:
        """The fetch after the update ops whose placeholders the plan feeds."""
        t = super()._fetchable(t, plan)
        ops = [self.graph.get_operation_by_name(u) for u in self.updates.get(plan.name, ())]
        if not ops:
            return t
        with self.graph.as_default(), tf().control_dependencies(ops):
            return tf().identity(t, name=f"{t.op.name}/explorer_after_updates")


def _prefixed(spec: TensorSpec, prefix: str) -> TensorSpec:
    return dataclasses.replace(
        spec,
        name=prefix + spec.name if spec.name else spec.name,
        components=tuple(prefix + c for c in spec.components),
    )


def _updates_for(model: V1Model, plan: Plan, prefix: str) -> list[str]:
    """The module's update ops (names with ``prefix``) whose placeholders the plan feeds."""
    specs = plan.inputs.values()
    fed = {op_name(t.removeprefix(prefix)) for s in specs for t in s.components or (s.name,)}
    placeholders = {n.name for n in model.graph_def.node if n.op in PLACEHOLDER_OPS}
    index = graph_index(model.graph_def)
    ops = [op_name(n) for n in model.collection(UPDATE_OPS)]
    needs = [(op, index.upstream([op]) & placeholders) for op in ops]
    return [prefix + op for op, needed in needs if needed and needed <= fed]
