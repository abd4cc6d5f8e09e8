"""A hostile model reads and writes nothing outside its folder: one fixture per file door.

Each fixture (``tests/contracts/hostile_models.py``) is a real TF1 model built with
``tf.compat.v1`` whose output depends on a door: a table filled from an asset named
``../../secret/marker.txt``, a reader fed the secret's path, a ``DebugIdentity`` dumping into a
watched folder, a second saver, a saver inside a library function, a dataset sink... For every
door, through the API and the CLI, the model is refused before anything runs with one line naming
the op and the path; the secret's content never appears in any output; nothing appears in the
watched folder or anywhere else; the model folder is unchanged. With ``allow_unsafe`` the door
really opens (so the fixtures are real), which is what the gate stops.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import explorer
from explorer.cli import main
from tests.contracts import hostile_models as H

X = np.ones(2, np.float32)
DOORS = {**H.READ_DOORS, **H.WRITE_DOORS}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Every door fixture in one site: name -> model path; ``site.paths`` keeps them."""
    s = H.Site(tmp_path_factory.mktemp("doors"))
    s.paths = {name: build(s) for name, build in DOORS.items()}
    return s


def _expected_path(site, name: str) -> str:
    """The path each door's refusal must name."""
    if name in H.WRITE_DOORS:
        return str(site.watch)
    if name == "restore_rewired":
        return str(site.secret / "other_ckpt")
    if name == "asset_symlink":
        return "vocab.txt"
    return "marker.txt"


@pytest.mark.parametrize("name", sorted(DOORS))
def test_scan_names_the_door_and_the_api_refuses_it(site, name, tmp_path):
    before = site.snapshot()
    model = explorer.load(site.paths[name])
    unsafe = explorer.scan(model).unsafe
    assert unsafe and any(_expected_path(site, name) in f.message for f in unsafe), [
        f.message for f in unsafe
    ]
    messages = []
    for attempt in (
        lambda: explorer.ModelSession(model),
        lambda: explorer.V1Runner(model).start(),
        lambda: explorer.convert(model),
    ):
        with pytest.raises(explorer.errors.UnsafeModelError) as err:
            attempt()
        messages.append(str(err.value))
    for m in messages:
        assert "\n" not in m and _expected_path(site, name) in m and "allow_unsafe" in m
        assert H.MARKER not in m
    assert site.snapshot() == before  # nothing written, the model folder unchanged
    assert not any(site.watch.iterdir())


@pytest.mark.parametrize("name", ["table_constant_path", "debug_identity", "saver_in_function"])
def test_every_verb_refuses_in_one_line(site, name, tmp_path, capsys):
    before = site.snapshot()
    path = str(site.paths[name])
    out = tmp_path / "out"
    for argv in (
        ["run", path],
        ["convert", path, str(out)],
        ["parity", path, "--batches", "1"],
        ["migrate", path, str(out)],
    ):
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        err = captured.err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"tf1-explorer {argv[0]}: "), err
        assert _expected_path(site, name) in err[0]
        assert H.MARKER not in captured.out + captured.err
    assert not out.exists() and not list(tmp_path.iterdir())
    assert site.snapshot() == before


def test_cli_subprocess_refuses_and_writes_nothing(site, tmp_path):
    """The real command line, in the watched folder as working directory."""
    before = site.snapshot()
    for name in ("asset_traversal",):
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "explorer",
                "migrate",
                str(site.paths[name]),
                str(tmp_path / "o"),
            ],
            capture_output=True,
            text=True,
            cwd=site.watch,
            timeout=300,
        )
        lines = [ln for ln in r.stderr.splitlines() if ln.startswith("tf1-explorer")]
        assert r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
        assert _expected_path(site, name) in lines[0] and H.MARKER not in r.stdout + r.stderr
    assert site.snapshot() == before and not list(tmp_path.iterdir())


def test_allow_unsafe_opens_the_doors_the_gate_closes(tmp_path):
    """The fixtures are real: allowed, the table is filled from the secret (beta is on its
    line 5, not 1 as in the model's vocabulary) and the second saver writes into watch/."""
    s = H.Site(tmp_path)
    with explorer.V1Runner(explorer.load(H.asset_traversal(s)), allow_unsafe=True) as r:
        np.testing.assert_array_equal(r.infer({"x": X})["y"], X + 5)
    with explorer.V1Runner(explorer.load(H.second_saver(s)), allow_unsafe=True) as r:
        r.infer({"x": X})
    assert sorted(p.name for p in s.watch.iterdir()) == [
        "stolen.data-00000-of-00001",
        "stolen.index",
    ]


def test_the_models_own_vocabulary_and_saver_stay_allowed(tmp_path):
    """The same table read from the model's own assets/, and its own Saver, pass the gate."""
    s = H.Site(tmp_path)
    vocab = H.saved_model(
        tmp_path / "vocab",
        lambda tf, x, assets: H._table_lookup(tf, x, assets[0]),
        assets={"vocab.txt": H.VOCAB},
    )
    with explorer.V1Runner(explorer.load(vocab)) as r:
        np.testing.assert_array_equal(r.infer({"x": X})["y"], X + 1)
    saver = H.saved_model(tmp_path / "saver", lambda tf, x, v: x * v, variables=True)
    assert not explorer.scan(saver).unsafe
    with explorer.V1Runner(explorer.load(saver)) as r:
        np.testing.assert_array_equal(r.infer({"x": X})["y"], X * 3)
    assert not any(s.watch.iterdir())
