"""Step 2, inspect: what is in the model, what to feed and fetch, what will break.

Takes a :class:`~explorer.V1Model`; gives the searchable
:class:`~explorer.Catalog` of ops and tensors, ranked input/output suggestions
(:mod:`~explorer.inspection.suggestions`, output heuristics in
:mod:`~explorer.inspection.output_heuristics`), the default choice of tensors to run
(:mod:`~explorer.inspection.io_choice`), and the scan's findings
(:mod:`~explorer.inspection.scanner`, result types in :mod:`~explorer.inspection.findings`, the
shipped rules in :mod:`~explorer.inspection.scan_rules`).
"""
