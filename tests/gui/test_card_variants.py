"""A card says what its params make of a layer: a grouped or depthwise convolution reads as
such on the canvas ("Conv2d · depthwise 3×3", "Conv2d · groups 4"), and follows the edits."""

from __future__ import annotations

from netcanvas.backend.graph import Graph
from test_canvas_support import make_editor


def test_grouped_and_depthwise_convolutions_are_named_on_their_cards(qtbot):
    g = Graph()
    x = g.add("input", shape=(8, 16, 16), position=(0, 100))
    depthwise = g.add("conv2d", position=(260, 100), out_channels=8, groups=8, kernel_size=(3, 3))
    grouped = g.add("conv2d", position=(520, 100), out_channels=16, groups=4,
                    kernel_size=(1, 1))
    plain = g.add("conv2d", position=(780, 100), out_channels=16)
    for a, b in ((x, depthwise), (depthwise, grouped), (grouped, plain)):
        g.connect(a, b)
    ed = make_editor(qtbot, g)
    ed.analyze()
    titles = [ed.scene.node_item(n.id).title for n in (depthwise, grouped, plain)]
    assert titles == ["Conv2d · depthwise 3×3", "Conv2d · groups 4", "Conv2d"]
    ed.view.resize(1100, 320)
    ed.view.centerOn(ed.scene.node_item(grouped.id))
    ed.view.grab().save("/tmp/card_variants.png")
    # one group per input channel no longer: the card says groups, then plain
    ed.graph.set_param(depthwise.id, "groups", 2)
    ed.analyze()
    assert ed.scene.node_item(depthwise.id).title == "Conv2d · groups 2"
    ed.graph.set_param(depthwise.id, "groups", 1)
    ed.analyze()
    assert ed.scene.node_item(depthwise.id).title == "Conv2d"
