"""QUndoCommand wrapper around the backend's Qt-free edits.

The edits already know how to apply and revert themselves; a command only calls them, and
merges consecutive parameter edits (a spin box) and consecutive moves of the same nodes
that belong to one gesture (arrow-key nudges) into one undo step.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from ..backend.graph import Edit, Graph, MoveNodes, SetParam

_MOVE_ID, _PARAM_ID = 1, 2


class EditCommand(QUndoCommand):
    """redo() = edit.apply, undo() = edit.revert.

    `applied=True` says the caller already applied the edit (so it could catch a refusal
    before pushing); the first redo(), which QUndoStack.push calls, is then skipped.
    `gesture` names a continuous gesture: moves merge only when both carry the same one.
    """

    def __init__(self, graph: Graph, edit: Edit, text: str | None = None, *,
                 applied: bool = False, gesture: str | None = None) -> None:
        super().__init__(text or edit.text)
        self.graph = graph
        self.edit = edit
        self.gesture = gesture
        self._skip_redo = applied

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self.edit.apply(self.graph)

    def undo(self) -> None:
        self.edit.revert(self.graph)

    def id(self) -> int:
        if isinstance(self.edit, MoveNodes) and self.gesture is not None:
            return _MOVE_ID
        if isinstance(self.edit, SetParam):
            return _PARAM_ID
        return -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        mine, theirs = self.edit, getattr(other, "edit", None)
        if isinstance(mine, SetParam) and isinstance(theirs, SetParam):
            if (mine.node_id, mine.name) != (theirs.node_id, theirs.name):
                return False
            mine.value = theirs.value  # keep our `old`: undo goes back to before the first
            self.setObsolete(mine.value == mine.old)
            return True
        if isinstance(mine, MoveNodes) and isinstance(theirs, MoveNodes):
            if self.gesture != other.gesture or set(mine.positions) != set(theirs.positions):
                return False
            mine.positions = dict(theirs.positions)
            self.setObsolete(mine.positions == mine.old)
            return True
        return False
