"""Issue 23: doors in new disguises are refused before anything runs.

Each hostile model (``tests/model_builders/hostile_23.py``) sits in a site with a secret file
outside its folder and a watched folder. Through the API (scan, session, runner, convert) and the
real command line (``run`` and ``parity`` in subprocesses) it is refused in one line (exit 2)
naming the door; the secret never appears in any output; the model's files and the watched
folder are unchanged byte for byte.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import explorer
from explorer.errors import ModelFormatError, UnsafeModelError
from tests.contracts.hostile_models import MARKER, Site
from tests.model_builders import hostile_23 as H

CASES = {**H.READS, **H.WRITES, **H.BOMBS}
EXPECTED = {  # what the one line names, besides the op
    "file_url_host": "marker.txt",
    "symlink_inside": "marker.txt",
    "select_chain": "too many possible values",
    "asset_joined": "marker.txt",
    "asset_const_value": "marker.txt",
    "asset_const_same_name": "secret/marker.txt",
    "unigram_sampler": "marker.txt",
    "gradient_map": "gradient_map_stolen",
    "gradient_attr": "gradient_attr_stolen",
    "nested_func_attr": "nested_func_attr_stolen",
    "fallback_init_op": "init_stolen",
    "saver_over_own_checkpoint": "SaveV2",
    "saver_through_symlink": "SaveV2",
    "dump_tensor": "DumpTensor",
    "rpc_server": "RpcServer",
    "print_to_stderr": "PrintV2",
    "print_v1": "Print",
    "huge_tile": "Tile",
    "huge_one_hot": "OneHot",
    "huge_range": "Range",
    "huge_pad": "Pad",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s = Site(tmp_path_factory.mktemp("doors23"))
    s.paths = {name: build(s) for name, build in CASES.items()}
    return s


def test_every_case_has_its_expectation():
    assert set(EXPECTED) == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_scan_and_the_api_refuse_before_running(site, name):
    before = site.snapshot()
    model = explorer.load(site.paths[name])
    unsafe = explorer.scan(model).unsafe
    assert any(EXPECTED[name] in f.message for f in unsafe), [f.message for f in unsafe]
    for attempt in (
        lambda: explorer.ModelSession(model),
        lambda: explorer.V1Runner(model).start(),
        lambda: explorer.convert(model),
    ):
        with pytest.raises(UnsafeModelError) as err:
            attempt()
        m = str(err.value)
        assert "\n" not in m and EXPECTED[name] in m and MARKER not in m, m
    assert site.snapshot() == before and not any(site.watch.iterdir())


@pytest.mark.parametrize("verb", ["run", "parity"])
@pytest.mark.parametrize(
    "name", ["file_url_host", "asset_joined", "saver_over_own_checkpoint", "print_to_stderr"]
)
def test_cli_refuses_in_one_line(site, name, verb, tmp_path):
    before = site.snapshot()
    argv = [sys.executable, "-m", "explorer", verb, str(site.paths[name])]
    r = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert lines[0].startswith(f"tf1-explorer {verb}: ") and EXPECTED[name] in lines[0]
    assert MARKER not in r.stdout + r.stderr and "FAKE" not in r.stdout + r.stderr
    assert site.snapshot() == before and not list(tmp_path.iterdir())


def test_allowed_the_saver_really_rewrites_its_own_checkpoint(tmp_path):
    """The fixture is real: with allow_unsafe the model's files change (what the gate stops)."""
    s = Site(tmp_path)
    path = H.saver_over_own_checkpoint(s)
    before = s.snapshot()
    with explorer.V1Runner(explorer.load(path), allow_unsafe=True) as r:
        r.infer({"x": [1.0, 2.0]})
    assert s.snapshot() != before


def test_a_long_chain_is_refused_where_the_file_is_read(tmp_path, monkeypatch):
    s = Site(tmp_path)
    path = H.long_chain(s)
    with pytest.raises(ModelFormatError) as err:
        explorer.load(path)
    m = str(err.value)
    assert str(path) in m and "100,001 nodes" in m and "TF1_EXPLORER_MAX_NODES" in m, m
    small = H.long_chain(s, 300)
    monkeypatch.setenv("TF1_EXPLORER_MAX_DEPTH", "200")
    with pytest.raises(ModelFormatError, match=r"301 ops in one chain.*TF1_EXPLORER_MAX_DEPTH"):
        explorer.load(small)
    monkeypatch.setenv("TF1_EXPLORER_MAX_DEPTH", "400")
    assert explorer.load(small).graph_def.node[-1].name == "n299"


def test_a_graph_of_huge_constants_is_refused_by_its_file_size(tmp_path, monkeypatch):
    """Few nodes, big file (a 125 MB ``saved_model.pb`` took 3.8 GB on ``run``): the file size is
    bounded before TensorFlow imports it; every shared model is far below the default."""
    from explorer.loading.validation import graph_limit

    path = H.huge_constant(Site(tmp_path), mb=3)
    monkeypatch.setenv("TF1_EXPLORER_MAX_GRAPH_MB", "2")
    with pytest.raises(ModelFormatError) as err:
        explorer.load(path)
    m = str(err.value)
    assert "\n" not in m and str(path) in m and "is 3 MB, over the limit of 2 MB" in m, m
    assert "TF1_EXPLORER_MAX_GRAPH_MB" in m, m
    monkeypatch.setenv("TF1_EXPLORER_MAX_GRAPH_MB", "4")
    assert explorer.load(path).graph_def.node[-1].name == "y"
    monkeypatch.delenv("TF1_EXPLORER_MAX_GRAPH_MB")
    shared = [p for p in Path("../shared/models").rglob("*") if p.suffix in (".pb", ".meta")]
    assert (
        shared
        and max(p.stat().st_size for p in shared) < graph_limit("MB in its file") * 2**20 / 100
    )


def test_cli_names_the_limit_for_a_long_chain(tmp_path):
    path = H.long_chain(Site(tmp_path))
    r = subprocess.run(
        [sys.executable, "-m", "explorer", "parity", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1 and "TF1_EXPLORER_MAX_NODES" in lines[0], lines


def test_paths_are_judged_as_tensorflow_opens_them(tmp_path, monkeypatch):
    """``file://host/p`` is ``/p``; ``..`` is cleaned lexically before symlinks are followed
    (TensorFlow's CleanPath), then links resolve; other schemes are not local files."""
    from explorer.inspection.scan_rules import tf_path

    tmp_path = tmp_path.resolve()

    (tmp_path / "elsewhere" / "deep").mkdir(parents=True)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "link").symlink_to(tmp_path / "elsewhere" / "deep")
    (tmp_path / "model" / "out").symlink_to(tmp_path / "elsewhere")
    monkeypatch.chdir(tmp_path / "model")
    assert tf_path("file://somehost/etc/passwd") == (Path("/etc/passwd"), None)
    assert tf_path("file:///etc/passwd") == (Path("/etc/passwd"), None)
    assert tf_path("link/../x.txt") == (tmp_path / "model" / "x.txt", None)  # not elsewhere/x
    assert tf_path("out/secret") == (tmp_path / "elsewhere" / "secret", None)
    assert tf_path("~/x")[0] == tmp_path / "model" / "~" / "x"  # no home expansion in TF
    for url in ("gs://b/o", "hdfs://h/p", "http://h/p", "ram://p", "s3://b/o"):
        assert tf_path(url) == (None, url.split(":")[0])


def test_doors_tf_raw_ops_lacks_are_judged_too(tmp_path):
    """Ops ``tf.raw_ops`` does not offer, added to a real model's graph: each is refused whole
    graph, and an asset-free ``FixedUnigramCandidateSampler`` reading nothing passes."""
    model = explorer.load(H.huge_tile(Site(tmp_path)))
    gd = model.graph_def
    saver = gd.node.add(name="calib", op="CalibrationStatisticsSaver", input=["x"])
    saver.attr["output_file_path"].s = str(tmp_path / "watch" / "stats").encode()
    fs = gd.node.add(name="fsconf", op="FileSystemSetConfiguration", input=["x", "x", "x"])
    plain = gd.node.add(name="sampler", op="FixedUnigramCandidateSampler", input=["x"])
    plain.attr["vocab_file"].s = b""
    found = {f.nodes[0]: f.message for f in explorer.scan(model, ["file-system"], scope=None)}
    assert set(found) == {saver.name, fs.name}, found
    assert "watch/stats (a write outside" in found["calib"]
    assert "file-system settings" in found["fsconf"]


VERBS = {  # verb -> its arguments after the model; the first five refuse, the others only read
    "run": [],
    "parity": [],
    "convert": ["out"],
    "migrate": ["out", "--batches", "1"],
    "rewrite": ["out", "--no-check"],
    "scan": [],
    "inspect": [],
    "suggest": [],
}
REFUSING = ("run", "parity", "convert", "migrate", "rewrite")


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_verb_on_every_case(site, name, tmp_path, capfd, monkeypatch):
    """Every verb of the real command line (``explorer.cli.main``, output read at the file
    descriptors) on each case: the verbs that load a session or write end in one line (exit 2)
    naming the door, with no note on a malformed file before it; ``scan`` names it; ``inspect`` and
    ``suggest`` only read. No verb shows the secret or a raw control character, nothing in the
    site changes, nothing is written."""
    from explorer.cli import main

    monkeypatch.chdir(tmp_path)
    for verb, args in VERBS.items():
        before = site.snapshot()
        code = main([verb, str(site.paths[name]), *args])
        out, err = capfd.readouterr()
        text = out + err
        assert MARKER not in text and "FAKE" not in text, (verb, text)
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", text), (verb, text)
        assert site.snapshot() == before and not list(tmp_path.iterdir()), verb
        if verb in REFUSING:
            lines = [ln for ln in err.splitlines() if ln.strip()]  # no note before the refusal
            assert code == 2 and len(lines) == 1, (verb, err)
            assert lines[0].startswith(f"tf1-explorer {verb}: ") and EXPECTED[name] in lines[0]
        elif verb == "scan":
            assert EXPECTED[name] in out, out
        else:
            assert code == 0, (verb, err)


def test_every_verb_names_the_limit_for_a_big_graph(tmp_path, capfd, monkeypatch):
    """The 100,001-node chain and a 3 MB graph file under a 2 MB limit: every verb, the read-only
    ones too, ends in one line (exit 2) naming the variable to raise, before TensorFlow imports."""
    from explorer.cli import main

    site = Site(tmp_path / "site")
    cases = {  # the chain's file is 4 MB: the node count speaks first under the default MB limit
        H.long_chain(site): ("TF1_EXPLORER_MAX_NODES", "1024"),
        H.huge_constant(site): ("TF1_EXPLORER_MAX_GRAPH_MB", "2"),
    }
    monkeypatch.chdir(tmp_path)
    for path, (variable, megabytes) in cases.items():
        monkeypatch.setenv("TF1_EXPLORER_MAX_GRAPH_MB", megabytes)
        for verb, args in VERBS.items():
            code = main([verb, str(path), *args])
            err = capfd.readouterr().err
            lines = [ln for ln in err.splitlines() if ln.strip()]
            assert code == 2 and len(lines) == 1 and variable in lines[0], (verb, err)
            assert lines[0].startswith(f"tf1-explorer {verb}: "), lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_an_asset_an_init_function_reads_is_its_file():
    """The tables of a real TFX model are filled in functions the init ops call, from asset
    tensors whose values are the exporting machine's paths: the loader feeds them the files in
    ``assets/``, so those values are not what opens (only ops run for outputs read a value)."""
    model = explorer.load("../shared/models/tfx_chicago_taxi_serving")
    assert len(model.assets) == 4
    assert explorer.scan(model, ["file-system", "asset-file"]).unsafe == []
