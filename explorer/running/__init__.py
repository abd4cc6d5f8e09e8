"""Step 4, run: :class:`~explorer.running.base.Runner` is the one interface, :class:`ModelSession`
the ready v1 session, :class:`~explorer.V1Runner` the v1 side."""
