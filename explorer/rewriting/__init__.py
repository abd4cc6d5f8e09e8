"""Rewrite. Takes a loaded ``V1Model`` and the inputs and outputs to keep; gives a native Keras 3
``model.py``, its weights and its parity on each Keras backend (``explorer.to_keras``)."""
