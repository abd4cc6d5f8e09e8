"""The catalog a browsing state works on: of a model, a catalog, or a path (no ipywidgets)."""

from __future__ import annotations

import os

from explorer.inspection.catalog import Catalog
from explorer.loading.model import V1Model, as_model


def model_and_catalog(
    source: V1Model | Catalog | str | os.PathLike[str],
) -> tuple[V1Model | None, Catalog]:
    """(model or None, catalog) from a V1Model, a Catalog, or a path to load."""
    if isinstance(source, Catalog):
        return None, source
    model = as_model(source)
    return model, Catalog.from_model(model)
