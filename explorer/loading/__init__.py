"""Step 1, load. Takes a v1 SavedModel, TF1 Hub module, frozen graph or checkpoint; gives a
validated :class:`~explorer.V1Model`, its checkpoint values, op replacements, its graph imported."""
