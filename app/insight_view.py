"""Looking inside on the canvas: the Circuit toggle (values and gradients on every wire,
from backend/insight/circuit.py) and the live per-layer statistics of a run. Computation
is the backend's; this turns its plain results into the overlay's texts and colours."""

from __future__ import annotations

import math

from netcanvas.app.circuit_readings import CircuitReadings, circuit_readings
from netcanvas.app.workers import Latest
from netcanvas.backend.training.events import LayerStats
from netcanvas.graph_editor.overlay import CanvasOverlay
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction

RECOMPUTE_MS = 150  # after an edit, the circuit is recomputed once the edits pause
SPARK_POINTS = 40


def stats_note(values: dict[str, float]) -> str:
    parts = []
    if "std" in values:
        parts.append(f"σ {values['std']:.2g}")
    if values.get("zeros", 0) >= 0.005:
        parts.append(f"{values['zeros']:.0%} zero")
    if "grad_norm" in values:
        parts.append(f"‖∇‖ {values['grad_norm']:.1e}")
    return " · ".join(parts)


def std_scale(std: float) -> float:
    """0 at σ ≤ 0.01, 0.5 at σ = 1, 1 at σ ≥ 100 (log scale), for the wire colours."""
    return (math.log10(max(std, 1e-12)) + 2) / 4


class InsightController(QObject):
    """The Circuit action (added to `menu` and `toolbar`) and the live statistics on the
    canvas. Reads the project, the shown run, the dataset and the chosen sample from the
    `workspace`, and the live run's LayerStats events from its event stream; `on_canvas()`
    says whether statistics go on the canvas (the Layers tab's choice), `canvas_toggled`
    tells when that changes; `show_message(text, ms)` is the status bar's."""

    def __init__(self, workspace, parent: QObject, *, menu, toolbar, show_message,
                 on_canvas, canvas_toggled) -> None:
        super().__init__(parent)
        self.workspace, self.show_message, self.on_canvas = workspace, show_message, on_canvas
        self.overlay: CanvasOverlay | None = None
        self.graph = None
        self.history: dict[str, list[float]] = {}
        self.weights = ""  # whose weights the circuit shows: "(test sample 3, trained weights)"
        self.circuit = QAction("Circuit", parent, checkable=True)
        self.circuit.setStatusTip("Show each wire's value and the gradient of the output with "
                                  "respect to it (one forward and backward pass)")
        self.circuit.setShortcut("Ctrl+Shift+B")
        self.circuit.toggled.connect(self._circuit_toggled)
        toolbar.addSeparator()
        toolbar.addAction(self.circuit)
        menu.addSeparator()
        menu.addAction(self.circuit)
        self._timer = QTimer(self, singleShot=True, interval=RECOMPUTE_MS)
        self._timer.timeout.connect(self.show_circuit)
        self._circuits = Latest(self, self._circuit_done, self._circuit_failed)
        workspace.on_events({LayerStats: self.show_layer_stats})
        workspace.subscribe("job", lambda job: None if job is None else self.history.clear())
        canvas_toggled.connect(lambda on: None if on else self._clear_stats())
        workspace.subscribe("shown", lambda _run: self._graph_changed())  # follows the run

    def set_scene(self, scene, graph) -> None:
        if self.graph is not None:
            self.graph.changed.disconnect(self._graph_changed)
        self.overlay, self.graph = CanvasOverlay(scene), graph
        self.history.clear()
        graph.changed.connect(self._graph_changed)
        if self.circuit.isChecked():
            self.show_circuit()

    # ---- the circuit ---------------------------------------------------------------
    def _circuit_toggled(self, on: bool) -> None:
        if on:
            self.show_circuit()
        elif self.overlay is not None:
            self.overlay.clear()

    def _graph_changed(self) -> None:
        if self.circuit.isChecked():
            self._timer.start()

    def show_circuit(self) -> None:
        """One forward and backward pass on a copy of the graph, on a Worker (a real network
        takes a while); edits meanwhile are computed next."""
        if self.overlay is None or not self.circuit.isChecked():
            return
        ws = self.workspace
        project = ws.project.copy()
        self._circuits.request(circuit_readings, project.graph, ws.trained_run(), ws.dataset,
                               ws.sample, context=self.graph)

    def _circuit_done(self, graph, readings: CircuitReadings) -> None:
        if self.overlay is None or graph is not self.graph or not self.circuit.isChecked():
            return
        self.overlay.clear()
        self.weights = readings.message
        self.overlay.show_wires(readings.wires)
        self.overlay.show_notes(readings.notes)
        self.show_message(readings.message, 15000)

    def _circuit_failed(self, graph, exc: Exception) -> None:
        from netcanvas.backend.compiler import CompileError
        from netcanvas.backend.insight.circuit import CircuitError

        if self.overlay is None or graph is not self.graph:
            return
        self.overlay.clear()
        message = (str(exc).splitlines()[0] if isinstance(exc, (CircuitError, CompileError))
                   else f"the forward pass failed: {exc}")  # a forward that fails says so
        self.show_message(f"Circuit: {message}", 8000)

    # ---- live statistics -------------------------------------------------------------
    def show_layer_stats(self, ev) -> None:
        if (self.overlay is None or self.circuit.isChecked()
                or not self.on_canvas()):
            return
        by_name = {n.name: n for n in self.graph.nodes.values()}
        notes, sparks, colours = {}, {}, {}
        for name, values in ev.layers.items():
            node = by_name.get(name)
            if node is None:
                continue
            key = "grad_norm" if "grad_norm" in values else "std"
            line = self.history.setdefault(name, [])
            line.append(math.log10(max(values[key], 1e-12)))
            del line[:-SPARK_POINTS]
            notes[node.id], sparks[node.id] = stats_note(values), line
            if "std" in values:
                colours[(node.id, node.spec.outputs[0].name)] = std_scale(values["std"])
        self.overlay.show_notes(notes, sparks)
        self.overlay.show_wires(colours=colours)
        if self.overlay.legend is None:
            self.overlay.show_legend("wire colour: output σ · card: ‖∇‖ (σ) over time",
                                     "≤ 0.01", "1", "≥ 100")

    def _clear_stats(self) -> None:
        if self.overlay is not None and not self.circuit.isChecked():
            self.overlay.clear()
