"""What is shown fits its place (issue 21, bug 8): a refused long name does not widen the
Inspector; the export dialog keeps its fields' heights when its notes show."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QGroupBox, QScrollArea
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
    """Beside the plot, never over a curve; one line per layer at the top of its cell
    (stretched to the plot's height, each name floated off its swatch), in the text colour."""
    from types import SimpleNamespace

    from netcanvas.app.training.layers_tab import LayersTab

    tab = LayersTab()
    qtbot.addWidget(tab)
    tab.resize(700, 400)
    tab.show()
    qtbot.waitExposed(tab)
    for step in range(1, 30):
        tab.add(SimpleNamespace(step=step, layers={
            f"layer{i}": {"std": 0.5 + i + step / 30, "grad_norm": 1e-3 * (i + 1)}
            for i in range(6)}))
    plot, legend = tab.plot.getPlotItem(), tab.legend
    seen = []

    def laid_out() -> bool:  # the graphics layouts settle over several event-loop passes
        seen.append((legend.sceneBoundingRect(), plot.vb.sceneBoundingRect()))
        return len(seen) > 3 and all(s == seen[-1] for s in seen[-4:])

    qtbot.waitUntil(laid_out)
    legend_box, box = seen[-1]
    tab.grab().save("/tmp/layer_stats_legend.png")
    assert len(legend.items) == 6 and legend_box.left() >= box.right() - 1, (legend_box, box)
    assert legend_box.top() == pytest.approx(box.top(), abs=2)
    assert legend_box.height() < 6 * 30, "one line per layer, not the plot's height"
    text = tab.palette().color(tab.palette().ColorRole.Text)
    assert {label.opts["color"].name() for _sample, label in legend.items} == {text.name()}


def test_a_long_problem_wraps_into_a_row_tall_enough_to_read_whole(window, qtbot):
    window.resize(1000, 700)  # the problem is longer than its column is wide
    graph = window.document.graph
    fc2, logits = graph.by_name("fc2"), graph.by_name("logits")
    graph.remove_edge(graph.edges_into(logits.id)[0])
    graph.connect(graph.connect(fc2, graph.add("relu", "squash")).dst, logits)
    panel = window.problems  # "ReLU 'squash' is applied to the scores Output 'logits' ..."
    window.problems_dock.raise_()
    qtbot.waitUntil(lambda: panel.topLevelItemCount() and "applied to the scores" in
                    panel.topLevelItem(0).text(1))
    QApplication.processEvents()
    item = panel.topLevelItem(0)
    header = panel.header()
    width = header.sectionSize(1)
    assert header.sectionViewportPosition(1) + width <= panel.viewport().width()
    metrics = panel.fontMetrics()
    wrapped = metrics.boundingRect(QRect(0, 0, width, 10_000), Qt.TextWordWrap, item.text(1))
    assert wrapped.height() >= 2 * metrics.lineSpacing()  # it does need more than one line
    assert panel.visualItemRect(item).height() >= wrapped.height()
    window.grab().save("/tmp/problems_wrapped.png")


def _settings_tab(window, size):
    window.resize(*size)
    dock = window.training_dock
    dock.show()
    dock.raise_()
    scroll = dock.tabs.widget(1)
    dock.tabs.setCurrentWidget(scroll)
    _laid_out()
    return dock.settings_form, scroll


def _laid_out():
    for _ in range(3):  # the window's, the dock's and the scroll areas' layouts, in turn
        QApplication.sendPostedEvents(None, QEvent.LayoutRequest)
        QApplication.processEvents()


def _groups(form):
    return {box.title(): box for box in form.findChildren(QGroupBox)}


def test_the_settings_tab_shows_every_group_at_the_default_window_size(window):
    form, _scroll = _settings_tab(window, (1440, 900))  # MainWindow's own default size
    seen = window.training_dock.widget().viewport()  # what the Training dock shows
    assert "Adversarial training" in _groups(form)
    for title, box in _groups(form).items():
        left = box.mapTo(seen, QPoint(0, 0)).x()
        assert 0 <= left and left + box.width() <= seen.width(), title
    window.grab().save("/tmp/settings_default.png")


def test_settings_groups_wrap_under_each_other_where_the_tab_is_narrow(qtbot):
    from netcanvas.app.training.settings_form import SettingsForm

    scroll = QScrollArea(widgetResizable=True)
    qtbot.addWidget(scroll)
    form = SettingsForm()
    scroll.setWidget(form)
    scroll.resize(560, 260)
    scroll.show()
    qtbot.waitExposed(scroll)
    _laid_out()
    assert scroll.horizontalScrollBar().maximum() == 0  # nothing off to the right
    groups = _groups(form)
    for title, box in groups.items():
        assert box.geometry().right() < scroll.viewport().width(), title
    assert len({box.y() for box in groups.values()}) > 1  # in more than one row
    adversarial = groups["Adversarial training"]
    scroll.ensureWidgetVisible(adversarial)  # reachable: scrolled to, it shows whole
    shown = scroll.viewport().rect().translated(0, scroll.verticalScrollBar().value())
    assert shown.contains(adversarial.geometry())
    scroll.grab().save("/tmp/settings_narrow.png")
    qtbot.waitUntil(form._probe.isFinished, timeout=60_000)  # its GPU probe, on show


def test_the_memory_estimate_reads_as_two_whole_lines(window):
    _form, _scroll = _settings_tab(window, (1440, 900))
    label = window.training_dock.memory_label
    lines = label.text().splitlines()
    assert len(lines) == 2 and "largest batch" in lines[1]
    room = label.contentsRect().width()
    assert all(label.fontMetrics().horizontalAdvance(line) <= room for line in lines)
    assert label.height() < 3 * label.fontMetrics().lineSpacing()
