"""What is shown fits its place (issue 21, bug 8): a refused long name does not widen the
Inspector; the export dialog keeps its fields' heights when its notes show."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from test_app_support import *  # noqa: F403  fixtures: window, isolated


def test_a_refused_long_name_does_not_widen_the_inspector(window, qtbot):  # noqa: F811
    fc1 = window.document.graph.by_name("fc1")
    window.scene.select_nodes([fc1.id])
    QApplication.processEvents()
    inspector = window.inspector
    width = window.inspector_dock.width()
    inspector.name_edit.setText("a" * 150)
    inspector.name_edit.editingFinished.emit()
    QApplication.processEvents()
    assert inspector.message.isVisible() and "150 characters" in inspector.message.text()
    assert window.inspector_dock.width() == width
    assert inspector.widget().minimumSizeHint().width() <= inspector.viewport().width()
    window.grab().save("/tmp/inspector_long_name.png")
