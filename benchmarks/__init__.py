"""Benchmarks: each ``benchmarks/bench_*.py`` module has a ``main()`` that times our way against
the user's way today in the same run and prints both with their ratio. Run them all with
``python -m benchmarks`` (``make bench``), or one with ``python -m benchmarks.bench_<name>``.
They are not tests: nothing here asserts a time."""
