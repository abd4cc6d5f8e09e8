"""Step 1, load: a path on disk becomes a :class:`~explorer.V1Model`.

Takes a v1 SavedModel folder, a TF1 Hub module, a frozen ``.pb``/``.pbtxt``, or a ``.meta`` +
checkpoint; gives a parsed, validated model (:mod:`~explorer.loading.model`, TF1 Hub modules'
ModuleDef and tag sets in :mod:`~explorer.loading.hub_module`, structural checks in
:mod:`~explorer.loading.validation`), its checkpoint values (:mod:`~explorer.loading.checkpoints`),
its graph imported into a fresh ``tf.Graph`` (:mod:`~explorer.loading.graph_import`), op
replacements for op types TensorFlow lacks (:mod:`~explorer.loading.replacements`), and a first
import in a child process so a crash is an error (:mod:`~explorer.loading.isolation`).
"""
