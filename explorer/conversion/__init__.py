"""Step 5, convert: the TF1 graph as TF2 functions, a SavedModel, a Keras 3 layer, Keras weights.

Takes a model and a choice of signatures or tensors; gives a
:class:`~explorer.V2Model` (:func:`~explorer.convert`,
built by :mod:`~explorer.conversion.build` after the reference-variable rewrite of
:mod:`~explorer.conversion.rewrite`; TF1 Hub modules' update ops, regularization losses and
train graph by :mod:`~explorer.conversion.hub_module`), run by :class:`~explorer.V2Runner`,
wrapped as a Keras layer (:mod:`~explorer.keras_layer`), and checkpoint weights mapped
onto a Keras model (:mod:`~explorer.conversion.weight_mapping`).
"""
