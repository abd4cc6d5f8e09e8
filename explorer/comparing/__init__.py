"""Step 6, compare: are the v1 and v2 numbers the same, and where do they first differ?

Takes outputs of both sides (or a model and its conversion); gives typed records
(:mod:`~explorer.comparing.records`): per-output statistics
(:func:`~explorer.compare`), parity over every signature after a v1 self-check
(:func:`~explorer.parity`), the first diverging op
(:mod:`~explorer.comparing.divergence`), and the numerics environment the numbers came from
(:mod:`~explorer.comparing.numerics`).
"""
