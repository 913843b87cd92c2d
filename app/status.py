"""The status bar: permanent read-outs (total parameters, MACs, whether the graph is valid)
and messages about a node, which go as soon as their cause does."""

from __future__ import annotations

from netcanvas.app.icons import status_color
from netcanvas.backend.shapes import format_count
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QStatusBar, QToolButton

MESSAGE_MS = 15_000


class StatusPanel:
    def __init__(self, bar: QStatusBar, show_problems) -> None:
        self.bar = bar
        self._analysis = None
        self._cause: tuple[str, bool] | None = None  # (node id, had a static error)
        bar.messageChanged.connect(lambda text: text or self._forget())
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

    def show_message(self, text: str, node_id: str | None = None) -> None:
        """A message about `node_id` (if any): cleared once that node is deleted, or once its
        error, if the graph had one, is fixed; any message is cleared by another document."""
        info = self._analysis.nodes.get(node_id) if self._analysis and node_id else None
        self.bar.showMessage(text, MESSAGE_MS)
        self._cause = (node_id, bool(info and info.error)) if node_id else None

    def _forget(self) -> None:
        self._cause = None

    def clear_message(self) -> None:
        self.bar.clearMessage()

    def set_analysis(self, analysis) -> None:
        self._analysis = analysis
        if self._cause is not None:
            node_id, had_error = self._cause
            info = analysis.nodes.get(node_id)
            if info is None or (had_error and info.error is None):
                self.bar.clearMessage()
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
