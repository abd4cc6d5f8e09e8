"""The user's own data as feeds, read lazily in batches: TFRecord files of serialized
``tf.Example``/``tf.SequenceExample``, CSV, a folder of images, ``.npz``/``.npy`` and in-memory
arrays.

``explorer.data(path_or_arrays, ...)`` (``sources.py``) makes a :class:`~.sources.DataSource`;
``source.batches(specs, model)`` yields :class:`~.sources.Batch` es for a model run's inputs, one
batch in memory at a time. Bad data raises ``DataError`` naming the file, the record and the
feature. The readers: ``tfrecord.py``, ``tables.py`` (CSV), ``images.py``, and the arrays in
``sources.py``.
"""
