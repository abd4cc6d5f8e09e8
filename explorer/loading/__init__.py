"""Step 1, load. Takes a v1 SavedModel, TF1 Hub module, frozen ``.pb``/``.pbtxt`` or ``.meta`` +
checkpoint; gives a validated :class:`~explorer.V1Model` (:mod:`~explorer.loading.model`), its
checkpoint values, its graph imported into a fresh ``tf.Graph``, op replacements, and a first
import in a child process so a crash is an error (:mod:`~explorer.loading.isolation`)."""
