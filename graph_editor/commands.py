"""QUndoCommand wrapper around the backend's Qt-free edits.

The edits already know how to apply and revert themselves; a command only calls them, and
merges consecutive edits of one parameter or setting (a spin box) and consecutive moves of the same nodes
that belong to one gesture (arrow-key nudges) into one undo step.
"""

from __future__ import annotations

from typing import Any

from netcanvas.backend.blocks.edits import EditBlock
from netcanvas.backend.graph import Edit, MoveNodes, SetParam, SetSetting
from PySide6.QtGui import QUndoCommand

_MOVE_ID, _PARAM_ID, _SETTING_ID = 1, 2, 3


class EditCommand(QUndoCommand):
    """redo() = edit.apply, undo() = edit.revert.

    `applied=True` says the caller already applied the edit (so it could catch a refusal
    before pushing); the first redo(), which QUndoStack.push calls, is then skipped.
    `gesture` names a continuous gesture: moves merge only when both carry the same one.
    """

    def __init__(self, target: Any, edit: Edit, text: str | None = None, *,
                 applied: bool = False, gesture: str | None = None) -> None:
        super().__init__(text or edit.text)
        self.target = target  # the Graph, or the Project for a settings edit
        self.edit = edit
        self.gesture = gesture
        self._skip_redo = applied

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self.edit.apply(self.target)

    def undo(self) -> None:
        self.edit.revert(self.target)

    def id(self) -> int:
        edit = _unwrapped(self.edit)
        if isinstance(edit, MoveNodes) and self.gesture is not None:
            return _MOVE_ID
        if isinstance(edit, SetParam):
            return _PARAM_ID
        if isinstance(edit, SetSetting):
            return _SETTING_ID
        return -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        mine, theirs = self.edit, getattr(other, "edit", None)
        if _block(mine) != _block(theirs):  # edits of different graphs never merge
            return False
        mine, theirs = _unwrapped(mine), _unwrapped(theirs)
        if isinstance(mine, (SetParam, SetSetting)) and type(theirs) is type(mine):
            if _field(mine) != _field(theirs):
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


def _block(edit: Edit | None) -> str | None:
    """The block definition an edit changes inside (None: the top level)."""
    return edit.block if isinstance(edit, EditBlock) else None


def _unwrapped(edit: Edit | None) -> Edit | None:
    """The graph edit itself, also when it is made inside a block definition."""
    return edit.edit if isinstance(edit, EditBlock) else edit


def _field(edit: SetParam | SetSetting) -> tuple[str, str]:
    """What a value edit changes: (node id, param) or (section, setting)."""
    return (edit.node_id, edit.name) if isinstance(edit, SetParam) else (edit.section, edit.name)
