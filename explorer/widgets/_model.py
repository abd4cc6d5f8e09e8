"""The model a state object works on: a V1Model as given, or loaded from a path (no ipywidgets)."""

from __future__ import annotations

from typing import Any


def load_model(model: Any) -> Any:
    """``model`` if it is a V1Model, else ``explorer.load(model)``."""
    from explorer.loading.model import V1Model, load

    return model if isinstance(model, V1Model) else load(model)


def model_and_catalog(source: Any) -> tuple[Any, Any]:
    """(model or None, catalog) from a V1Model, a Catalog, or a path to load."""
    from explorer.inspection.catalog import Catalog

    if isinstance(source, Catalog):
        return None, source
    if not hasattr(source, "catalog"):
        from explorer.loading.model import load

        source = load(source)
    return source, source.catalog()
