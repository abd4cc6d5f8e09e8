"""A fleet of models migrated at once. Takes a folder tree (or a list file) of TF1 models and
gives each one migrated by ``tf1-explorer migrate`` in its own process, in parallel on Dask
(:mod:`~explorer.fleets.discovery` finds them, :mod:`~explorer.fleets.workers` runs them,
:mod:`~explorer.fleets.report` writes the fleet report)."""
