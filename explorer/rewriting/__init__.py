"""A TF1 graph rewritten as a native Keras 3 model: readable source, mapped weights, proof.

Takes a loaded :class:`~explorer.loading.model.V1Model` (and the inputs and outputs to keep);
gives a :class:`~explorer.rewriting.api.KerasRewrite`: ``model.py`` source, a
``model.weights.h5`` and a parity report against the v1 session on each Keras backend.

``explorer.to_keras(model, inputs=..., outputs=... | signature=...)`` (:mod:`.api`) returns a
:class:`~explorer.rewriting.api.KerasRewrite`. The steps, one module each:

* :mod:`.graph`: the graph's facts (static shapes, fixed values, v1 conds with a fixed predicate);
* :mod:`.ir`: the :class:`~explorer.rewriting.ir.Step` a rule returns and the rule registry
  :data:`~explorer.rewriting.ir.KERAS_RULES`;
* :mod:`.rules_layers`, :mod:`.rules_rnn`, :mod:`.rules_ops`: the pattern rules (Dense,
  convolutions, batch norm, pooling, activations, Embedding, Dropout; dynamic_rnn LSTM/GRU/
  SimpleRNN; single ops as ``keras.ops``), one registry entry per pattern;
* :mod:`.translate`: from the outputs back to the inputs, leftovers grouped into fallback layers;
* :mod:`.codegen`: the ``model.py`` source; :mod:`.check`: the weights file and the fresh-process
  check on each Keras backend.
"""
