"""The PyTorch path: functional calls as torch.fx records them (with their default keyword
arguments), a tensor joined with itself, and `netcanvas code` output keeping its names."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from netcanvas.backend.blocks.expand import flatten
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.export import python_source
from netcanvas.backend.importer import import_fx, trace
from netcanvas.backend.importer.pytorch import import_class, load_class
from netcanvas.backend.project_io import load_project
from torch import nn

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


class Calls(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.conv = nn.Conv2d(2, 2, 1)

    def forward(self, x):
        x = F.relu(self.fc(x))
        x = F.elu(x) + F.leaky_relu(x, 0.2) + F.relu6(x) + F.hardswish(x) + F.silu(x)
        x = F.dropout(x, 0.1, training=self.training)
        x = torch.cat([x, x], 1)
        y = F.interpolate(self.conv(x.view(x.size(0), 2, 4, 2)), scale_factor=2.0)
        return F.log_softmax(F.softmax(y.flatten(1), dim=1), dim=1)


def test_functional_calls_with_recorded_defaults_and_a_self_concat_import_exactly():
    torch.manual_seed(0)
    model = Calls().eval()
    imported = import_fx(trace(model), [(8,)])
    compiled = compile_graph(imported.graph)
    compiled.module.load_state_dict(imported.weights)
    x = torch.randn(3, 8)
    with torch.no_grad():
        assert torch.allclose(compiled.module.eval()(x), model(x), atol=1e-6)


@pytest.mark.parametrize("name", ["residual_cnn", "inception_block", "two_stream"])
def test_code_output_imports_back_with_every_name(name, tmp_path):
    project = flatten(load_project(EXAMPLES / f"{name}.netcanvas"))
    code = tmp_path / "net.py"
    code.write_text(python_source(compile_graph(project.graph), "Net"), encoding="utf-8")
    imported = import_class(load_class(code, "Net"), [], None, blocks=False)
    want = {n.name for n in project.graph.nodes.values()}
    assert {n.name for n in imported.graph.nodes.values()} == want


class SequencePool(nn.Module):
    """A user's own class that only shares a NetCanvas helper's name: it sums."""

    def forward(self, x):
        return x.sum(dim=1)


class Summed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pool = SequencePool()

    def forward(self, x):
        return self.pool(x)


def test_a_class_merely_named_like_a_helper_is_traced_through_not_taken_for_it():
    imported = import_fx(trace(Summed()), [(5, 3)], blocks=False)
    assert "sequence_pool" not in {n.type_id for n in imported.graph.nodes.values()}
    compiled = compile_graph(imported.graph)
    compiled.module.load_state_dict(imported.weights)
    x = torch.randn(2, 5, 3)
    with torch.no_grad():
        torch.testing.assert_close(compiled.module.eval()(x), x.sum(dim=1))
