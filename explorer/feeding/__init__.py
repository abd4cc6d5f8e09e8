"""Step 3, feed: values for a model's inputs, generated from the graph or given, checked.

Takes a model and its chosen inputs; gives :class:`~explorer.Feeds` (named arrays,
sparse values, ``.npz`` form, checks against specs). :mod:`~explorer.feeding.sampling` decides what
to generate, :mod:`~explorer.feeding.generators` draws values, :mod:`~explorer.feeding.tf_example`
builds serialized ``tf.Example`` and other string samples, :mod:`~explorer.feeding.text_rules`
draws text inputs from the vocabulary they are looked up in, :mod:`~explorer.feeding.index_ranges`
bounds integers that index something, :mod:`~explorer.feeding.switches` knows keep_prob-like inputs.
"""
