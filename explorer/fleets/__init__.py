"""A fleet of models migrated at once: :mod:`.discovery` finds them, :mod:`.workers` runs each
``tf1-explorer migrate`` in its own process on Dask, :mod:`.report` writes the fleet report."""
