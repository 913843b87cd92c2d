"""The document as the editor sees it: one project, its one undo stack, and the one front
door every edit goes through (canvas gestures, the inspector, the Data and Settings forms).

`push` applies an edit as one undo step or raises the typed error that refused it, leaving
the document and the stack as they were; `offer` does the same for a gesture and returns the
reason instead (also emitted as `edit_refused`).
"""

from __future__ import annotations

from netcanvas.backend.blocks.edits import EditBlock
from netcanvas.backend.graph import Edit, Graph, GraphError, ParamError
from netcanvas.backend.project import Project
from netcanvas.graph_editor.commands import EditCommand
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

REFUSALS = (GraphError, ParamError)  # what a refused edit raises; anything else is a bug


class EditDocument(QObject):
    edit_refused = Signal(str)  # why an offered edit was refused, for the status bar

    def __init__(self, project: Project | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project if project is not None else Project()
        self.undo_stack = QUndoStack(self)

    @property
    def graph(self) -> Graph:
        return self.project.graph

    def push(self, edit: Edit, gesture: str | None = None, graph: Graph | None = None) -> None:
        """Apply `edit` as one undo step (settings edits apply to the project, the rest to
        `graph`: the top-level graph by default, or a block definition's inner graph that
        the canvas has open, as an EditBlock of the top level). `gesture` names a
        continuous gesture whose moves merge into one step."""
        if graph is not None and graph.owner is not None:  # inside a block definition
            edit = EditBlock(graph.owner, edit)
        target = self.project if edit.target == "project" else self.graph
        edit.apply(target)
        self.undo_stack.push(EditCommand(target, edit, applied=True, gesture=gesture))

    def offer(self, edit: Edit, gesture: str | None = None,
              graph: Graph | None = None) -> str | None:
        """`push`, returning None or the reason the document refused the edit."""
        try:
            self.push(edit, gesture, graph)
        except REFUSALS as exc:
            self.edit_refused.emit(str(exc))
            return str(exc)
        return None
