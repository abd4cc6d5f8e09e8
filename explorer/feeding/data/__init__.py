"""The user's own data as lazy batches of feeds: ``explorer.data(...)`` in :mod:`.sources`."""
