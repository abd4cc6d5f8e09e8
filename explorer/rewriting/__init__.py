"""Rewrite. Takes a loaded ``V1Model`` and the inputs and outputs to keep; gives a
:class:`~explorer.rewriting.api.KerasRewrite` (``explorer.to_keras``): ``model.py``, its weights,
parity on each Keras backend. Steps: :mod:`.graph` (its facts, the Step, the rule registry), rules
(:mod:`.rules_layers`, :mod:`.rules_ops`), :mod:`.translate` (to ``model.py``), :mod:`.api`."""
