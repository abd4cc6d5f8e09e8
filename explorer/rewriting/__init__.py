"""A TF1 graph rewritten as a native Keras 3 model: readable source, mapped weights, proof.

Takes a loaded :class:`~explorer.loading.model.V1Model` (and the inputs and outputs to keep);
gives a :class:`~explorer.rewriting.api.KerasRewrite`: ``model.py`` source, a
``model.weights.h5`` and a parity report against the v1 session on each Keras backend.

``explorer.to_keras(model, inputs=..., outputs=... | signature=...)`` (:mod:`.api`) returns a
:class:`~explorer.rewriting.api.KerasRewrite`. Steps: :mod:`.graph` (the graph's facts), :mod:`.ir`
(:class:`~explorer.rewriting.ir.Step` and the rule registry), :mod:`.rules_layers`,
:mod:`.rules_rnn`, :mod:`.rules_ops` (pattern rules), :mod:`.translate` (outputs back to inputs,
leftovers into fallback layers), :mod:`.codegen` (``model.py``), :mod:`.check` (weights file and
fresh-process check on each backend).
"""
