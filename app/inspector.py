"""The inspector: name and parameters of the selected node, each edit one undoable step."""

from __future__ import annotations

from typing import Any

from netcanvas.backend.graph import Rename, SetParam
from netcanvas.backend.registry import ParamError
from netcanvas.backend.shapes import format_count, format_shape
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from netcanvas.app.document import Document
from netcanvas.app.icons import category_icon, status_color
from netcanvas.app.param_editors import ParamEditor, make_editor


def _muted(label: QLabel) -> QLabel:
    pal = label.palette()
    pal.setColor(QPalette.WindowText, pal.color(QPalette.PlaceholderText))
    label.setPalette(pal)
    return label


def _bold(font: QFont, scale: float = 1.0) -> QFont:
    font = QFont(font)
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * scale)
    return font


def _wrapped(text: str = "") -> QLabel:
    label = QLabel(text, wordWrap=True)
    label.setTextInteractionFlags(Qt.TextSelectableByMouse)
    return label


class InspectorPanel(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.NoFrame)
        self.document: Document | None = None
        self.node_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self.name_edit: QLineEdit | None = None
        self.message = self.info = self.node_error = None
        self._show_placeholder("Select a node to edit its parameters.")

    # ---- wiring ---------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        if self.document is not None:
            graph = self.document.graph
            graph.param_changed.disconnect(self._param_changed)
            graph.node_renamed.disconnect(self._node_renamed)
            graph.node_removed.disconnect(self._node_removed)
            self.document.analysis_changed.disconnect(self._update_info)
        self.document = document
        document.graph.param_changed.connect(self._param_changed)
        document.graph.node_renamed.connect(self._node_renamed)
        document.graph.node_removed.connect(self._node_removed)
        document.analysis_changed.connect(self._update_info)
        self.set_nodes([])

    def set_nodes(self, node_ids: list[str]) -> None:
        ids = [i for i in node_ids if self.document and i in self.document.graph.nodes]
        if len(ids) == 1:
            self._show_node(ids[0])
        elif ids:
            self._show_placeholder(f"{len(ids)} nodes selected.")
        else:
            self._show_placeholder("Select a node to edit its parameters.",
                                   self.document.project.description if self.document else "")

    # ---- building the form -------------------------------------------------------------
    def _reset(self) -> QVBoxLayout:
        self.node_id, self.editors, self.name_edit = None, {}, None
        self.message = self.info = self.node_error = None
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(10, 8, 10, 8)
        self.setWidget(page)
        return layout

    def _show_placeholder(self, text: str, description: str = "") -> None:
        layout = self._reset()
        if description:
            heading = QLabel("About this project")
            heading.setFont(_bold(heading.font()))
            layout.addWidget(heading)
            layout.addWidget(_wrapped(description))
            layout.addSpacing(8)
        layout.addWidget(_muted(_wrapped(text)), 0, Qt.AlignTop)
        layout.addStretch()

    def _show_node(self, node_id: str) -> None:
        node = self.document.graph.node(node_id)
        spec = node.spec
        layout = self._reset()
        self.node_id = node_id

        header = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(category_icon(spec.category).pixmap(24, 24))
        title = QLabel(spec.title)
        title.setFont(_bold(title.font(), 1.25))
        header.addWidget(icon)
        header.addWidget(title, 1)
        header.addWidget(_muted(QLabel(spec.category)))
        layout.addLayout(header)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit(node.name)
        self.name_edit.setToolTip("Node name; also the attribute name in the generated code.")
        self.name_edit.editingFinished.connect(self._rename)
        form.addRow("name", self.name_edit)
        for param in spec.params:
            editor = make_editor(param)
            editor.set_value(node.params[param.name])
            editor.committed.connect(lambda value, n=param.name: self._set_param(n, value))
            self.editors[param.name] = editor
            form.addRow(param.name, editor.widget)
        layout.addLayout(form)

        self.message = _wrapped()
        self._color(self.message, "error")
        self.message.hide()
        layout.addWidget(self.message)
        self.node_error = _wrapped()
        self._color(self.node_error, "error")
        layout.addWidget(self.node_error)
        self.info = _muted(_wrapped())
        layout.addWidget(self.info)
        layout.addWidget(_muted(_wrapped(spec.doc)))
        layout.addStretch()
        self._update_info(self.document.analysis)

    @staticmethod
    def _color(label: QLabel, kind: str) -> None:
        pal = label.palette()
        pal.setColor(QPalette.WindowText, status_color(kind))
        label.setPalette(pal)

    # ---- edits -------------------------------------------------------------------------
    def _set_param(self, name: str, raw: Any) -> None:
        node = self.document.graph.node(self.node_id)
        try:
            value = node.spec.param(name).validate(raw)
        except ParamError:
            value = raw  # the document refuses it below, with the reason
        unchanged = value == node.params[name]
        reason = None if unchanged else self.document.offer(SetParam(self.node_id, name, value))
        if reason:
            self.editors[name].set_value(node.params[name])
        self._refuse(reason or "")

    def _rename(self) -> None:
        node = self.document.graph.node(self.node_id)
        name = self.name_edit.text().strip()
        if name == node.name:
            return
        reason = self.document.offer(Rename(self.node_id, name))
        if reason:
            self.name_edit.setText(node.name)
        self._refuse(reason or "")

    def _refuse(self, text: str) -> None:
        if self.message is not None:
            self.message.setText(text)
            self.message.setVisible(bool(text))

    # ---- graph events (undo, redo, edits from the canvas) ------------------------------
    def _param_changed(self, node_id: str, name: str, value: Any) -> None:
        if node_id == self.node_id and name in self.editors:
            self.editors[name].set_value(value)

    def _node_renamed(self, node_id: str, name: str) -> None:
        if node_id == self.node_id and self.name_edit is not None:
            self.name_edit.setText(name)

    def _node_removed(self, node) -> None:
        if node.id == self.node_id:
            self.set_nodes([])

    def _update_info(self, analysis) -> None:
        if self.node_id is None or self.info is None:
            return
        info = analysis.nodes.get(self.node_id)
        if info is None:
            return
        if info.output_shapes:
            shapes = ", ".join(format_shape(s) for s in info.output_shapes.values())
            self.info.setText(f"Output {shapes} · {format_count(info.params)} params · "
                              f"{format_count(info.macs)} MACs")
        else:
            self.info.setText("Output shape unknown until the problems upstream are fixed.")
        self.node_error.setText(info.error or "")
        self.node_error.setVisible(bool(info.error))
