"""Tab's quick-add popup: type to filter the layer titles, Enter adds the layer."""

from __future__ import annotations

from netcanvas.graph_editor.kinds import NodeKinds
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout


class QuickAddWidget(QFrame):
    chosen = Signal(str)  # type_id

    def __init__(self, parent=None) -> None:
        super().__init__(parent, Qt.Popup)
        self.setFrameShape(QFrame.StyledPanel)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Add layer…")
        self.edit.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setMinimumHeight(220)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.edit)
        layout.addWidget(self.list)
        self.edit.textChanged.connect(self._refilter)
        self.edit.returnPressed.connect(self._accept)
        self.list.itemActivated.connect(self._accept)
        self.edit.installEventFilter(self)
        self.kinds = NodeKinds()  # what to offer: the scene's, given at each popup
        self.accepts = None  # optional NodeKind -> bool: which of them to offer
        self.resize(260, 280)
        self._refilter("")

    def _refilter(self, text: str) -> None:
        self.list.clear()
        for type_id in self.kinds.search(text):
            kind = self.kinds[type_id]
            if self.accepts is not None and not self.accepts(kind):
                continue
            item = QListWidgetItem(f"{kind.title}    ·  {kind.category}")
            item.setData(Qt.UserRole, type_id)
            item.setToolTip(kind.doc)
            self.list.addItem(item)
        self.list.setCurrentRow(0)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.edit and event.type() == event.Type.KeyPress and event.key() in (
                Qt.Key_Up, Qt.Key_Down, Qt.Key_PageUp, Qt.Key_PageDown):
            self.list.keyPressEvent(event)  # arrows move through the list while typing
            return True
        return super().eventFilter(obj, event)

    def _accept(self, *_) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.hide()
            self.chosen.emit(item.data(Qt.UserRole))

    def popup(self, global_pos, kinds: NodeKinds, accepts=None) -> None:
        self.kinds, self.accepts = kinds, accepts
        self.edit.clear()
        self._refilter("")
        self.move(global_pos)
        self.show()
        self.edit.setFocus()
