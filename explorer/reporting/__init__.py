"""Step 7, report. Takes comparison records; gives matplotlib figures (:mod:`.plots`), a
self-contained HTML report with plots and JSON (:mod:`.html`) and Model Explorer overlays."""
