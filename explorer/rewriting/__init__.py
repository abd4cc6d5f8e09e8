"""Rewrite. Takes a loaded ``V1Model`` and the inputs and outputs to keep; gives a
:class:`~explorer.rewriting.api.KerasRewrite` (``explorer.to_keras``): ``model.py``, its weights,
parity on each Keras backend. Steps: :mod:`.rules_ops` (the graph's facts, the rule registries),
:mod:`.rules_layers`, :mod:`.translate` (to ``model.py``), :mod:`.api` (the check)."""
