"""Step 2, inspect. Takes a :class:`~explorer.V1Model`; gives the searchable
:class:`~explorer.Catalog`, ranked input/output suggestions (:mod:`.suggestions`), the default
tensors to run (:func:`.suggestions.default_io`), the scan's findings and the admission gate."""
