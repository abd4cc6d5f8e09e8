"""Step 7, report: parity results for people and machines: matplotlib figures over records
(:mod:`.plots`) and a self-contained HTML report with embedded plots and JSON (:mod:`.html`)."""
