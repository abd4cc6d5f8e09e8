"""Step 2, inspect: what is in the model, what to feed and fetch, what will break.

The searchable :class:`~explorer.Catalog`, ranked input/output suggestions (``suggestions``,
``output_heuristics``), the default tensors to run (``io_choice``) and the scan's findings
(``scanner``, ``findings``, rules in ``scan_rules``).
"""
