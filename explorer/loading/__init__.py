"""Step 1, load. Takes a v1 SavedModel, TF1 Hub module, frozen ``.pb``/``.pbtxt`` or ``.meta`` +
checkpoint; gives a validated :class:`~explorer.V1Model`, its checkpoint values, op replacements,
and its graph imported into a fresh ``tf.Graph`` (first in a child: a crash there is an error)."""
