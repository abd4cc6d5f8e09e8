"""Step 4, run. Takes a model and feeds; gives outputs: :class:`~explorer.records.Runner` is the
one interface, :class:`~explorer.ModelSession` the ready v1 session, :class:`~explorer.V1Runner`
the v1 side."""
