"""Settings' "Start from": what the next run's weights start as (random; the shown run's,
edit and continue; the weights an import saved beside the project; a weights file), and the
canvas marks edit and continue puts on each node (keeps its weights / partly kept /
re-initialised) while the graph differs from that run's."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QLabel

RANDOM, SHOWN, IMPORT, FILE = "random", "shown", "import", "file"
CHOICES = ((RANDOM, "Random weights"),
           (SHOWN, "The shown run's weights (edit and continue)"),
           (IMPORT, "Imported weights (beside the project file)"),
           (FILE, "A weights file or run folder…"))
MARKS = {"kept": ("keeps weights", "kept"), "partly": ("partly kept", "partly"),
         "new": ("re-initialised", "new")}


class StartFrom(QObject):
    """The "Start from" row of the training dock's settings form (its Run group), the
    report of what a start from weights loaded (`report`: the dock puts it on the Run tab)
    and the edit-and-continue marks (`marks_changed`, for the top-level canvas)."""

    changed = Signal()
    marks_changed = Signal(dict)  # node id -> (text, role)

    def __init__(self, form, workspace) -> None:
        """`form`: the settings form its row joins; `workspace`: its shown run, the run edit
        and continue starts from."""
        super().__init__(form)
        self.workspace = workspace
        self.report = QLabel(wordWrap=True, visible=False)
        self.report.setObjectName("start_from_report")
        self._document = None
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self.update_marks)
        self.changed.connect(self.update_marks)
        workspace.subscribe("shown", lambda _run: self.update_marks())
        self.combo = QComboBox()
        for key, text in CHOICES:
            self.combo.addItem(text, key)
        self.combo.setToolTip("What the next run's weights start as. Weights are matched to "
                              "nodes by name and shape; the run's first lines say what was "
                              "loaded, new or did not fit.")
        self.path: str | None = None  # the chosen file, for FILE
        self.combo.activated.connect(self._chosen)
        form.forms["seed"].addRow("Start from", self.combo)
        self._form = form

    # ---- the document and its marks ------------------------------------------------------
    def set_document(self, document) -> None:
        if self._document is not None:
            self._document.graph.changed.disconnect(self._timer.start)
        self._document = document
        document.graph.changed.connect(self._timer.start)
        self.report.hide()
        self.update_marks()

    def update_marks(self) -> None:
        shown = self.workspace.shown if self.choice == SHOWN else None
        document = self._document
        self.marks_changed.emit(marks_for(document.graph, shown) if document is not None else {})

    def reported(self, report) -> None:
        """A run's InitReport: shown on the Run tab until the next document."""
        lines = report.lines()
        self.report.setText(lines[0] + "<br>" + "<br>".join(
            line.strip() for line in lines[1:]))
        self.report.show()

    def source(self):
        """The InitSource the next run starts from, or None; ValueError (an InitError too)
        says why the choice cannot be used."""
        spec = self.spec(self.workspace.shown, self._document.path)
        if spec is None:
            return None
        from netcanvas.backend.settings import ALL_GPUS

        if self._document.project.training.device == ALL_GPUS:
            raise ValueError("a start from weights trains in this process: choose one device, "
                             f"not {ALL_GPUS}")
        from netcanvas.backend.training.init_weights import read_source

        source = read_source(spec["spec"], spec.get("project_path"), spec["which"])
        source.identity_new = spec["identity_new"]
        return source

    @property
    def choice(self) -> str:
        return self.combo.currentData()

    def choose(self, key: str, path: str | None = None) -> None:
        self.path = path if key == FILE else self.path
        self.combo.setCurrentIndex(self.combo.findData(key))
        self.changed.emit()

    def _chosen(self, _index: int) -> None:
        if self.choice == FILE:
            path, _ = QFileDialog.getOpenFileName(
                self._form, "Start from weights", "",
                "Weights (*.safetensors checkpoint.json run.json);;All files (*)")
            if not path:
                self.combo.setCurrentIndex(0)
            elif Path(path).name in ("checkpoint.json", "run.json"):
                path = str(Path(path).parent)
            self.path = path or None
        self.changed.emit()

    def spec(self, shown, project_path) -> dict | None:
        """The job's `init_from` (read in the worker: the arguments of read_source and
        whether new square layers start as the identity), or None for random weights.
        Raises ValueError saying why the choice cannot be used now."""
        choice = self.choice
        if choice == RANDOM:
            return None
        if choice == SHOWN:
            if shown is None:
                raise ValueError("edit and continue needs a run with trained weights: train "
                                 "once (or pick one in Experiments) first")
            return {"spec": str(shown.folder), "which": "best", "identity_new": True}
        if choice == IMPORT:
            if project_path is None:
                raise ValueError("imported weights sit beside the project file: save it first")
            return {"spec": "import", "project_path": str(project_path), "which": "best",
                    "identity_new": False}
        if not self.path:
            raise ValueError("choose a weights file or run folder to start from")
        return {"spec": self.path, "which": "best", "identity_new": False}


def marks_for(graph, shown) -> dict[str, tuple[str, str]]:
    """Edit-and-continue pills by node id: how each node with weights of `graph` would start
    from `shown`'s weights; {} when the graph trains as the run did or does not compile."""
    if shown is None or not shown.usable or not shown.graph_changed_graph(graph):
        return {}
    from netcanvas.backend.training.init_weights import fates_after_edit

    shapes = {k: tuple(v.shape) for k, v in shown.model().module.state_dict().items()}
    fates = fates_after_edit(graph, shapes)
    return {n.id: MARKS[fates[n.name]] for n in graph.nodes.values() if n.name in fates}
