"""The scan rule ``load-note``: what loading repaired in memory (:attr:`V1Model.notes`: a
collection naming no node, a signature dtype that contradicts its placeholder), as info."""

from __future__ import annotations

from collections.abc import Iterator

from explorer.inspection.findings import Finding, NodeRef, ScanContext, rule


@rule(name="load-note")
def _load_notes(ctx: ScanContext, refs: list[NodeRef]) -> Iterator[Finding]:
    for note in ctx.model.notes:
        yield Finding("load-note", "info", (), note)
