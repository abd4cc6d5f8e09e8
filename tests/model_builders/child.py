"""Build example models in a child Python process: the TF1 global state they need stays there.

Builders set TF1 switches (v1 control flow, reference variables, ``TF_USE_LEGACY_KERAS=1``) that
would change the calling process, so :func:`build_in_child` runs ``python -m MODULE ROOT NAME...``
with the quiet environment and reads the ``name -> path`` JSON object the child prints last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from explorer._tf import quiet_env
from explorer.errors import ExplorerError

_REPO = Path(__file__).resolve().parents[2]  # the repository root: `tests.model_builders` imports


def build_in_child(
    module: str,
    root: Path,
    names: Sequence[str],
    what: str,
    timeout: float,
    env: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Run ``python -m module root names...``; returns name -> path.

    Raises:
        ExplorerError: the child failed (its last stderr line is in the message) or timed out.
    """
    child_env = quiet_env({**os.environ, **(env or {})})
    child_env["PYTHONPATH"] = os.pathsep.join([str(_REPO), child_env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-m", module, str(root), *names],
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise ExplorerError(
            f"building {what} {list(names)} under {root} took over {timeout:.0f} s: raise timeout="
        ) from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ExplorerError(f"building {what} {list(names)} under {root} failed: {last}")
    return {k: Path(v) for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()}


def child_main(builders: Mapping[str, Callable[[Path], Path]], names: Sequence[str]) -> int:
    """A builder module's ``__main__``: build ``sys.argv[2:]`` (default ``names``) under
    ``sys.argv[1]`` and print name -> path as the JSON line :func:`build_in_child` reads."""
    out, wanted = Path(sys.argv[1]), sys.argv[2:] or names
    print(json.dumps({name: str(builders[name](out / name)) for name in wanted}))
    return 0
