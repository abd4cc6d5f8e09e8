"""Step 1, load: a v1 SavedModel, TF1 Hub module, frozen graph or checkpoint -> a validated
:class:`~explorer.V1Model`, checkpoint values, op replacements, its graph imported in isolation."""
