"""The training doctor in the app: follows the live run's events, puts each finding on its
node (an amber badge, the finding in the tooltip) and in the Problems panel with its fix,
which the quick-fix menu offers as an undoable edit for the next run. The findings of the
last run stay until the next run starts."""

from __future__ import annotations

from netcanvas.backend.doctor.live import TrainingDoctor
from netcanvas.backend.training.events import Started
from PySide6.QtCore import QObject, Signal


class DoctorWatch(QObject):
    findings_changed = Signal(list)  # the current findings (backend Finding objects)

    def __init__(self, workspace, document_of, scene_of, parent=None) -> None:
        """Follows the `workspace`'s job (a new one clears the findings) and the live run's
        events, which the workspace publishes."""
        super().__init__(parent)
        self.workspace = workspace
        self.document_of = document_of  # () -> the open Document
        self.scene_of = scene_of  # () -> the GraphScene showing it
        self.doctor: TrainingDoctor | None = None
        self.shown: list = []
        workspace.subscribe("job", lambda job: job is not None and self.reset())
        workspace.subscribe("event", self.observe)

    def reset(self) -> None:
        self.doctor = None
        self._show([])

    def observe(self, event) -> None:
        if isinstance(event, Started):
            job = self.workspace.job  # the live run's
            dataset = job.dataset
            classes = (dataset.num_classes if dataset is not None
                       and dataset.task == "classification" else None)
            self.doctor = TrainingDoctor(job.project, classes)
            return
        if self.doctor is None:
            return
        self.doctor.observe(event)
        if self.doctor.findings != self.shown:  # new, gone, or changed evidence
            self._show(self.doctor.findings)

    def _show(self, findings: list) -> None:
        self.shown = list(findings)
        doc = self.document_of()
        if doc is not None:
            doc.live_findings = self.shown
            doc.analysis_changed.emit(doc.analysis)  # the Problems panel re-reads findings
        scene = self.scene_of()
        if scene is not None:
            notes: dict[str, list[str]] = {}
            for f in self.shown:
                notes.setdefault(f.node_id, []).append(f.message)
            scene.set_notes({node_id: "\n".join(lines) for node_id, lines in notes.items()})
        self.findings_changed.emit(self.shown)
