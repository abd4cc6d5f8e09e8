"""Step 7, report: parity results for people and machines.

Takes comparison records; gives matplotlib figures (:mod:`~explorer.reporting.plots`, pure functions
over records) and a self-contained HTML report with embedded plots and JSON
(:mod:`~explorer.reporting.html`).
"""
