"""Step 2, inspect. Takes a :class:`~explorer.V1Model`; gives its :class:`~explorer.Catalog`,
ranked and default inputs/outputs (:mod:`.suggestions`), the scan and the gate (:mod:`.gate`)."""
