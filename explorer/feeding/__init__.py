"""Step 3, feed: values for a model's inputs (:class:`~explorer.Feeds`), generated from the graph
(:mod:`~explorer.feeding.sampling`) or given, checked against specs."""
