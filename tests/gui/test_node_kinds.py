"""The editor's node kinds: built by the app from the registry, one search rule for the
palette and the quick-add popup, and the layer aliases it matches."""

from __future__ import annotations

from netcanvas.app.node_kinds import CATEGORY_HUES, node_kinds
from netcanvas.app.palette import PalettePanel
from netcanvas.backend.registry import CATEGORIES, REGISTRY


def test_every_layer_has_a_kind_in_palette_order():
    kinds = node_kinds()
    assert set(kinds) == set(REGISTRY)
    order = [CATEGORIES.index(k.category) for k in kinds.values()]
    assert order == sorted(order)
    linear = kinds["linear"]
    assert (linear.title, linear.key_params, linear.hue) == (
        REGISTRY["linear"].title, REGISTRY["linear"].key_params, CATEGORY_HUES["Dense"])


def test_aliases_find_their_layers_in_quick_add_and_palette(qtbot):
    kinds = node_kinds()
    assert kinds.search("fc")[0] == "linear" and "linear" in kinds.search("dense")
    assert set(kinds.search("bn")) == {"batch_norm1d", "batch_norm2d"}
    assert kinds.search("deconv") == ["conv_transpose2d"] == kinds.search("upconv")
    assert {"max_pool2d", "avg_pool2d", "global_avg_pool2d"} <= set(kinds.search("pool"))
    palette = PalettePanel()
    qtbot.addWidget(palette)
    for query in ("fc", "bn", "upconv", "pool", "conv 2d", ""):
        palette.filter(query)
        assert sorted(palette.visible_type_ids()) == sorted(kinds.search(query)), query
