"""The records the verbs give and take, re-exported from their homes, resolved on use."""

from __future__ import annotations

from explorer._lazy import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "graph.specs": ("TensorSpec", "Signature", "Variable"),
        "inspection.catalog": ("OpInfo", "TensorInfo", "Edge", "Subgraph", "ScopeNode"),
        "inspection.suggestions": ("IOChoice", "Validation", "Candidate"),
        "inspection.scan_rules": ("Findings", "Finding"),
        "feeding.feeds": ("SparseValue",),
        "feeding.data.sources": ("DataSource",),
        "running.base": ("Runner",),
        "conversion.weight_mapping": ("WeightMapping",),
        "rewriting.api": ("KerasRewrite",),
        "comparing.records": (
            "ParityReport",
            "ParitySummary",
            "OutputComparison",
            "Divergence",
            "DivergenceStep",
        ),
    },
)
