"""Step 4, run. Takes a model and feeds; gives outputs: :class:`~explorer.running.base.Runner` is
the one interface, :class:`ModelSession` the ready v1 session, :class:`~explorer.V1Runner` v1's."""
