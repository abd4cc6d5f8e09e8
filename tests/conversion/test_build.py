"""The converter's building half and the init-op choice it shares with the v1 session."""

from __future__ import annotations


def test_the_result_types_sit_apart_from_the_entry_point():
    import explorer
    from explorer.conversion import build as converter_build
    from explorer.conversion import converter, v2_model

    assert explorer.convert is converter.convert and explorer.V2Model is v2_model.V2Model
    assert v2_model.ConvertedSignature is converter_build.ConvertedSignature
    assert not hasattr(converter, "Builder") and hasattr(converter_build, "Builder")
