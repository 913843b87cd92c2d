"""The open document: the project, where it lives, its undo history and its shape analysis."""

from __future__ import annotations

from pathlib import Path

from netcanvas.backend.doctor import DataFacts, Finding, lint
from netcanvas.backend.graph import Edit, Graph
from netcanvas.backend.project import Project
from netcanvas.backend.shapes import Analysis, analyze
from netcanvas.graph_editor.commands import EditCommand
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack


class Document(QObject):
    """Owns one project. Every graph edit goes through `push` so it can be undone; the
    analysis is re-run once per undo step (or once per event-loop turn for edits made
    outside the stack) rather than once per low-level graph event."""

    analysis_changed = Signal(object)  # Analysis
    modified_changed = Signal(bool)
    title_changed = Signal(str)

    def __init__(self, project: Project | None = None, path: str | Path | None = None,
                 display_name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project or Project()
        self.path = Path(path) if path else None
        self._display_name = display_name
        self._settings_modified = False
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._emit_modified)
        self.undo_stack.indexChanged.connect(self._refresh_if_stale)
        self._stale = False
        self.data_facts: DataFacts | None = None  # the loaded dataset's shape and classes
        self._analysis = analyze(self.graph)
        self._findings = lint(self.project, self._analysis)
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._refresh_if_stale)
        self.graph.changed.connect(self._graph_changed)

    @property
    def graph(self) -> Graph:
        return self.project.graph

    @property
    def analysis(self) -> Analysis:
        self._refresh_if_stale()
        return self._analysis

    @property
    def findings(self) -> list[Finding]:
        """The lint findings of the current analysis (backend/doctor)."""
        self._refresh_if_stale()
        return self._findings

    def set_data_facts(self, facts: DataFacts | None) -> None:
        self.data_facts = facts
        self.refresh()

    def push(self, edit: Edit) -> None:
        """Apply an edit as one undoable step. A refused edit raises GraphError or
        ParamError and leaves the document and the undo stack as they were."""
        edit.apply(self.graph)
        self.undo_stack.push(EditCommand(self.graph, edit, applied=True))

    def refresh(self) -> None:
        self._stale = False
        self._timer.stop()
        self._analysis = analyze(self.graph)
        self._findings = lint(self.project, self._analysis, self.data_facts)
        self.analysis_changed.emit(self._analysis)

    def _graph_changed(self) -> None:
        self._stale = True
        self._timer.start()

    def _refresh_if_stale(self, *_args) -> None:
        if self._stale:
            self.refresh()

    # ---- modified flag and title -------------------------------------------------
    @property
    def modified(self) -> bool:
        return self._settings_modified or not self.undo_stack.isClean()

    def mark_modified(self) -> None:
        """For changes outside the undo stack: dataset and training settings, a recovery."""
        if not self._settings_modified:
            was = self.modified
            self._settings_modified = True
            if not was:
                self._emit_modified()

    def mark_saved(self, path: str | Path) -> None:
        self.path = Path(path)
        self._display_name = None
        self._settings_modified = False
        self.undo_stack.setClean()
        self._emit_modified()

    @property
    def name(self) -> str:
        if self._display_name:
            return self._display_name
        return self.path.name if self.path else "Untitled"

    @property
    def title(self) -> str:
        return f"{self.name}{'*' if self.modified else ''} — NetCanvas"

    def _emit_modified(self, *_args) -> None:
        self.modified_changed.emit(self.modified)
        self.title_changed.emit(self.title)
