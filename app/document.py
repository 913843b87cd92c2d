"""The open document: the project, where it lives, its undo history and its shape analysis."""

from __future__ import annotations

from pathlib import Path

from netcanvas.backend.doctor import DataFacts, Finding, lint
from netcanvas.backend.project import Project
from netcanvas.backend.shapes import Analysis, analyze
from netcanvas.graph_editor import EditDocument
from PySide6.QtCore import QObject, QTimer, Signal


class Document(EditDocument):
    """Owns one project. Every edit, of the graph or of the settings, goes through `push`
    (or `offer`) so it can be undone; the analysis is re-run once per undo step (or once per
    event-loop turn for edits made outside the stack) rather than once per graph event."""

    analysis_changed = Signal(object)  # Analysis
    modified_changed = Signal(bool)
    title_changed = Signal(str)

    def __init__(self, project: Project | None = None, path: str | Path | None = None,
                 display_name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(project, parent)
        self.path = Path(path) if path else None
        self.example: Path | None = None  # the bundled example it was opened from, if any
        self._display_name = display_name
        self._marked_modified = False
        self.undo_stack.cleanChanged.connect(self._emit_modified)
        self.undo_stack.indexChanged.connect(self._refresh_if_stale)
        self._stale = False
        self.data_facts: DataFacts | None = None  # the loaded dataset's shape and classes
        self._analysis = analyze(self.graph)
        self._findings = lint(self.project, self._analysis)
        self.live_findings: list[Finding] = []  # set by app/doctor_watch.py
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._refresh_if_stale)
        self.graph.changed.connect(self._graph_changed)

    @property
    def analysis(self) -> Analysis:
        self._refresh_if_stale()
        return self._analysis

    @property
    def findings(self) -> list[Finding]:
        """The lint findings of the current analysis (backend/doctor), then the training
        doctor's findings of the last run on nodes that are still here."""
        self._refresh_if_stale()
        return self._findings + [f for f in self.live_findings if f.node_id in self.graph.nodes]

    def set_data_facts(self, facts: DataFacts | None) -> None:
        self.data_facts = facts
        self.refresh()

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
        return self._marked_modified or not self.undo_stack.isClean()

    def mark_modified(self) -> None:
        """For changes outside the undo stack: a recovered document."""
        if not self._marked_modified:
            was = self.modified
            self._marked_modified = True
            if not was:
                self._emit_modified()

    def mark_saved(self, path: str | Path) -> None:
        self.path = Path(path)
        self._display_name = None
        self._marked_modified = False
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
