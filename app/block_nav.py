"""Editing inside blocks: the canvas shows a block definition's inner graph, one level per
opened instance, with a breadcrumb ("resnet18 › layer2 › BasicBlock") to go back.

Each level keeps its own scene and view (zoom, selection and scroll survive a visit inside);
every level's edits go through the one document and its one undo stack. An undo or redo
that takes an opened instance or its definition away closes the levels below it; one that
makes its definition anew shows the new one in the same level.
"""

from __future__ import annotations

from dataclasses import dataclass

from netcanvas.graph_editor.scene import GraphScene
from netcanvas.graph_editor.view import GraphView
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

SEPARATOR = "›"


class Breadcrumb(QWidget):
    """The path of opened blocks above the canvas; clicking a level goes back to it."""

    level_chosen = Signal(int)  # depth: 0 is the project's top level

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("breadcrumb")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 8, 2)
        layout.setSpacing(4)
        self.labels: list[str] = []
        self.buttons: list[QToolButton] = []  # the levels one can go back to, top first

    def set_path(self, labels: list[str], tail: str = "") -> None:
        """`labels`: the top level, then each opened instance; `tail`: the definition
        being edited, shown last and bold ("resnet18 › layer2 › BasicBlock")."""
        labels = list(labels) + ([tail] if tail else [])
        self.labels, self.buttons = labels, []
        layout = self.layout()
        while layout.count():
            widget = layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        for depth, text in enumerate(labels):
            if depth:
                layout.addWidget(QLabel(SEPARATOR))
            if depth >= len(labels) - (2 if tail else 1):
                here = QLabel(text, margin=3)
                font = QFont(here.font())
                font.setBold(depth == len(labels) - 1)
                here.setFont(font)
                layout.addWidget(here)
            else:
                button = QToolButton(text=text, autoRaise=True)
                button.setToolTip(f"Back to {text} (Esc goes up one level)")
                button.setCursor(Qt.PointingHandCursor)
                button.clicked.connect(lambda _=False, d=depth: self.level_chosen.emit(d))
                self.buttons.append(button)
                layout.addWidget(button)
        layout.addStretch()
        self.setVisible(len(labels) > 1)


@dataclass
class Level:
    label: str
    scene: GraphScene
    view: GraphView
    node_id: str | None = None  # the instance opened in the level above (None at the top)
    definition: str = ""  # the definition the instance showed when opened


class BlockNavigator(QObject):
    """The stack of open levels. `make_canvas(graph) -> (scene, view)` makes a level's
    canvas, `show_level(level)` shows the current one, and `opens(graph, node_id) -> (label,
    definition, inner graph) or None` answers what a node opens to."""

    changed = Signal()

    def __init__(self, parent: QObject, breadcrumb: Breadcrumb, *, make_canvas, show_level,
                 opens) -> None:
        super().__init__(parent)
        self.make_canvas, self.show_level, self.opens = make_canvas, show_level, opens
        self.breadcrumb = breadcrumb
        self.levels: list[Level] = []
        breadcrumb.level_chosen.connect(self.go_to)

    @property
    def depth(self) -> int:
        return len(self.levels) - 1

    @property
    def current(self) -> Level:
        return self.levels[-1]

    def path(self) -> list[str]:
        """The opened instances' node ids, outermost first."""
        return [level.node_id for level in self.levels[1:]]

    def reset(self, label: str, scene: GraphScene, view: GraphView) -> None:
        """A new document: only its top level, whose scene and view the window made."""
        for level in self.levels[1:]:
            self._drop(level.scene, level.view)
        self.levels = [Level(label, scene, view)]
        self._update()

    def open(self, node_id: str) -> bool:
        """Show the inner graph of the block instance `node_id` of the current level."""
        found = self.opens(self.current.scene.graph, node_id)
        if found is None:
            return False
        label, definition, inner = found
        scene, view = self.make_canvas(inner)
        self.current.view.hide()
        self.levels.append(Level(label, scene, view, node_id, definition))
        self._update()
        return True

    def go_to(self, depth: int) -> None:
        """Back to level `depth` (0: the top), closing the levels below it."""
        if depth < 0 or depth >= self.depth:
            return
        while self.depth > depth:
            level = self.levels.pop()
            self._drop(level.scene, level.view)
        self.current.view.show()
        self._update()

    def up(self) -> bool:
        if self.depth == 0:
            return False
        self.go_to(self.depth - 1)
        return True

    def check(self) -> None:
        """After an edit, undo or redo: close the levels whose instance or definition is gone;
        a level whose definition was made anew (redoing a Group or a drop from the library
        builds a fresh inner graph) or that now runs another definition (undoing Make
        Unique) shows the project's current one, at the same zoom and scroll."""
        changed = False
        for depth in range(1, len(self.levels)):
            level, parent = self.levels[depth], self.levels[depth - 1]
            found = self.opens(parent.scene.graph, level.node_id)
            if found is None:
                self.go_to(depth - 1)
                return
            label, definition, inner = found
            if inner is not level.scene.graph:
                self._rebind(level, inner, shown=depth == self.depth)
                changed = True
            if (label, definition) != (level.label, level.definition):
                level.label, level.definition = label, definition
                changed = True
        if changed:
            self._update()

    def _rebind(self, level: Level, graph, shown: bool) -> None:
        """Give `level` a canvas of `graph` in place of its stale one."""
        old, old_scene = level.view, level.scene
        level.scene, level.view = self.make_canvas(graph)
        level.view.setProperty("framed", True)  # where the user was, not framed anew
        level.view.setTransform(old.transform())
        level.view.centerOn(old.mapToScene(old.viewport().rect().center()))
        if not shown:
            level.view.hide()
        self._drop(old_scene, old)

    @staticmethod
    def _drop(scene: GraphScene, view: GraphView) -> None:
        scene.detach()
        view.hide()
        view.deleteLater()

    def _update(self) -> None:
        self.breadcrumb.set_path([level.label for level in self.levels],
                                 self.current.definition)
        self.show_level(self.current)
        self.changed.emit()
