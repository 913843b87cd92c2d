"""Exporting the trained model: ONNX (in a thread, verified by ONNX Runtime), safetensors
weights, and a standalone PyTorch .py file."""

from __future__ import annotations

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..settings import last_folder, remember_folder

DEFAULT_OPSET = 0  # 0 = the exporter's default


class OnnxExportThread(QThread):
    exported = Signal(object)  # OnnxReport
    failed = Signal(str)

    def __init__(self, model, path: str, opset: int | None, dynamic_batch: bool, parent=None):
        super().__init__(parent)
        self.model, self.path, self.opset, self.dynamic_batch = model, path, opset, dynamic_batch

    def run(self) -> None:
        from netcanvas.backend.export import ExportError, export_onnx

        try:
            report = export_onnx(self.model, self.path, opset=self.opset,
                                 dynamic_batch=self.dynamic_batch)
        except ExportError as exc:
            where = f" (node {exc.node})" if getattr(exc, "node", None) else ""
            self.failed.emit(f"{exc}{where}")
        except Exception as exc:  # noqa: BLE001 - an exporter bug must not take the app down
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.exported.emit(report)


class OnnxExportDialog(QDialog):
    """File, opset and dynamic batch; Export runs in a thread and shows the verified difference."""

    done_exporting = Signal(object)  # OnnxReport, or None after a failure

    def __init__(self, model, parent: QWidget | None = None, path: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export to ONNX")
        self.model = model
        self.thread: OnnxExportThread | None = None
        self.report = None
        self.path = QLineEdit(str(path or last_folder() / "model.onnx"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.opset = QSpinBox(minimum=DEFAULT_OPSET, maximum=25, specialValueText="default")
        self.opset.setValue(DEFAULT_OPSET)
        self.dynamic_batch = QCheckBox("Dynamic batch size", checked=True)
        self.result = QLabel("The file is checked and run with ONNX Runtime against PyTorch.",
                             wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Opset", self.opset)
        form.addRow("", self.dynamic_batch)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.result)
        layout.addWidget(self.buttons)
        self.resize(520, 200)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to ONNX", self.path.text(),
                                              "ONNX (*.onnx)")
        if path:
            remember_folder(path)
            self.path.setText(path if path.endswith(".onnx") else path + ".onnx")

    def export(self) -> None:
        if self.thread is not None:
            return
        opset = self.opset.value() or None
        self.thread = OnnxExportThread(self.model, self.path.text(), opset,
                                       self.dynamic_batch.isChecked(), self)
        self.thread.exported.connect(self._exported)
        self.thread.failed.connect(self._failed)
        self.thread.finished.connect(self._thread_done)
        self.export_button.setEnabled(False)
        self.result.setText("Exporting and verifying…")
        self.thread.start()

    def _exported(self, report) -> None:
        self.report = report
        verdict = "verified" if report.ok else "<b>differs from PyTorch</b>"
        self.result.setText(
            f"Wrote {report.path}: {verdict} with ONNX Runtime on a batch of "
            f"{report.verified_batch}; max |difference| = {report.max_abs_diff:.3g} "
            f"(relative {report.rel_diff:.3g}).")
        self.done_exporting.emit(report)

    def _failed(self, message: str) -> None:
        self.result.setText(f"<b>Export failed:</b> {message}")
        self.done_exporting.emit(None)

    def _thread_done(self) -> None:
        self.thread.deleteLater()
        self.thread = None
        self.export_button.setEnabled(True)

    def shutdown(self) -> None:
        if self.thread is not None:
            self.thread.wait()

    def done(self, result: int) -> None:
        self.shutdown()  # an export in flight finishes before the dialog goes
        super().done(result)


class ExportActions:
    """The three exports of the last trained model, for the Evaluation tab's buttons."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.model = None
        self.dialog: OnnxExportDialog | None = None

    def export_onnx(self) -> OnnxExportDialog | None:
        if self.model is None:
            return None
        self.dialog = OnnxExportDialog(self.model, self.parent)
        self.dialog.open()
        return self.dialog

    def save_weights(self) -> None:
        path = self._ask("Save weights", "model.safetensors", "safetensors (*.safetensors)")
        if path:
            self.save_weights_to(path)

    def export_python(self) -> None:
        path = self._ask("Export PyTorch code", "model.py", "Python (*.py)")
        if path:
            self.export_python_to(path)

    def save_weights_to(self, path: str) -> bool:
        from netcanvas.backend.export import save_weights

        return self._run("Save weights", lambda: save_weights(self.model, path))

    def export_python_to(self, path: str) -> bool:
        from netcanvas.backend.export import export_python

        return self._run("Export PyTorch code", lambda: export_python(self.model, path))

    def _ask(self, title: str, name: str, pattern: str) -> str | None:
        if self.model is None:
            return None
        path, _ = QFileDialog.getSaveFileName(self.parent, title, str(last_folder() / name), pattern)
        if path:
            remember_folder(path)
        return path or None

    def _run(self, title: str, job) -> bool:
        try:
            job()
        except Exception as exc:  # noqa: BLE001 - report, never crash: the model stays usable
            QMessageBox.warning(self.parent, title, f"{title} failed: {exc}")
            return False
        return True

    def shutdown(self) -> None:
        if self.dialog is not None:
            self.dialog.shutdown()
