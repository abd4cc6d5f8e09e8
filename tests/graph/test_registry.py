"""explorer.graph.registry: the one mechanism every per-op registry uses."""

from __future__ import annotations

import pytest

from explorer.graph.registry import Entry, OpRegistry


def test_register_lookup_and_listing():
    reg: OpRegistry = OpRegistry("widget rule")

    @reg.register("A", "B", flavour="x")
    def _ab(node):
        return "ab"

    @reg.register("C")
    def _c(node):
        return "c"

    assert reg["A"] is _ab and reg["B"] is _ab and reg["C"] is _c
    assert reg.get("D") is None and reg.get("D", _c) is _c and "A" in reg and "D" not in reg
    assert set(reg) == {"A", "B", "C"} and len(reg) == 3
    assert reg.entries() == [
        Entry("A,B", frozenset({"A", "B"}), _ab, {"flavour": "x"}),
        Entry("C", frozenset({"C"}), _c, {}),
    ]
    assert reg.entry("A,B").meta["flavour"] == "x"
    assert dict(reg.by_name) == {"A,B": _ab, "C": _c}
    assert [e.name for e in reg.matching("B")] == ["A,B"] and reg.matching("D") == []
    with pytest.raises(KeyError):
        reg["D"]


def test_duplicates_are_refused_and_leave_the_registry_unchanged():
    reg: OpRegistry = OpRegistry("widget rule")
    reg.add(len, "A", "B")
    with pytest.raises(ValueError, match=r"op type B already has a widget rule \('A,B'\)"):
        reg.add(str, "B", "C")
    assert "C" not in reg and reg["B"] is len
    with pytest.raises(ValueError, match="widget rule 'A,B' is already registered"):
        reg.add(str, "Z", name="A,B")
    with pytest.raises(ValueError, match="a widget rule needs at least one op type"):
        reg.add(str)


def test_unregister_frees_the_op_types():
    reg: OpRegistry = OpRegistry("widget rule")
    reg.add(len, "A", "B", name="first")
    assert reg.unregister("first").value is len
    assert len(reg) == 0 and reg.entries() == []
    reg.add(str, "B")
    assert reg["B"] is str
    with pytest.raises(KeyError, match="no widget rule named 'first'"):
        reg.unregister("first")


def test_many_entries_per_op_and_catch_all():
    reg: OpRegistry = OpRegistry("check", many=True)
    reg.add(len, "A", name="one")
    reg.add(str, "A", "B", name="two")
    reg.add(repr, name="everything")
    assert [e.name for e in reg.matching("A")] == ["one", "two", "everything"]
    assert [e.name for e in reg.matching("Z")] == ["everything"]
    assert set(reg) == {"A", "B"}
    with pytest.raises(TypeError, match=r"use \.matching\('A'\)"):
        reg["A"]
    reg.unregister("one")
    assert [e.name for e in reg.matching("A")] == ["two", "everything"]


def test_every_per_op_registry_is_an_op_registry():
    from explorer.conversion import rewrite
    from explorer.feeding import sampling as tf_example
    from explorer.feeding import shape_inference as index_bounds
    from explorer.graph import op_families
    from explorer.inspection import gate
    from explorer.loading import replacements as replace

    registries = [
        (rewrite.REWRITES, rewrite.rewrites),
        (tf_example.SAMPLE_RULES, tf_example.sample_rule),
        (index_bounds.INDEX_RULES, index_bounds.index_rule),
        (replace.BUILTIN_REPLACEMENTS, replace.builtin_replacement),
    ]
    for reg, deco in registries:
        assert isinstance(reg, OpRegistry) and not reg.many
        assert deco == reg.register  # the module's decorator is the registry's
        assert all(reg[t] is e.value for e in reg.entries() for t in e.op_types)
    assert isinstance(gate.RULES, OpRegistry) and gate.RULES.many
    assert {"unregistered-op", "device-pin"} <= {e.name for e in gate.RULES.matching("MatMul")}
    assert isinstance(op_families.SAVE_OPS, frozenset)  # op families: plain constants
