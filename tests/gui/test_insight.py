"""Looking inside, in the real main window: the Circuit toggle writes values and gradients
on the wires, live layer statistics reach the Layers tab and the canvas, and the
Evaluation tab shows feature maps and filters."""

from pathlib import Path

import pytest
import torch
from netcanvas.app.training.features_view import FeatureMapsPanel
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.data.types import Split
from netcanvas.backend.graph import Graph
from netcanvas.backend.graph.edits import SetParam
from netcanvas.backend.project_io import load_project
from PySide6.QtCore import Qt
from test_app_support import *  # fixtures: window, isolated
from test_training_dock import mlp_project, open_project, run_to_end

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def readings(win) -> dict[tuple[str, str], tuple[str, str] | None]:
    graph = win.document.graph
    return {(graph.nodes[e.src].name, graph.nodes[e.dst].name): item.reading
            for e, item in win.scene.edge_items().items()}


def test_circuit_toggle_shows_the_course_values_on_the_wires(qtbot, window):
    open_project(window, load_project(EXAMPLES / "backprop_circuit.netcanvas"))
    toolbar = window.actions.toolbar
    button = toolbar.widgetForAction(window.insight.circuit)
    qtbot.mouseClick(button, Qt.LeftButton)
    assert window.insight.circuit.isChecked()
    qtbot.waitUntil(lambda: readings(window)[("f", "out")] is not None)  # off the GUI thread
    assert readings(window) == {
        ("x", "q"): ("-2", "∂ -4"), ("y", "q"): ("5", "∂ -4"), ("q", "f"): ("3", "∂ -4"),
        ("z", "f"): ("-4", "∂ 3"), ("f", "out"): ("-12", "∂ 1")}
    graph = window.document.graph
    notes = window.insight.overlay.notes
    assert notes[graph.by_name("f").id].text == "∂f/∂q = -4  ∂f/∂z = 3"
    assert notes[graph.by_name("q").id].text == "∂q/∂x = 1  ∂q/∂y = 1"
    assert "out = -12" in window.statusBar().currentMessage()

    # Editing a Constant (as the inspector does) recomputes the circuit.
    window.document.push(SetParam(graph.by_name("z").id, "value", 2.0))
    qtbot.waitUntil(lambda: readings(window)[("f", "out")] == ("6", "∂ 1"))
    assert readings(window)[("x", "q")] == ("-2", "∂ 2")

    window.insight.circuit.setChecked(False)
    assert set(readings(window).values()) == {None} and not notes


@pytest.mark.slow
def test_layer_statistics_reach_the_layers_tab_and_the_canvas(qtbot, window):
    open_project(window, mlp_project(epochs=3))
    dock = window.training_dock
    result = run_to_end(qtbot, dock)
    assert result is not None and result.failed is None
    tab = dock.layers_tab
    graph = window.document.graph
    fc = next(n for n in graph.nodes.values() if n.type_id == "linear")
    assert tab.collect.isChecked() and len(tab.history[fc.name]["grad_norm"]) >= 3
    assert tab.plot.getPlotItem().listDataItems(), "one curve per layer"
    note = window.insight.overlay.notes[fc.id]
    assert "‖∇‖" in note.text and len(note.spark) >= 3
    tinted = [item for item in window.scene.edge_items().values() if item.tint is not None]
    assert tinted and window.insight.overlay.legend is not None
    tab.on_canvas.click()  # off: the canvas is plain again
    assert not window.insight.overlay.notes and window.insight.overlay.legend is None


def test_big_graphs_start_with_statistics_off(window):
    tab = window.training_dock.layers_tab
    assert tab.prepare(200) == 0 and not tab.on_canvas.isChecked()
    assert tab.prepare(10) == tab.every.value()


def test_feature_maps_and_filters(qtbot):
    g = Graph()
    x = g.add("input", "image", shape=(1, 6, 6))
    conv = g.add("conv2d", "conv1", out_channels=4, kernel_size=3, padding=1)
    relu = g.add("relu", "relu1")
    flat = g.add("flatten", "flat")
    g.connect(x, conv)
    g.connect(conv, relu)
    g.connect(relu, flat)
    g.connect(flat, g.add("output", "out", loss="none"))
    model = compile_graph(g)
    panel = FeatureMapsPanel()
    qtbot.addWidget(panel)
    data = Split(torch.randn(3, 1, 6, 6), torch.tensor([0, 1, 2]))
    panel.set_dataset(type("Dataset", (), {"test": data})())
    panel.set_model(model)
    assert [panel.node.itemText(i) for i in range(panel.node.count())] == [
        "conv1", "relu1", "flat"]
    assert panel.sample.maximum() == 2
    assert "4 channel(s) of 6×6" in panel.note.text()
    assert panel.maps.widget().layout().count() == 4
    assert "first convolution (4 kernels, 3×3)" in panel.filters_note.text()
    panel.sample.setValue(2)
    assert "test sample 2 (label 2)" in panel.note.text()
    panel.node.setCurrentText("flat")
    assert "1 channel(s) of 1×144" in panel.note.text()


def test_the_circuit_follows_the_run_that_ends(qtbot, window):
    """Circuit on while a run trains: when it ends the wires show its trained weights."""
    open_project(window, mlp_project(epochs=1))
    window.insight.circuit.setChecked(True)
    qtbot.waitUntil(lambda: "untrained weights" in window.insight.weights, timeout=10_000)
    run_to_end(qtbot, window.training_dock)
    qtbot.waitUntil(lambda: "trained weights" in window.insight.weights
                    and "untrained" not in window.insight.weights, timeout=10_000)


def test_the_wire_legend_fades_while_the_pointer_is_over_it(qtbot):
    from netcanvas.graph_editor.overlay import LegendWidget
    from netcanvas.graph_editor.style import Style
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QGraphicsScene, QGraphicsView

    view = QGraphicsView(QGraphicsScene())
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    style = Style.from_palette(view.palette())
    legend = LegendWidget(view, style, "wire colour", "low", "mid", "high")
    legend.show()
    viewport = view.viewport()
    inside = viewport.mapFrom(view, legend.geometry().center())
    QTest.mouseMove(viewport, inside)
    qtbot.waitUntil(lambda: legend.opacity.opacity() == LegendWidget.FADED)
    QTest.mouseMove(viewport, QPoint(20, 20))
    qtbot.waitUntil(lambda: legend.opacity.opacity() == 1.0)
