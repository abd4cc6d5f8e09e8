"""The user's own data as feeds, read lazily in batches (TFRecord, CSV, images, ``.npz``/``.npy``,
arrays): ``explorer.data(...)`` in :mod:`.sources`; bad data raises ``DataError``."""
