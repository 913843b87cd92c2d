"""Exports, each from a run and saying which: ONNX (in a thread, verified by ONNX Runtime),
safetensors weights and a standalone PyTorch .py file. A run's export always writes the graph
that run trained (its snapshot), with its weights; the dialog names the run and warns when the
canvas has changed since. Exporting the current, untrained graph is a separate choice."""

from __future__ import annotations

from pathlib import Path

from netcanvas.app.settings import last_folder, remember_folder
from netcanvas.app.workers import Worker, error_line
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

DEFAULT_OPSET = 0  # 0 = the exporter's default
KINDS = {  # kind -> (title, file name, filter)
    "onnx": ("Export to ONNX", "model.onnx", "ONNX (*.onnx)"),
    "weights": ("Save weights", "model.safetensors", "safetensors (*.safetensors)"),
    "python": ("Export PyTorch code", "model.py", "Python (*.py)"),
}


class ExportDialog(QDialog):
    """One export of `run` (None: the current graph, untrained). Export runs in a thread."""

    done_exporting = Signal(object)  # OnnxReport or Path, or None after a failure

    def __init__(self, kind: str, run, project, parent: QWidget | None = None,
                 folder: str | None = None) -> None:
        super().__init__(parent)
        title, name, self._filter = KINDS[kind]
        self.kind, self.run, self.project = kind, run, project
        self.setWindowTitle(title + ("" if run is not None else " (untrained graph)"))
        self.thread: Worker | None = None
        self.report = None
        self.source = QLabel(wordWrap=True)
        self.changed = QLabel(wordWrap=True, visible=False)
        self.changed.setStyleSheet("QLabel { border: 2px solid #ff7f0e; border-radius: 4px; "
                                   "padding: 4px; }")
        self._describe_source()
        self.path = QLineEdit(str((Path(folder) if folder else last_folder()) / name))
        browse = QPushButton("Browse…", autoDefault=False)  # Enter exports, never browses
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("File", row)
        self.opset = QSpinBox(minimum=DEFAULT_OPSET, maximum=25, specialValueText="default")
        self.dynamic_batch = QCheckBox("Dynamic batch size", checked=True)
        data = run.data if run is not None else None
        self.normalize = QCheckBox("Bake the input normalisation in (the file takes raw values)",
                                   checked=data is not None and data.mean is not None)
        self.normalize.setEnabled(self.normalize.isChecked())
        if data is not None and data.mean is not None:
            self.normalize.setToolTip(f"(x − mean) / std with mean {_short(data.mean)}, "
                                      f"std {_short(data.std)}, in the data files' units")
        if kind == "onnx":
            form.addRow("Opset", self.opset)
            form.addRow("", self.dynamic_batch)
            form.addRow("", self.normalize)
        self.result = QLabel(wordWrap=True)
        self.result.setText("The file is checked and run with ONNX Runtime against PyTorch."
                            if kind == "onnx" else "")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.setDefault(True)  # Enter exports
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setAutoDefault(False)
        self.export_button.clicked.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.source)
        layout.addWidget(self.changed)
        layout.addLayout(form)
        layout.addWidget(self.result)
        layout.addWidget(self.buttons)
        self.resize(560, 240)
        self._fit()

    def _fit(self) -> None:
        """Grow to hold the wrapped notes (graph changed, the result) rather than squash the
        fields between them."""
        self.layout().activate()
        needed = self.layout().totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def _say(self, text: str) -> None:
        self.result.setText(text)
        self._fit()

    def _describe_source(self) -> None:
        run = self.run
        if run is None:
            self.source.setText("<b>The current graph, untrained</b>: freshly initialised "
                                "weights, no run.")
            return
        self.source.setText(f"<b>From {run.label}</b> ({run.state}): the graph this run "
                            "trained, with its weights.")
        if run.graph_changed(self.project):
            self.changed.setText(f"The graph has changed since {run.label.split(',')[0]}: this "
                                 "writes the graph as that run trained it, not the canvas. "
                                 "Train again to export the edited graph.")
            self.changed.show()

    def _browse(self) -> None:
        title, _name, pattern = KINDS[self.kind]
        path, _ = QFileDialog.getSaveFileName(self, title, self.path.text(), pattern)
        if path:
            remember_folder(path)
            suffix = Path(KINDS[self.kind][1]).suffix
            self.path.setText(path if path.endswith(suffix) else path + suffix)

    def _job(self):
        """The export, as a function of plain objects only (it runs in a thread): the run's
        model (its snapshot with its weights) or the current graph with fresh weights."""
        from netcanvas.backend.compiler import compile_graph
        from netcanvas.backend.export import export_onnx, export_python, save_weights

        path, kind, run, graph = self.path.text(), self.kind, self.run, self.project.graph

        def model():
            return run.model() if run is not None else compile_graph(graph, device="cpu")

        if kind == "weights":
            return lambda: save_weights(model(), path)
        if kind == "python":
            return lambda: export_python(model(), path) and Path(path)
        normalization, metadata = None, {}
        if run is not None and run.data is not None:
            normalization, metadata = run.data.onnx_extras(self.normalize.isChecked(), run.label)
        opset, dynamic = self.opset.value() or None, self.dynamic_batch.isChecked()
        return lambda: export_onnx(model(), path, opset=opset, dynamic_batch=dynamic,
                                   normalization=normalization, metadata=metadata)

    def export(self) -> None:
        if self.thread is not None:
            return
        self.thread = Worker(self._job(), parent=self)
        self.thread.returned.connect(self._exported)
        self.thread.errored.connect(self._failed)
        self.thread.finished.connect(self._thread_done)
        self.export_button.setEnabled(False)
        self._say("Exporting and verifying…" if self.kind == "onnx" else "Writing…")
        self.thread.start()

    def _exported(self, report) -> None:
        self.report = report
        if self.kind != "onnx":
            self._say(f"Wrote {report}.")
        else:
            verdict = "verified" if report.ok else "<b>differs from PyTorch</b>"
            self._say(
                f"Wrote {report.path}: {verdict} with ONNX Runtime on a batch of "
                f"{report.verified_batch}; max |difference| = {report.max_abs_diff:.3g} "
                f"(relative {report.rel_diff:.3g}).")
        self.done_exporting.emit(report)

    def _failed(self, exc: Exception) -> None:
        from netcanvas.backend.export import ExportError

        where = f" (node {exc.node})" if getattr(exc, "node", None) else ""
        message = error_line(exc, ExportError) + (where if isinstance(exc, ExportError) else "")
        self._say(f"<b>Export failed:</b> {message}")
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


def _short(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.3g}" for v in values[:4]) + (", …]" if len(values) > 4 else "]")


class ExportActions:
    """Opens the export dialogs for the workspace's shown run, or for its project's graph
    untrained (the project also tells whether the run's graph is still the canvas's)."""

    def __init__(self, parent: QWidget, workspace) -> None:
        self.parent, self.workspace = parent, workspace
        self.dialog: ExportDialog | None = None

    @property
    def run(self):
        return self.workspace.shown

    def open(self, kind: str, trained: bool = True) -> ExportDialog | None:
        if trained and (self.run is None or not self.run.usable):
            return None
        if self.dialog is not None:
            self.dialog.shutdown()
        self.dialog = ExportDialog(kind, self.run if trained else None,
                                   self.workspace.project, self.parent)
        self.dialog.done_exporting.connect(self._remember_folder)
        self.dialog.open()
        return self.dialog

    def _remember_folder(self, result) -> None:
        if result is not None and self.dialog is not None:
            remember_folder(self.dialog.path.text())

    def shutdown(self) -> None:
        if self.dialog is not None:
            self.dialog.shutdown()
