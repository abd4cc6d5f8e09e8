"""Step 7, report: parity results as matplotlib figures (:mod:`~explorer.reporting.plots`) and a
self-contained HTML report with plots and JSON (:mod:`~explorer.reporting.html`)."""
