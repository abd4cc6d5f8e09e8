"""Step 4, run: a v1 session on feeds, behind the runner interface both sides share.

Takes a model and feeds; gives outputs. :class:`~explorer.records.Runner` is the one interface
(``infer(feeds) -> dict``), :class:`~explorer.ModelSession` the ready v1 session in
the model's own graph, :class:`~explorer.V1Runner` the v1 side of parity.
"""
