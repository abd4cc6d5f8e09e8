"""Step 7, report: parity results for people and machines. Takes comparison records; gives
matplotlib figures (:mod:`.plots`) and a self-contained HTML report with plots and JSON
(:mod:`.html`)."""
