"""Step 2, inspect. Takes a :class:`~explorer.V1Model`; gives the searchable
:class:`~explorer.Catalog`, ranked input/output suggestions (:mod:`.suggestions`), the default
tensors to run (:mod:`.io_choice`), the scan's findings and the admission gate."""
