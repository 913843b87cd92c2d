"""'Show code': the PyTorch code generated for the current graph, kept up to date.

Code generation needs torch, which takes seconds to import, so it runs on a worker
thread, only while the panel is visible, debounced so a burst of edits compiles once.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

from netcanvas.backend.graph import Graph
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from netcanvas.app.highlighter import PythonHighlighter

DEBOUNCE_MS = 300
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netcanvas-code")


def snapshot(graph: Graph) -> Graph:
    """A detached copy the worker can read while the user keeps editing the original."""
    return Graph(nodes={nid: copy.deepcopy(n) for nid, n in graph.nodes.items()},
                 edges=list(graph.edges))


def generate_code(graph: Graph) -> tuple[str, str]:
    """(code, problem): the standalone module export writes and "", or why there is none
    as comments and a one-line summary for the status bar.

    Built on the meta device: no real torch compute ever runs on this long-lived thread
    (a thread that once ran an OpenMP op and then idles slows training on small machines)."""
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


class CodePanel(QWidget):
    _delivered = Signal(int, str, str)  # generation, text, problem (crosses from the worker)

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
        self._graph: Graph | None = None
        self._generation = 0
        self._shown_generation = 0
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._start)
        self._delivered.connect(self._show)

    def set_graph(self, graph: Graph) -> None:
        self._graph = graph
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
        if self._graph is None:
            return
        generation, graph = self._generation, snapshot(self._graph)
        self.status.setText("Generating code…")
        _EXECUTOR.submit(self._work, generation, graph)

    def _work(self, generation: int, graph: Graph) -> None:
        if generation != self._generation:
            return  # superseded while queued
        try:
            text, problem = generate_code(graph)
        except Exception as exc:  # noqa: BLE001  (an exporter bug must show, not vanish)
            text, problem = (f"# Code generation failed: {type(exc).__name__}: {exc}",
                             "Code generation failed.")
        try:
            self._delivered.emit(generation, text, problem)
        except RuntimeError:
            pass  # the panel was closed meanwhile

    def _show(self, generation: int, text: str, problem: str) -> None:
        if generation != self._generation:
            return
        bar = self.editor.verticalScrollBar()
        scroll = bar.value()
        self.editor.setLineWrapMode(QPlainTextEdit.WidgetWidth if problem else QPlainTextEdit.NoWrap)
        self.editor.setPlainText(text)
        bar.setValue(scroll)
        self._shown_generation = generation
        self.status.setText(problem)
