"""Small modal questions. The app's ask_* functions call these and stay module-level, so
tests replace them with monkeypatch."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(parent: QWidget, title: str, text: str, warning: bool = False) -> bool:
    """Yes or Cancel (the default, so Enter never agrees by accident): True for Yes."""
    ask = QMessageBox.warning if warning else QMessageBox.question
    answer = ask(parent, title, text, QMessageBox.Yes | QMessageBox.Cancel, QMessageBox.Cancel)
    return answer == QMessageBox.Yes
