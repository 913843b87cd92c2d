"""Code panel: an export that cannot be written shows why; code is built on the meta device."""

from __future__ import annotations

import itertools

import pytest
import torch
from netcanvas.app.code_panel import CodePanel
from netcanvas.app.files import examples
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import load_project
from netcanvas.backend.registry import REGISTRY, LayerSpec, Port
from netcanvas.backend.registry.layers.common import same_shape


class Scale(torch.nn.Module):
    """Stores its argument under another name, so code export cannot read it back."""

    def __init__(self, factor: float):
        super().__init__()
        self.k = factor
        self.gain = torch.nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x * self.k * self.gain

    def extra_repr(self) -> str:
        return f"k={self.k}"


@pytest.fixture
def scale_layer():
    """A registered layer that records the device each build's weights were made on."""
    devices: list[str] = []

    def build(params, inputs):
        module = Scale(2.0)
        devices.append(module.gain.device.type)
        return module

    spec = LayerSpec(type_id="test_code_scale", title="Scale", category="Activation",
                     doc="test", inputs=(Port("x"),), outputs=(Port("y"),), params=(),
                     infer_shape=same_shape, build=build)
    REGISTRY[spec.type_id] = spec
    yield devices
    del REGISTRY[spec.type_id]


def _graph(*type_ids: str) -> Graph:
    graph = Graph()
    ids = [graph.add("input", "x", shape=(4,))]
    ids += [graph.add(t, f"n{i}") for i, t in enumerate(type_ids)]
    ids.append(graph.add("output", "y", loss="mse"))
    for a, b in itertools.pairwise(ids):
        graph.connect(a, b)
    return graph


def _shown_code(panel: CodePanel, graph: Graph, qtbot) -> str:
    panel.set_project(Project(graph))
    qtbot.waitUntil(lambda: panel.up_to_date, timeout=60_000)
    return panel.editor.toPlainText()


@pytest.fixture
def panel(qtbot):
    widget = CodePanel()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_a_module_export_cannot_write_shows_a_message_naming_the_node(panel, qtbot,
                                                                       scale_layer):
    code = _shown_code(panel, _graph("test_code_scale"), qtbot)
    assert code.startswith("# This graph cannot be written as code:")
    assert "'n0'" in code
    assert panel.status.text() == "Code export cannot write this graph."
    assert scale_layer == ["meta"]  # the code thread never made real weights
    # the panel recovers once the graph can be written again
    code = _shown_code(panel, _graph("linear"), qtbot)
    assert "nn.Linear(4, " in code and panel.status.text() == ""


@pytest.mark.parametrize("example", ["resnet18", "inception_block"])
def test_code_is_shown_for_an_example_with_blocks(panel, qtbot, example):
    """The panel's copy of the project keeps its block definitions."""
    path = next(p for p in examples() if p.stem == example)
    panel.set_project(load_project(path))
    qtbot.waitUntil(lambda: panel.up_to_date, timeout=60_000)
    code = panel.editor.toPlainText()
    assert panel.status.text() == "", code
    assert "unknown layer type" not in code and "class " in code
