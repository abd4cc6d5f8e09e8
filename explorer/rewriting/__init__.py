"""Rewrite: a TF1 graph as a native Keras 3 model (``explorer.to_keras``, :mod:`.api`): readable
``model.py``, ``model.weights.h5``, parity against the v1 session on each Keras backend. Steps:
:mod:`.graph` (the graph's facts), rules (:mod:`.ir` registry; :mod:`.rules_layers`,
:mod:`.rules_rnn`, :mod:`.rules_ops`), :mod:`.translate` (outputs back to inputs, leftovers into
fallback layers), :mod:`.codegen` (``model.py``), :mod:`.check` (weights, fresh-process check)."""
