"""Rewrite. Takes a loaded ``V1Model`` and the inputs and outputs to keep; gives a
:class:`~explorer.rewriting.api.KerasRewrite` (``explorer.to_keras``): ``model.py``, its weights,
parity on each Keras backend. Steps: :mod:`.graph` (the graph's facts), rules (:mod:`.rules_ops`,
:mod:`.rules_layers`), :mod:`.translate` (to ``model.py``), :mod:`.api` (the check)."""
