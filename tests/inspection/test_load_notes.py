"""The scan rule load-note: what loading repaired, as info findings."""

from __future__ import annotations

import explorer
from tests.model_builders.load_repairs import meta_with_python_collections, string_input_saved_model


def test_scan_names_the_dropped_collection_as_info(tmp_path):
    meta = meta_with_python_collections(tmp_path)
    findings = explorer.scan(meta)
    hits = [f for f in findings if "collection" in f.message and "trainops" in f.message]
    assert hits and all(f.severity == "info" for f in hits)


def test_scan_names_the_signature_dtype_it_took_from_the_placeholder(tmp_path):
    findings = explorer.scan(string_input_saved_model(tmp_path))
    (hit,) = findings.by_rule("load-note")
    assert hit.severity == "info" and "placeholder is string" in hit.message
