"""Step 6, compare: are the v1 and v2 numbers the same, and where do they first differ? Takes both
sides' outputs (or a model and its conversion); gives typed records (:mod:`.records`) from the one
comparator (:mod:`.outputs`), the parity loop (:mod:`.parity_check`) and :mod:`.divergence`."""
