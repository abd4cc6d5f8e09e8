"""Step 5, convert: the TF1 graph as TF2 functions (:func:`~explorer.convert` ->
:class:`~explorer.V2Model`, run by :class:`~explorer.V2Runner`), a Keras 3 layer, Keras weights."""
