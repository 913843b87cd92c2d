"""What is shown fits its place (issue 21, bug 8): a refused long name does not widen the
Inspector; the export dialog keeps its fields' heights when its notes show."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from test_app_support import *  # fixtures: window, isolated


def test_a_refused_long_name_does_not_widen_the_inspector(window, qtbot):
    fc1 = window.document.graph.by_name("fc1")
    window.scene.select_nodes([fc1.id])
    QApplication.processEvents()
    inspector = window.inspector
    width = window.inspector_dock.width()
    inspector.name_edit.setText("a" * 150)
    inspector.name_edit.editingFinished.emit()
    QApplication.processEvents()
    assert inspector.message.isVisible() and "150 characters" in inspector.message.text()
    assert window.inspector_dock.width() == width
    assert inspector.widget().minimumSizeHint().width() <= inspector.viewport().width()
    window.grab().save("/tmp/inspector_long_name.png")


def test_the_export_dialog_keeps_its_fields_whole_when_its_notes_show(qtbot, tmp_path):
    import itertools

    from netcanvas.app.training.export_dialogs import ExportDialog
    from netcanvas.backend.graph import SetParam
    from netcanvas.backend.project import Project
    from netcanvas.backend.runs import RunStore

    project = Project()
    g = project.graph
    chain = [g.add("input", shape=(2,)), g.add("linear", out_features=2), g.add("output")]
    for a, b in itertools.pairwise(chain):
        g.connect(a, b)
    run = RunStore("fits", tmp_path).new_run(project)
    SetParam(chain[1].id, "out_features", 3).apply(project.graph)  # the graph changed since
    dialog = ExportDialog("onnx", run, project)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.changed.isVisible()
    dialog._say(f"Wrote {tmp_path}/{'a-long-name' * 8}.onnx: verified with ONNX "
                          "Runtime on a batch of 4; max |difference| = 1.19e-07 (relative "
                          "3.2e-08). " * 2)
    QApplication.processEvents()
    for field in (dialog.path, dialog.opset, dialog.dynamic_batch, dialog.normalize):
        assert field.height() >= field.minimumSizeHint().height(), field
    dialog.grab().save("/tmp/export_dialog_notes.png")


def test_the_layer_statistics_legend_sits_beside_the_curves(qtbot):
    from types import SimpleNamespace

    from netcanvas.app.training.layers_tab import LayersTab

    tab = LayersTab()
    qtbot.addWidget(tab)
    tab.resize(700, 300)
    tab.show()
    qtbot.waitExposed(tab)
    for step in range(1, 30):
        tab.add(SimpleNamespace(step=step, layers={
            f"layer{i}": {"std": 0.5 + i + step / 30, "grad_norm": 1e-3 * (i + 1)}
            for i in range(6)}))
    QApplication.processEvents()
    plot = tab.plot.getPlotItem()
    box = plot.vb.sceneBoundingRect()
    legend = tab.legend.sceneBoundingRect()
    tab.grab().save("/tmp/layer_stats_legend.png")
    assert len(tab.legend.items) == 6 and legend.left() >= box.right() - 1, (legend, box)
