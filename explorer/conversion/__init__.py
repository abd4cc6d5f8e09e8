"""Step 5, convert. Takes a model and a choice of signatures or tensors; gives TF2 functions
(:class:`~explorer.V2Model`, run by :class:`~explorer.V2Runner`), a Keras 3 layer, Keras weights."""
