"""The layer palette: search, double-click and a real drag-and-drop onto the canvas."""

from __future__ import annotations

import pytest
from netcanvas.app.palette import LAYER_MIME
from netcanvas.backend.registry import REGISTRY
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from test_app_support import *  # fixtures: window, isolated


def test_search_filters_as_you_type(window, qtbot):
    palette = window.palette_panel
    assert set(palette.visible_type_ids()) == set(REGISTRY)
    qtbot.keyClicks(palette.search, "conv")
    visible = palette.visible_type_ids()
    assert "conv2d" in visible and "conv1d" in visible
    assert "linear" not in visible and "relu" not in visible
    palette.search.clear()
    qtbot.keyClicks(palette.search, "norm 2d")  # every word must match
    assert palette.visible_type_ids() == ["batch_norm2d"]
    palette.search.clear()
    assert set(palette.visible_type_ids()) == set(REGISTRY)


def test_double_click_adds_the_layer_at_the_view_centre_in_free_space(window, qtbot):
    palette, graph = window.palette_panel, window.document.graph
    item = palette.item_for("dropout")
    palette.tree.scrollToItem(item)
    rect = palette.tree.visualItemRect(item)
    qtbot.mouseClick(palette.tree.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(palette.tree.viewport(), Qt.LeftButton, pos=rect.center())
    added = [n for n in graph.nodes.values() if n.type_id == "dropout"]
    assert len(added) == 1
    centre = window.view.mapToScene(window.view.viewport().rect().center())
    card = window.scene.node_item(added[0].id).sceneBoundingRect()
    others = [i.sceneBoundingRect() for nid, i in window.scene.node_items().items()
              if nid != added[0].id]
    if not any(r.contains(centre) for r in others):
        assert card.contains(centre)
    assert not any(card.intersects(r) for r in others)  # never on top of another card
    assert (card.center() - centre).manhattanLength() < 400
    assert window.scene.selected_node_ids() == [added[0].id]


def test_enter_in_search_adds_the_first_match(window, qtbot):
    qtbot.keyClicks(window.palette_panel.search, "gelu")
    qtbot.keyClick(window.palette_panel.search, Qt.Key_Return)
    assert [n.type_id for n in window.document.graph.nodes.values()].count("gelu") == 1


@pytest.mark.filterwarnings("ignore:Function.*QDrag.*deprecated:DeprecationWarning")
def test_drop_from_the_palette_creates_a_node_at_the_drop_point(window, qtbot):
    palette, view = window.palette_panel, window.view
    mime = palette.tree.mimeData([palette.item_for("batch_norm1d")])
    assert bytes(mime.data(LAYER_MIME)).decode() == "batch_norm1d"
    drop_at = QPoint(200, 150)
    enter = QDragEnterEvent(drop_at, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(view.viewport(), enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(drop_at, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(view.viewport(), move)
    drop = QDropEvent(QPointF(drop_at), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(view.viewport(), drop)
    nodes = [n for n in window.document.graph.nodes.values() if n.type_id == "batch_norm1d"]
    assert len(nodes) == 1
    card = window.scene.node_item(nodes[0].id).sceneBoundingRect()
    assert card.contains(view.mapToScene(drop_at))
    window.document.undo_stack.undo()
    assert not any(n.type_id == "batch_norm1d" for n in window.document.graph.nodes.values())
