"""Step 3, feed: values for a model's inputs (:class:`~explorer.Feeds`), generated or given."""
