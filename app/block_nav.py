"""Editing inside blocks: the canvas shows a block definition's inner graph, one level per
opened instance, with a breadcrumb ("resnet18 › layer2 › BasicBlock") to go back.

Each level keeps its own scene and view (zoom, selection and scroll survive a visit inside);
every level's edits go through the one document and its one undo stack. An undo or redo
that takes an opened instance or its definition away closes the levels below it.
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
    """The stack of open levels. `window` makes canvases (make_canvas(graph) -> scene,
    view) and shows the current one (show_level(level)); `blocks` answers what a node
    opens to (opens(graph, node_id) -> (label, definition, inner graph) or None)."""

    changed = Signal()

    def __init__(self, window, breadcrumb: Breadcrumb) -> None:
        super().__init__(window)
        self.window = window
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
            self._drop(level)
        self.levels = [Level(label, scene, view)]
        self._update()

    def open(self, node_id: str) -> bool:
        """Show the inner graph of the block instance `node_id` of the current level."""
        found = self.window.blocks.opens(self.current.scene.graph, node_id)
        if found is None:
            return False
        label, definition, inner = found
        scene, view = self.window.make_canvas(inner)
        self.current.view.hide()
        self.levels.append(Level(label, scene, view, node_id, definition))
        self._update()
        return True

    def go_to(self, depth: int) -> None:
        """Back to level `depth` (0: the top), closing the levels below it."""
        if depth < 0 or depth >= self.depth:
            return
        while self.depth > depth:
            self._drop(self.levels.pop())
        self.current.view.show()
        self._update()

    def up(self) -> bool:
        if self.depth == 0:
            return False
        self.go_to(self.depth - 1)
        return True

    def check(self) -> None:
        """After an undo or redo: close the levels whose instance or definition is gone."""
        for depth in range(1, len(self.levels)):
            level, parent = self.levels[depth], self.levels[depth - 1]
            found = self.window.blocks.opens(parent.scene.graph, level.node_id)
            if found is None or found[2] is not level.scene.graph:
                self.go_to(depth - 1)
                return
            if found[:2] != (level.label, level.definition):
                level.label, level.definition = found[:2]
                self._update()

    def _drop(self, level: Level) -> None:
        level.scene.detach()
        level.view.hide()
        level.view.deleteLater()

    def _update(self) -> None:
        self.breadcrumb.set_path([level.label for level in self.levels],
                                 self.current.definition)
        self.window.show_level(self.current)
        self.changed.emit()
