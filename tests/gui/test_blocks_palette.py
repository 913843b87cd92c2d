"""The palette's Blocks section: library blocks dropped into a project copy their
definitions in (one undo step); a block saved to the user's library appears there."""

from __future__ import annotations

import json

import pytest
from netcanvas.app import files
from netcanvas.backend.graph import BLOCK
from netcanvas.graph_editor import BLOCK_MIME
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from test_app_support import *  # fixtures: window, isolated

_DRAGGED = []  # a drag's data lives until the app is done with it


def _drop(view, mime, at: QPoint) -> None:
    _DRAGGED.append(mime)
    port = view.viewport()
    enter = QDragEnterEvent(at, Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(port, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(port, QDragMoveEvent(at, Qt.CopyAction, mime, Qt.LeftButton,
                                                Qt.NoModifier))
    QApplication.sendEvent(port, QDropEvent(QPointF(at), Qt.CopyAction, mime, Qt.LeftButton,
                                            Qt.NoModifier))


@pytest.mark.filterwarnings("ignore:Function.*QDrag.*deprecated:DeprecationWarning")
def test_dropping_a_library_block_copies_its_definitions_in(window, qtbot):
    palette, project = window.palette_panel, window.document.project
    item = palette.block_item("VGGBlock")
    assert item.parent().text(0) == "Blocks"
    mime = palette.tree.mimeData([item])
    assert json.loads(bytes(mime.data(BLOCK_MIME)).decode())["name"] == "VGGBlock"
    _drop(window.view, mime, QPoint(300, 400))
    (node,) = [n for n in project.graph.nodes.values() if n.type_id == BLOCK]
    assert node.params["block"] == "VGGBlock"
    assert {"VGGBlock", "ConvReLU"} <= set(project.blocks)  # with the block inside it
    card = window.scene.node_item(node.id).sceneBoundingRect()
    assert card.contains(window.view.mapToScene(QPoint(300, 400)))
    window.navigator.open(node.id)  # it opens like any block
    assert window.breadcrumb.labels[-1] == "VGGBlock"
    window.navigator.up()
    window.document.undo_stack.undo()
    assert not project.blocks and node.id not in project.graph.nodes


def test_palette_search_finds_blocks(window, qtbot):
    palette = window.palette_panel
    qtbot.keyClicks(palette.search, "resnet")  # in the descriptions
    assert not palette.block_item("BasicBlock").isHidden()
    assert palette.block_item("VGGBlock").isHidden()


def test_save_block_to_the_user_library(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("NETCANVAS_DATA_DIR", str(tmp_path / "data"))
    graph = window.document.graph
    window.scene.select_nodes([graph.by_name("fc1").id, graph.by_name("act").id])
    window.actions.group.trigger()
    window.actions.save_block.trigger()
    saved = json.loads((tmp_path / "data" / "blocks.json").read_text())
    assert list(saved["blocks"]) == ["Block"]
    item = window.palette_panel.block_item("Block")
    assert "your library" in item.toolTip(0)
    monkeypatch.setattr(files, "ask_save_changes", lambda *args: "discard")
    window.actions.new.trigger()  # another project gets it from the palette
    window.palette_panel.block_activated.emit(item.data(0, Qt.UserRole + 2))
    assert "Block" in window.document.project.blocks
