"""``python -m benchmarks [NAME ...]``: run every ``benchmarks/bench_*.py`` module's ``main()``
(or only those named, e.g. ``catalog`` for ``bench_catalog``), one after another."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def bench_modules() -> list[str]:
    """Names of the ``bench_*`` modules in this folder, sorted."""
    here = Path(__file__).resolve().parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))


def main(argv: list[str] | None = None) -> int:
    wanted = argv if argv is not None else sys.argv[1:]
    names = bench_modules()
    if wanted:
        unknown = [w for w in wanted if f"bench_{w.removeprefix('bench_')}" not in names]
        if unknown:
            choices = ", ".join(n.removeprefix("bench_") for n in names)
            print(
                f"benchmarks: unknown {', '.join(unknown)}; choose from {choices}", file=sys.stderr
            )
            return 2
        names = [f"bench_{w.removeprefix('bench_')}" for w in wanted]
    for name in names:
        module = importlib.import_module(f"{__package__}.{name}")
        t = time.perf_counter()
        print(f"== {name}")
        # Each benchmark runs with its defaults: its own command-line options are for
        # `python -m benchmarks.bench_NAME ...`, not for this runner's arguments.
        saved, sys.argv = sys.argv, [f"{__package__}.{name}"]
        try:
            module.main()
        finally:
            sys.argv = saved
        print(f"   ({time.perf_counter() - t:.1f} s)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
