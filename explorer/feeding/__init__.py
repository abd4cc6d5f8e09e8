"""Step 3, feed: values for a model's inputs, generated from the graph or given, checked. Takes a
model and its chosen inputs; gives :class:`~explorer.Feeds` (:mod:`~explorer.feeding.sampling`)."""
