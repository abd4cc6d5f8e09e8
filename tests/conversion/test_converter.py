"""explorer.convert and V2Model.save: TF2 functions and SavedModels that match the v1 session.

The fresh-process check loads every saved folder with plain ``tf.saved_model.load`` in ONE
subprocess started with ``python -I`` (no site paths from the environment, cwd elsewhere) and
``sys.modules["explorer"] = None``, so an ``import explorer`` there fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import explorer
from explorer.conversion.v2_model import V2Runner
from explorer.examples.models import mlp_reference
from explorer.feeding.feeds import Feeds, SparseValue
from explorer.graph.index import racy_reads
from explorer.graph.names import op_name
from explorer.running.v1_runner import V1Runner
from tests.conftest import shared_model
from tests.shared_models import MODELS

X = np.random.default_rng(5).normal(size=(3, 4)).astype(np.float32)


def _equal(a, b) -> bool:
    if isinstance(a, SparseValue):
        return all(np.array_equal(x, y) for x, y in zip(a, b))
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


def test_mlp_converts_with_source_keys_and_bitwise_outputs(mlp_paths, mlp_v2):
    assert list(mlp_v2.signatures) == ["serving_default"]
    sig = mlp_v2.signature()
    assert list(sig.inputs) == ["x"] and set(sig.outputs) == {"probs", "logits"}
    assert sig.inputs["x"].shape == (None, 4) and sig.inputs["x"].dtype == "float32"
    assert len(mlp_v2.variables) == 4 and not mlp_v2.frozen
    out = mlp_v2(x=X)
    np.testing.assert_allclose(out["probs"].numpy(), mlp_reference(X), rtol=1e-5, atol=1e-6)
    with explorer.ModelSession(explorer.load(mlp_paths["saved_model"])) as s:
        assert np.array_equal(out["probs"].numpy(), s.run("probs:0", {"x:0": X}))
    with pytest.raises(explorer.errors.FeedError, match="missing: x"):
        mlp_v2()


@pytest.mark.parametrize("fmt", ["checkpoint_v1", "frozen_pbtxt"])
def test_other_formats_convert_from_tensor_names(mlp_paths, fmt):
    v2 = explorer.convert(mlp_paths[fmt], inputs=["x"], outputs=["probs:0"])
    sig = v2.signature("serving_default")
    assert list(sig.inputs) == ["x"] and list(sig.outputs) == ["probs"]
    assert sig.input_parts == {"x:0": ("x",)}  # V2Runner keys are V1Runner's: x:0
    assert len(v2.variables) == (0 if fmt.startswith("frozen") else 4)
    np.testing.assert_allclose(v2(x=X)["probs"].numpy(), mlp_reference(X), rtol=1e-5, atol=1e-6)


def test_freeze_folds_variables(mlp_paths, tmp_path):
    v2 = explorer.convert(mlp_paths["saved_model"], freeze=True)
    assert v2.frozen and v2.variables == []
    ops = {op.type for op in v2.functions["serving_default"].graph.get_operations()}
    assert "ReadVariableOp" not in ops
    np.testing.assert_allclose(v2(x=X)["probs"].numpy(), mlp_reference(X), rtol=1e-5, atol=1e-6)
    out = v2.save(tmp_path / "frozen")
    assert not list((out / "variables").glob("*.data-*")) or v2.summary(out)["variables"] == 0


def test_errors_name_the_fix(mlp_paths):
    with pytest.raises(
        explorer.errors.SignatureNotFoundError, match="'nope' is not in .*serving_default"
    ):
        explorer.convert(mlp_paths["saved_model"], signatures=["nope"])
    with pytest.raises(explorer.errors.TensorNotFoundError, match="'missing' is not an op of .*pb"):
        explorer.convert(mlp_paths["frozen_pb"], inputs=["x"], outputs=["missing"])
    with pytest.raises(explorer.errors.SignatureNotFoundError, match="either signatures or inputs"):
        explorer.convert(mlp_paths["saved_model"], signatures="serving_default", outputs=["y"])


def _sparse_model(tmp_path):
    """A SavedModel with a sparse input and a sparse output (coo_sparse TensorInfos)."""
    from explorer._tf import tf

    tf = tf()
    v1 = tf.compat.v1
    g = tf.Graph()
    with g.as_default():
        sp = v1.sparse_placeholder(tf.float32, [None, 3], name="sp")
        scale = v1.Variable(2.0, name="scale", use_resource=False)
        doubled = tf.SparseTensor(sp.indices, sp.values * scale, sp.dense_shape)
        total = tf.sparse.reduce_sum(doubled, axis=1, name="total")
        with v1.Session() as s:
            s.run(v1.global_variables_initializer())
            b = v1.saved_model.Builder(str(tmp_path / "sparse"))
            info = v1.saved_model.utils.build_tensor_info
            sig = v1.saved_model.signature_def_utils.build_signature_def(
                inputs={"sp": info(sp)},
                outputs={"doubled": info(doubled), "total": info(total)},
                method_name="tensorflow/serving/predict",
            )
            b.add_meta_graph_and_variables(s, ["serve"], {"serving_default": sig})
            b.save()
    return tmp_path / "sparse"


def test_sparse_inputs_and_outputs_round_trip(tmp_path):
    model = explorer.load(_sparse_model(tmp_path))
    v2 = explorer.convert(model)
    sig = v2.signature()
    assert list(sig.inputs) == ["sp_indices", "sp_values", "sp_dense_shape"]
    assert sig.output_parts["doubled"] == (
        "doubled_indices",
        "doubled_values",
        "doubled_dense_shape",
    )
    feeds = Feeds(
        {
            "sp": SparseValue(
                np.array([[0, 1], [2, 0]]), np.array([1.5, -1.0], np.float32), np.array([3, 3])
            )
        }
    )
    with V1Runner(model) as r1, V2Runner(v2) as r2, V2Runner(v2.save(tmp_path / "o")) as r3:
        a, b, c = r1.infer(feeds), r2.infer(feeds), r3.infer(feeds)
    assert isinstance(b["doubled"], SparseValue) and isinstance(c["doubled"], SparseValue)
    for k in a:
        assert _equal(a[k], b[k]) and _equal(a[k], c[k]), k
    np.testing.assert_array_equal(b["total"], [3.0, 0.0, -2.0])


@pytest.mark.slow
def test_counter_state_behaves_as_in_v1_across_save_and_fresh_load(tmp_path):
    model = explorer.load(shared_model("serving_counter"))
    with explorer.ModelSession(model) as s:
        s.run("reset_counter_op/Assign:0")
        s.run("incr_counter_op/AssignAdd:0")
        s.run("incr_counter_op/AssignAdd:0")
        v1_value = s.run("counter:0")
    v2 = explorer.convert(model)
    assert v2("reset_counter")["output"].numpy() == 0.0
    v2("incr_counter")
    assert v2("incr_counter")["output"].numpy() == 2.0
    assert v2("get_counter")["output"].numpy() == 2.0 == v1_value
    assert v2("incr_counter_by", delta=np.float32(0.5))["output"].numpy() == 2.5
    out = v2.save(tmp_path / "counter")
    code = f"""
        loaded = tf.saved_model.load({str(out)!r})
        s = loaded.signatures
        vals = [float(s["get_counter"]()["output"]), float(s["incr_counter"]()["output"]),
                float(s["reset_counter"]()["output"]), float(s["incr_counter"]()["output"]),
                float(s["incr_counter"]()["output"]), float(s["get_counter"]()["output"])]
        print(json.dumps(vals))
    """
    assert _fresh(code, tmp_path) == [2.5, 3.5, 0.0, 1.0, 2.0, 2.0]
    with pytest.raises(explorer.errors.ConversionError, match="'incr_counter' .*updates variables"):
        explorer.convert(model, signatures="incr_counter", freeze=True)


def _fresh(body: str, cwd) -> object:
    """Run ``body`` in a fresh ``python -I`` where explorer cannot be imported; its last stdout
    line is JSON."""
    code = "import sys; sys.modules['explorer'] = None\n"
    code += "import json, os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\n"
    code += "import numpy as np, tensorflow as tf\n"
    code += "try:\n    import explorer\n    raise SystemExit('explorer importable')\n"
    code += "except ImportError:\n    pass\n"
    code += textwrap.dedent(body)
    res = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_every_shared_model_converts_loads_fresh_and_matches_v1(tmp_path):
    """Each real model: convert, save, plain tf.saved_model.load in a fresh process, and every
    signature's outputs equal the v1 session's (bitwise) on the same feeds."""
    cases = []
    for shared in (m for m in MODELS if m.kind == "project"):
        name = shared.name
        model = explorer.load(shared.path)
        io = {} if model.signatures else {"inputs": [*shared.inputs], "outputs": [*shared.outputs]}
        v2 = explorer.convert(model, **io)
        out = v2.save(tmp_path / name)
        for sig_name, sig in v2.signatures.items():
            if name == "serving_counter":
                continue  # stateful: checked in its own test
            if model.signatures:
                r1 = V1Runner(model, signature=sig_name)
            else:
                r1 = V1Runner(model, **io)
            with r1, V2Runner(v2, signature=sig_name) as r2:
                feeds = r1.sample(batch=2, seed=7)
                feeds = Feeds({k: v for k, v in feeds.items() if k in r2.input_specs})
                want, got = r1.infer(feeds), r2.infer(feeds)
                ops = {k: [op_name(s.name)] for k, s in r1.output_specs.items() if s.name}
            assert set(want) == set(got), (name, sig_name)
            racy = racy_reads(model.graph_def, ops)  # a metric read with its update: open in TF1
            for k in want:
                assert k in racy or _equal(want[k], got[k]), (name, sig_name, k)
            # flat TF2 feeds and expected outputs for the fresh process
            flat = {}
            for key, value in feeds.items():
                parts = sig.input_parts.get(key, (key,))
                flat.update(zip(parts, value) if len(parts) > 1 else [(parts[0], value)])
            case = tmp_path / f"{name}-{len(cases)}"
            np.savez(f"{case}-in.npz", **{f"a{i}": flat[k] for i, k in enumerate(sig.inputs)})
            exp = {}
            for key, value in want.items():
                parts = sig.output_parts[key]
                exp.update(zip(parts, value) if len(parts) > 1 else [(parts[0], value)])
            skip = {p for k in racy for p in sig.output_parts[k]}
            cases.append((str(out), sig_name, list(sig.inputs), str(case), exp, skip))
    code = f"""
        cases = {[c[:4] for c in cases]!r}
        done = []
        for folder, sig, keys, case in cases:
            fn = tf.saved_model.load(folder).signatures[sig]
            with np.load(case + "-in.npz", allow_pickle=True) as z:  # our own temporary files
                feeds = {{k: tf.constant(z[f"a{{i}}"]) for i, k in enumerate(keys)}}
            out = {{k: v.numpy() for k, v in fn(**feeds).items()}}
            np.savez(case + "-out.npz", **{{f"o{{i}}": out[k] for i, k in enumerate(sorted(out))}})
            done.append(sorted(out))
        print(json.dumps(done))
    """
    done = _fresh(code, tmp_path)
    assert len(done) == len(cases) >= 20
    for (folder, sig_name, _, case, exp, skip), keys in zip(cases, done):
        assert keys == sorted(exp), (folder, sig_name)
        with np.load(f"{case}-out.npz", allow_pickle=True) as z:
            for i, k in enumerate(keys):
                if k in skip:
                    continue  # racy in TF1 itself (see above)
                got, want = z[f"o{i}"], np.asarray(exp[k])
                if want.dtype == object:
                    want = want.astype(bytes)
                    got = got.astype(bytes)
                assert got.shape == want.shape and np.array_equal(got, want), (folder, k)
