"""'Show code': the PyTorch code generated for the current graph, kept up to date.

Code generation needs torch, which takes seconds to import, so it runs on a worker
thread, only while the panel is visible, debounced so a burst of edits compiles once.
"""

from __future__ import annotations

import copy
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from netcanvas.backend.graph import Graph
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from .highlighter import PythonHighlighter

DEBOUNCE_MS = 300
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="netcanvas-code")


def snapshot(graph: Graph) -> Graph:
    """A detached copy the worker can read while the user keeps editing the original."""
    return Graph(nodes={nid: copy.deepcopy(n) for nid, n in graph.nodes.items()},
                 edges=list(graph.edges))


def generate_code(graph: Graph) -> tuple[str, bool]:
    """(code, ok): the standalone module export writes, or the errors as comments."""
    from netcanvas.backend.compiler import CompileError
    from netcanvas.backend.export import export_python

    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.py"
            export_python(graph, path)
            return path.read_text(encoding="utf-8"), True
    except CompileError as exc:
        lines = str(exc).splitlines() or ["the graph cannot be compiled"]
        return "# Fix these problems to see the code:\n" + "\n".join(f"#   {ln}" for ln in lines), False


class CodePanel(QWidget):
    _delivered = Signal(int, str, bool)  # generation, text, ok (crosses from the worker)

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
            text, ok = generate_code(graph)
        except Exception as exc:  # noqa: BLE001  (an exporter bug must show, not vanish)
            text, ok = f"# Code generation failed: {type(exc).__name__}: {exc}", False
        try:
            self._delivered.emit(generation, text, ok)
        except RuntimeError:
            pass  # the panel was closed meanwhile

    def _show(self, generation: int, text: str, ok: bool) -> None:
        if generation != self._generation:
            return
        bar = self.editor.verticalScrollBar()
        scroll = bar.value()
        self.editor.setLineWrapMode(QPlainTextEdit.NoWrap if ok else QPlainTextEdit.WidgetWidth)
        self.editor.setPlainText(text)
        bar.setValue(scroll)
        self._shown_generation = generation
        self.status.setText("" if ok else "The graph has errors.")
