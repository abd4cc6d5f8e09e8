"""Selection and PickerState: the choice of tensors, without any front end."""

from __future__ import annotations

from explorer.widgets import Selection


def test_selection_kwargs():
    assert Selection().kwargs() == {}
    assert Selection("serving_default").code_args() == "signature='serving_default'"
    sel = Selection(inputs=("x:0",), outputs=("probs:0",))
    assert sel.kwargs() == {"inputs": ["x:0"], "outputs": ["probs:0"]}
