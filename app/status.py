"""Permanent status-bar read-outs: total parameters, MACs and whether the graph is valid."""

from __future__ import annotations

from netcanvas.graph_editor.style import format_count
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QStatusBar, QToolButton

from .icons import status_color


class StatusPanel:
    def __init__(self, bar: QStatusBar, show_problems) -> None:
        self.params = QLabel()
        self.params.setToolTip("Trainable parameters in the whole network")
        self.macs = QLabel()
        self.macs.setToolTip("Multiply-accumulates for one sample's forward pass")
        self.validity = QToolButton(autoRaise=True)
        self.validity.setToolTip("Show the problems panel")
        self.validity.clicked.connect(show_problems)
        for label in (self.params, self.macs):
            label.setContentsMargins(8, 0, 8, 0)
            bar.addPermanentWidget(label)
        bar.addPermanentWidget(self.validity)

    def set_analysis(self, analysis) -> None:
        self.params.setText(f"{analysis.total_params:,} parameters")
        self.macs.setText(f"{format_count(analysis.total_macs)} MACs")
        errors = len(analysis.errors)
        warnings = len(analysis.problems) - errors
        if errors:
            text, kind = f"✗ {errors} error{'s' * (errors != 1)}", "error"
        elif warnings:
            text, kind = f"✓ valid, {warnings} warning{'s' * (warnings != 1)}", "warning"
        else:
            text, kind = "✓ valid", "ok"
        self.validity.setText(text)
        pal = self.validity.palette()
        pal.setColor(QPalette.ButtonText, status_color(kind))
        self.validity.setPalette(pal)
