"""Step 2, inspect a :class:`~explorer.V1Model`: its :class:`~explorer.Catalog`, ranked and default
inputs/outputs (:mod:`.suggestions`), the scan's findings and the admission gate (:mod:`.gate`)."""
