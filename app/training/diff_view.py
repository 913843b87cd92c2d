"""Two runs diffed in one view: the later run's graph on a read-only canvas with added and
changed nodes marked (what changed in each, in its tooltip and the list beside), the removed
nodes, rewired edges and changed settings listed, both runs' validation curves overlaid and
their final metrics side by side. The same as `netcanvas diff RUN_A RUN_B`."""

from __future__ import annotations

import math

import pyqtgraph as pg
from netcanvas.app.node_kinds import node_kinds
from netcanvas.app.training.colours import colour, palette_colours, style_plot
from netcanvas.app.training.metrics_table import MetricsTable
from netcanvas.backend.graph.diff import ADDED, CHANGED, diff_projects
from netcanvas.backend.project_io import project_from_dict, project_to_dict
from netcanvas.graph_editor.document import EditDocument
from netcanvas.graph_editor.scene import GraphScene
from netcanvas.graph_editor.view import GraphView
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QLabel, QSplitter, QVBoxLayout, QWidget


def diff_marks(diff) -> dict[str, tuple[str, str]]:
    """Pills by node id: "added", or "changed: <fields>"."""
    marks = {}
    for change in diff.nodes:
        if change.status == ADDED:
            marks[change.node_id] = ("added", "added")
        elif change.status == CHANGED:
            fields = ", ".join(k.removeprefix("training.") for k in change.fields)
            marks[change.node_id] = (f"changed: {fields}", "changed")
    return marks


class RunDiffView(QDialog):
    def __init__(self, earlier, later, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Run {earlier.number} → run {later.number}: what changed, "
                            "what it did")
        self.diff = diff_projects(earlier.project, later.project)
        snapshot = project_from_dict(project_to_dict(later.project))  # never the run's own
        self.document = EditDocument(snapshot, self)
        self.scene = GraphScene(self.document, self, kinds=node_kinds())
        self.scene.set_marks(diff_marks(self.diff))
        self.view = GraphView(self.scene)
        self.view.setInteractive(False)  # a picture of the run's graph, not an editor

        self.changes = QLabel(wordWrap=True, textInteractionFlags=Qt.TextSelectableByMouse)
        self.changes.setObjectName("diff_changes")
        self.changes.setText("<br>".join(_html(line) for line in self.diff.lines()))
        self.metrics = MetricsTable()
        self.metrics.show_runs([earlier, later])
        self.curves = pg.PlotWidget(background=palette_colours(self)[0])
        plot = self.curves.getPlotItem()
        style_plot(plot, self, "Validation", "epoch", "")
        plot.addLegend(offset=(-10, 10))
        for run in (earlier, later):
            key = next((k for k in ("val_accuracy", "val_r2", "val_loss")
                        if run.history and k in run.history[0]), None)
            if key is not None:
                ys = [h.get(key, math.nan) for h in run.history]
                plot.plot(list(range(1, len(ys) + 1)), ys, name=f"run {run.number} {key}",
                          pen=pg.mkPen(colour(run.number - 1), width=2), symbol="o",
                          symbolSize=5, symbolBrush=colour(run.number - 1))

        side = QSplitter(Qt.Vertical)
        side.addWidget(self.changes)
        side.addWidget(self.metrics)
        side.addWidget(self.curves)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.view)
        split.addWidget(side)
        split.setSizes([700, 420])
        QVBoxLayout(self).addWidget(split)
        self.resize(1200, 720)
        QTimer.singleShot(0, lambda: self.view.frame(
            self.scene.nodes_rect().adjusted(-40, -40, 40, 40)))

    def done(self, result: int) -> None:
        self.scene.detach()
        super().done(result)


def _html(line: str) -> str:
    colour_of = {"+": "#2a8f4a", "-": "#c8462a", "~": "#c8821a"}
    text = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    c = colour_of.get(line[:1])
    return f'<span style="color:{c}">{text}</span>' if c else text
