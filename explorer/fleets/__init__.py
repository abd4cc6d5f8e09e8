"""A fleet of models migrated at once. Takes a folder tree (or list file) of TF1 models; gives each
migrated by ``tf1-explorer migrate`` in its own process on Dask (:mod:`.workers`), and the fleet
report (:mod:`.report`)."""
