"""The quick-fix menu: for a node, the fixes of its error and lint findings and a way to
silence each finding (backend/doctor). A chosen fix is pushed on the document's undo stack
as one ordinary edit. Offered on the canvas's right-click menu, on a Problems row and with
Ctrl+. on the selected node."""

from __future__ import annotations

from netcanvas.app.new_task import new_task_fixes
from netcanvas.backend.doctor import Fix, fixes_for
from netcanvas.backend.graph import AddNodes, GraphError
from netcanvas.backend.registry import ParamError
from PySide6.QtCore import QObject, QPoint
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QMenu, QWidget


class QuickFixes(QObject):
    """Fixes for the nodes of `document` (set_document), placed on the canvas shown
    (set_canvas); `show_message(text, ms)` is the status bar's."""

    def __init__(self, parent: QWidget, show_message) -> None:
        super().__init__(parent)
        self.show_message = show_message
        self.document = None
        self.scene = self.view = None
        self.menu: QMenu | None = None  # the last one shown

    def set_document(self, document) -> None:
        self.document = document

    def set_canvas(self, scene, view) -> None:
        self.scene, self.view = scene, view

    def fixes(self, node_id: str) -> tuple[list[Fix], list[Fix]]:
        doc = self.document
        return fixes_for(doc.project, node_id, doc.findings, doc.analysis, doc.data_facts)

    def build_menu(self, node_id: str) -> QMenu:
        menu = QMenu(self.parent())
        node = self.document.graph.nodes[node_id]
        menu.setTitle(f"Quick fixes for '{node.name}'")
        repairs, silences = self.fixes(node_id)
        for fix in repairs:
            menu.addAction(fix.title, lambda f=fix: self.apply(f))
        if repairs and silences:
            menu.addSeparator()
        for fix in silences:
            menu.addAction(fix.title, lambda f=fix: self.apply(f))
        tasks = new_task_fixes(self.document, node_id)
        if tasks and (repairs or silences):
            menu.addSeparator()
        for fix in tasks:
            menu.addAction(fix.title, lambda f=fix: self.apply(f))
        if not repairs and not silences and not tasks:
            menu.addAction("No quick fixes for this node").setEnabled(False)
        return menu

    def popup(self, node_id: str, at: QPoint | None = None) -> QMenu | None:
        if node_id not in self.document.graph.nodes:
            return None
        if self.menu is not None:
            self.menu.deleteLater()
        self.menu = self.build_menu(node_id)
        self.menu.popup(at if at is not None else QCursor.pos())
        return self.menu

    def popup_for_selection(self) -> QMenu | None:
        """Ctrl+.: the menu under the first selected node (or the first node with a problem)."""
        scene, view, doc = self.scene, self.view, self.document
        ids = scene.selected_node_ids()
        if not ids:
            ids = [p.node_id for p in doc.analysis.problems if p.node_id] + \
                  [f.node_id for f in doc.findings]
        if not ids:
            self.show_message("Nothing to fix: no node has a problem", 4000)
            return None
        item = scene.node_item(ids[0])
        corner = item.mapToScene(item.card_rect().bottomLeft())
        return self.popup(ids[0], view.viewport().mapToGlobal(view.mapFromScene(corner)))

    def apply(self, fix: Fix) -> None:
        doc = self.document
        try:
            edit = fix.edit(doc.graph)
            if self.scene.graph is doc.graph:  # the canvas shows where they go
                self.scene.land_in_free_space(
                    [n for e in edit.edits if isinstance(e, AddNodes) for n in e.nodes])
            doc.push(edit)
        except (GraphError, ParamError) as exc:
            self.show_message(f"{fix.title}: {exc}", 6000)
            return
        self.show_message(fix.title, 3000)
