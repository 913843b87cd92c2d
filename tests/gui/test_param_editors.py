"""app/param_editors.py, the one widget factory for a `Param`: every parameter of every
registered layer and every setting shows its default and reads it back as a value its
declaration accepts unchanged, in the inspector's form (numbers typed) and the forms'."""

from __future__ import annotations

import pytest
from netcanvas.app import param_editors as pe
from netcanvas.backend.registry import REGISTRY
from netcanvas.backend.settings import TRAINING

PARAMS = [pytest.param(p, id=f"{t}.{p.name}") for t, s in sorted(REGISTRY.items())
          for p in s.params] + [pytest.param(p, id=f"training.{p.name}") for p in TRAINING]


@pytest.mark.parametrize("param", PARAMS)
@pytest.mark.parametrize("spin_floats", [True, False], ids=["form", "inspector"])
def test_every_param_round_trips_its_default(qtbot, param, spin_floats):
    widget = pe.make_widget(param, spin_floats=spin_floats)
    qtbot.addWidget(widget)
    pe.show(widget, param.default)
    assert param.validate(pe.value(widget)) == param.validate(param.default)
    assert widget.toolTip() == param.doc and widget.objectName() == param.name


def test_an_inspector_editor_commits_each_change_once(qtbot):
    spec = REGISTRY["conv2d"]
    editor = pe.ParamEditor(spec.param("kernel_size"))
    qtbot.addWidget(editor.widget)
    editor.set_value((3, 3))
    assert editor.widget.text() == "3, 3"
    got = []
    editor.committed.connect(got.append)
    editor.widget.editingFinished.emit()  # focus-out on unchanged text: no edit
    editor.widget.setText("5x5")
    editor.widget.editingFinished.emit()
    assert got == [[5, 5]]
    count = pe.ParamEditor(spec.param("out_channels"))
    qtbot.addWidget(count.widget)
    count.committed.connect(got.append)
    count.widget.setValue(7)
    assert got[-1] == 7
