"""Step 6, compare: are the v1 and v2 numbers the same, and where do they first differ?
Typed records (:mod:`~explorer.comparing.records`) from :func:`~explorer.compare`,
:func:`~explorer.parity` and :mod:`~explorer.comparing.divergence`, with the numerics
environment (:mod:`~explorer.comparing.numerics`)."""
