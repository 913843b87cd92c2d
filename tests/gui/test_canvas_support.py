"""Shared helpers for the canvas tests: a real scene + view, and mouse gestures on it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from netcanvas.app.node_kinds import node_kinds
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import Project
from netcanvas.backend.shapes import analyze
from netcanvas.graph_editor import EditDocument, GraphScene, GraphView
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtTest import QTest


@dataclass
class Editor:
    graph: Graph
    stack: QUndoStack
    scene: GraphScene
    view: GraphView

    def analyze(self) -> None:
        self.scene.set_analysis(analyze(self.graph))

    def at(self, scene_point) -> QPoint:
        """Viewport position of a scene point."""
        return self.view.mapFromScene(scene_point)

    def port_at(self, node, port: str, output: bool) -> QPoint:
        return self.at(self.scene.node_item(node.id).port(port, output).anchor())

    def node_at(self, node) -> QPoint:
        """A point on the card body (below the header, away from ports)."""
        item = self.scene.node_item(node.id)
        return self.at(item.mapToScene(item.width / 2, 12))

    def drag(self, a: QPoint, b: QPoint, button=Qt.LeftButton, steps: int = 6) -> None:
        vp = self.view.viewport()
        QTest.mousePress(vp, button, Qt.NoModifier, a)
        for i in range(1, steps + 1):
            QTest.mouseMove(vp, a + (b - a) * (i / steps))
        QTest.mouseRelease(vp, button, Qt.NoModifier, b)

    def click(self, p: QPoint, modifier=Qt.NoModifier) -> None:
        QTest.mouseClick(self.view.viewport(), Qt.LeftButton, modifier, p)


def make_editor(qtbot, graph: Graph | Project | None = None) -> Editor:
    """An editor of `graph`, or of a whole project (one with blocks)."""
    project = graph if isinstance(graph, Project) else Project(
        graph=graph if graph is not None else Graph())
    graph = project.graph
    document = EditDocument(project)
    stack = document.undo_stack
    scene = GraphScene(document, kinds=node_kinds())
    document.setParent(scene)
    view = GraphView(scene)  # owns the scene: Qt deletes view, scene and stack together,
    # not a garbage-collection pass at some random later moment (the view is in reference
    # cycles, and qtbot holds widgets weakly: collected inside a paint, it crashed). This
    # closure keeps it until teardown, when Qt deletes it.
    qtbot.addWidget(view, before_close_func=lambda _: view.deleteLater())
    view.resize(1200, 800)
    view.show()
    qtbot.waitExposed(view)
    view.centerOn(500, 300)
    return Editor(graph, stack, scene, view)


def chain(graph: Graph, *type_ids: str, x0: float = 0.0, dx: float = 260.0):
    """Nodes laid out left to right and wired in a chain."""
    nodes = [graph.add(t, position=(x0 + i * dx, 100.0)) for i, t in enumerate(type_ids)]
    for a, b in itertools.pairwise(nodes):
        graph.connect(a, b)
    return nodes
