"""A TF1 graph rewritten as a native Keras 3 model: readable source, mapped weights, proof.

``explorer.to_keras(model, inputs=..., outputs=... | signature=...)`` (:mod:`.api`) returns a
:class:`~explorer.rewriting.api.KerasRewrite`. Steps: :mod:`.graph` (the graph's facts), :mod:`.ir`
(:class:`~explorer.rewriting.ir.Step` and the rule registry), :mod:`.rules_layers`,
:mod:`.rules_rnn`, :mod:`.rules_ops` (pattern rules), :mod:`.translate` (outputs back to inputs,
leftovers into fallback layers), :mod:`.codegen` (``model.py``), :mod:`.check` (weights file and
fresh-process check on each backend).
"""
