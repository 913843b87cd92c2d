"""'Show code': the PyTorch code generated for the current graph, kept up to date.

Code generation needs torch, which takes seconds to import, so it runs on a `Worker`
(app/workers.py), one at a time, only while the panel is visible, debounced so a burst of
edits compiles once.
"""

from __future__ import annotations

from netcanvas.app.highlighter import PythonHighlighter
from netcanvas.app.workers import Worker, start_unowned
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import Project
from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

DEBOUNCE_MS = 300


def generate_code(graph: Graph) -> tuple[str, str]:
    """(code, problem): the standalone module export writes and "", or why there is none
    as comments and a one-line summary for the status bar.

    Built on the meta device: no real torch compute runs for it (a thread that once ran an
    OpenMP op and then idles slows training on small machines)."""
    from netcanvas.backend.compiler import CompileError, compile_graph
    from netcanvas.backend.export import ExportError, python_source

    try:
        return python_source(compile_graph(graph, device="meta")), ""
    except CompileError as exc:
        return (_as_comments("Fix these problems to see the code:",
                             str(exc) or "the graph cannot be compiled"), "The graph has errors.")
    except ExportError as exc:
        return (_as_comments("This graph cannot be written as code:", str(exc)),
                "Code export cannot write this graph.")


def _as_comments(title: str, message: str) -> str:
    return f"# {title}\n" + "\n".join(f"#   {line}" for line in message.splitlines())


def _generate(generation: int, graph: Graph) -> tuple[int, str, str]:
    try:
        text, problem = generate_code(graph)
    except Exception as exc:  # noqa: BLE001  (an exporter bug must show, not vanish)
        text, problem = (f"# Code generation failed: {type(exc).__name__}: {exc}",
                         "Code generation failed.")
    return generation, text, problem


class CodePanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = QPlainTextEdit(readOnly=True)
        self.editor.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))
        self.highlighter = PythonHighlighter(self.editor.document())
        self.status = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor)
        layout.addWidget(self.status)
        self._project: Project | None = None
        self._generation = 0
        self._shown_generation = 0
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._start)
        self._worker: Worker | None = None  # the one generating, if any

    def set_project(self, project: Project) -> None:
        self._project = project
        self.schedule()

    def schedule(self) -> None:
        """Call on every change; compiles DEBOUNCE_MS after the last one, if visible."""
        self._generation += 1
        if self.isVisible():
            self._timer.start()

    @property
    def up_to_date(self) -> bool:
        return self._shown_generation == self._generation

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self.up_to_date:
            self._timer.start()

    def _start(self) -> None:
        if self._project is None:
            return
        if self._worker is not None:
            return  # the running one starts the next when it ends
        # a copy with its block definitions, read by the worker while the user edits
        generation, graph = self._generation, self._project.copy().graph
        self.status.setText("Generating code…")
        worker = self._worker = Worker(_generate, generation, graph)
        worker.returned.connect(self._show)
        worker.finished.connect(self._worker_ended)
        start_unowned(worker)

    def _worker_ended(self) -> None:
        self._worker = None
        if not self.up_to_date and self.isVisible():
            self._start()  # edits arrived while it worked

    def _show(self, delivered: tuple[int, str, str]) -> None:
        generation, text, problem = delivered
        if generation != self._generation:
            return
        bar = self.editor.verticalScrollBar()
        scroll = bar.value()
        self.editor.setLineWrapMode(QPlainTextEdit.WidgetWidth if problem else QPlainTextEdit.NoWrap)
        self.editor.setPlainText(text)
        bar.setValue(scroll)
        self._shown_generation = generation
        self.status.setText(problem)
