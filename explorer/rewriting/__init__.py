"""Rewrite. Takes a loaded ``V1Model`` and the inputs and outputs to keep; gives a
:class:`~explorer.rewriting.api.KerasRewrite` (``explorer.to_keras``): readable ``model.py``,
``model.weights.h5``, parity against the v1 session on each Keras backend. Steps: :mod:`.graph`
(the graph's facts), rules (:mod:`.ir` registry; :mod:`.rules_layers`, :mod:`.rules_rnn`,
:mod:`.rules_ops`), :mod:`.translate` (outputs back to inputs, leftovers into fallback layers),
:mod:`.codegen` (``model.py``), :mod:`.check` (weights, fresh-process check)."""
