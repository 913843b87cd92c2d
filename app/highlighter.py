"""A small Python syntax highlighter for the generated code, in palette-aware colours."""

from __future__ import annotations

import keyword
import re

from PySide6.QtGui import QColor, QFont, QPalette, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QApplication


def _fmt(color: QColor, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(color)
    if bold:
        fmt.setFontWeight(QFont.Bold)
    fmt.setFontItalic(italic)
    return fmt


class PythonHighlighter(QSyntaxHighlighter):
    def __init__(self, document) -> None:
        super().__init__(document)
        dark = QApplication.palette().color(QPalette.Base).lightnessF() < 0.5

        def c(light: str, dark_: str) -> QColor:
            return QColor(dark_ if dark else light)

        words = "|".join(keyword.kwlist)
        self.rules = [
            (re.compile(rf"\b({words})\b"), _fmt(c("#7b30d0", "#c792ea"), bold=True)),
            (re.compile(r"\b(self|torch|nn|F)\b"), _fmt(c("#1a6fb0", "#82aaff"))),
            (re.compile(r"\b\d+(\.\d*)?([eE][-+]?\d+)?\b"), _fmt(c("#b05a00", "#f78c6c"))),
            (re.compile(r"(?<=\bdef )\w+|(?<=\bclass )\w+"), _fmt(c("#0b7a75", "#7fdbca"),
                                                                  bold=True)),
            (re.compile(r"'[^'\n]*'|\"[^\"\n]*\""), _fmt(c("#2e7d32", "#c3e88d"))),
            (re.compile(r"#[^\n]*"), _fmt(c("#6a737d", "#8a94a6"), italic=True)),
        ]

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt in self.rules:
            for m in pattern.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), fmt)
