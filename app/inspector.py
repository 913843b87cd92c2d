"""The inspector: name and parameters of the selected node, each edit one undoable step."""

from __future__ import annotations

import re
from typing import Any

from netcanvas.app.blocks import rename_edit
from netcanvas.app.document import Document
from netcanvas.app.icons import category_icon, status_color
from netcanvas.app.node_training_form import NodeTrainingRows
from netcanvas.app.param_editors import ParamEditor
from netcanvas.backend.graph import BLOCK, Graph, SetParam
from netcanvas.backend.registry import ParamError
from netcanvas.backend.shapes import format_count, format_shape
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)


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
    # a long word (a refused 150-character name) wraps too, never widening the dock
    label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
    return label


def breakable(text: str) -> str:
    """`text` with a break opportunity (zero-width space) every 20 characters of a long word."""
    return re.sub(r"(\S{20})(?=\S)", "\\1\u200b", text)


class InspectorPanel(QScrollArea):
    block_opened = Signal(str)  # a block instance's "Open": its node id
    block_made_unique = Signal(str)  # its "Make unique"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.NoFrame)
        self.document: Document | None = None
        self.graph: Graph | None = None  # whose nodes are edited: the canvas's graph
        self.analysis = None
        self.ran: Graph | None = None
        self.node_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self.training: NodeTrainingRows | None = None  # a node with weights: its Training rows
        self.name_edit: QLineEdit | None = None
        self.message = self.info = self.node_error = None
        self._show_placeholder("Select a node to edit its parameters.")

    # ---- wiring ---------------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        self.document = document
        self.set_graph(document.graph, document.analysis)

    def set_graph(self, graph: Graph, analysis, ran: Graph | None = None) -> None:
        """Edit the nodes of `graph` (the top level, or the inner graph of an opened block)
        whose shapes and errors are in `analysis`; the app calls set_analysis on changes."""
        if self.graph is not None:
            self.graph.param_changed.disconnect(self._param_changed)
            self.graph.node_renamed.disconnect(self._node_renamed)
            self.graph.node_removed.disconnect(self._node_removed)
            self.graph.training_changed.disconnect(self._training_changed)
        self.graph, self.analysis, self.ran = graph, analysis, ran
        graph.training_changed.connect(self._training_changed)
        graph.param_changed.connect(self._param_changed)
        graph.node_renamed.connect(self._node_renamed)
        graph.node_removed.connect(self._node_removed)
        self.set_nodes([])

    def set_analysis(self, analysis, ran: Graph | None = None) -> None:
        """`ran`: inside a block, the graph the opened instance runs (exposed values set)."""
        self.analysis, self.ran = analysis, ran
        self._update_info(analysis)

    def set_nodes(self, node_ids: list[str]) -> None:
        ids = [i for i in node_ids if self.graph is not None and i in self.graph.nodes]
        if len(ids) == 1:
            self._show_node(ids[0])
        elif ids:
            self._show_placeholder(f"{len(ids)} nodes selected.")
        elif self.graph is not None and self.graph.owner is not None:  # inside a block
            definition = self.graph.blocks[self.graph.owner]
            self._show_placeholder("Select a node to edit its parameters. Changes here apply "
                                   "to every instance of the block; shapes are those of the "
                                   "instance you opened.", definition.doc,
                                   f"Inside {definition.name}")
        else:
            self._show_placeholder("Select a node to edit its parameters.",
                                   self.document.project.description if self.document else "")

    # ---- building the form -------------------------------------------------------------
    def _reset(self) -> QVBoxLayout:
        self.node_id, self.editors, self.name_edit, self.training = None, {}, None, None
        self.message = self.info = self.node_error = None
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(10, 8, 10, 8)
        self.setWidget(page)
        return layout

    def _show_placeholder(self, text: str, description: str = "",
                          title: str = "About this project") -> None:
        layout = self._reset()
        if description:
            heading = QLabel(title)
            heading.setFont(_bold(heading.font()))
            layout.addWidget(heading)
            layout.addWidget(_wrapped(description))
            layout.addSpacing(8)
        layout.addWidget(_muted(_wrapped(text)), 0, Qt.AlignTop)
        layout.addStretch()

    def _show_node(self, node_id: str) -> None:
        node = self.graph.node(node_id)
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
        if node.type_id == BLOCK:
            form.addRow("block", self._block_row(node))
        exposed = {}  # inside a block: the params its exposed params set, per instance
        if self.graph.owner is not None:
            exposed = {target: e.name for e in self.graph.blocks[self.graph.owner].exposed
                       for target in e.targets}
        for param in spec.params:
            if node.type_id == BLOCK and param.name == "block":
                continue  # shown above, with its actions
            editor = ParamEditor(param)
            editor.set_value(node.params.get(param.name, param.default))
            editor.committed.connect(lambda value, n=param.name: self._set_param(n, value))
            self.editors[param.name] = editor
            form.addRow(param.name, editor.widget)
            owner = exposed.get((node.name, param.name))
            if owner is not None:
                ran = self.ran.nodes.get(node_id) if self.ran is not None else None
                if ran is not None:  # the value the opened instance runs
                    editor.set_value(ran.params[param.name])
                editor.widget.setEnabled(False)
                editor.widget.setToolTip(f"Set on each instance by the block's '{owner}'")
        info = self.analysis.nodes.get(node_id) if self.analysis is not None else None
        if self.graph.owner is None and (node.type_id == BLOCK or (info and info.params)):
            self.training = NodeTrainingRows(
                form, node, lambda edit: self.document.offer(edit, graph=self.graph))
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
        self._update_info(self.analysis)

    def _block_row(self, node) -> QWidget:
        """The definition an instance runs, how many share it, and Open / Make unique."""
        name = node.params["block"]
        shared = sum(n.type_id == BLOCK and n.params.get("block") == name
                     for g in (self.document.graph, *(d.graph for d in self.graph.blocks.values()))
                     for n in g.nodes.values())
        row = QWidget()
        column = QVBoxLayout(row)
        column.setContentsMargins(0, 0, 0, 0)
        label = QLabel(f"<b>{name}</b>" + (f" · {shared} instances" if shared > 1 else ""))
        label.setToolTip("Editing inside changes every instance of this block; "
                         "Make unique gives this one its own copy.")
        column.addWidget(label)
        box = QHBoxLayout()
        column.addLayout(box)
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Edit the block's inside (double-click the card)")
        self.open_button.clicked.connect(lambda: self.block_opened.emit(node.id))
        self.unique_button = QPushButton("Make unique")
        self.unique_button.setEnabled(shared > 1)
        self.unique_button.clicked.connect(lambda: self.block_made_unique.emit(node.id))
        box.addWidget(self.open_button)
        box.addWidget(self.unique_button)
        box.addStretch()
        return row

    @staticmethod
    def _color(label: QLabel, kind: str) -> None:
        pal = label.palette()
        pal.setColor(QPalette.WindowText, status_color(kind))
        label.setPalette(pal)

    # ---- edits -------------------------------------------------------------------------
    def _set_param(self, name: str, raw: Any) -> None:
        node = self.graph.node(self.node_id)
        try:
            value = node.spec.param(name).validate(raw)
        except ParamError:
            value = raw  # the document refuses it below, with the reason
        current = node.params.get(name, node.spec.param(name).default)
        unchanged = value == current
        reason = None if unchanged else self.document.offer(
            SetParam(self.node_id, name, value), graph=self.graph)
        if reason:
            self.editors[name].set_value(current)
        self._refuse(reason or "")

    def _rename(self) -> None:
        node = self.graph.node(self.node_id)
        name = self.name_edit.text().strip()
        if name == node.name:
            return
        edit, graph = rename_edit(self.graph, self.node_id, name)
        reason = self.document.offer(edit, graph=graph)
        if reason:
            self.name_edit.setText(node.name)
        self._refuse(reason or "")

    def _refuse(self, text: str) -> None:
        if self.message is not None:
            self.message.setText(breakable(text))
            self.message.setVisible(bool(text))

    # ---- graph events (undo, redo, edits from the canvas) ------------------------------
    def _param_changed(self, node_id: str, name: str, value: Any) -> None:
        if node_id == self.node_id and name in self.editors:
            self.editors[name].set_value(value)

    def _training_changed(self, node_id: str, _training) -> None:
        if node_id == self.node_id and self.training is not None:
            self.training.show(self.graph.node(node_id))

    def _node_renamed(self, node_id: str, name: str) -> None:
        if node_id == self.node_id and self.name_edit is not None:
            self.name_edit.setText(name)

    def _node_removed(self, node) -> None:
        if node.id == self.node_id:
            self.set_nodes([])

    def _update_info(self, analysis) -> None:
        if self.node_id is None or self.info is None or analysis is None:
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
