"""Step 3, feed: values for a model's inputs, generated from the graph or given, checked
(:class:`~explorer.Feeds`); :mod:`~explorer.feeding.sampling` decides what to generate."""
