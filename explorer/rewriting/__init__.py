"""Rewrite: a ``V1Model`` between chosen inputs and outputs as a native Keras 3 ``model.py`` with
its weights and parity on each Keras backend (``explorer.to_keras``, :mod:`.api`)."""
