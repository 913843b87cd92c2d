"""Repeated structure comes back as blocks: instances of one module class that hold the same
layers become instances of one definition, with the params that differ exposed, and the
imported model computes what the flat one does."""

from __future__ import annotations

import torch
from import_models import BasicBlock
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.importer import import_fx, trace
from torch import nn


class Stages(nn.Module):
    """Four basic blocks of two widths (the first of the second stage with a downsample)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.layer1 = nn.Sequential(BasicBlock(8, 8), BasicBlock(8, 8))
        self.layer2 = nn.Sequential(BasicBlock(8, 16, stride=2), BasicBlock(16, 16),
                                    BasicBlock(16, 16))
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(x.mean((2, 3)))


def _outputs(imported, x):
    model = compile_graph(imported.graph)
    model.module.load_state_dict(imported.weights)
    with torch.no_grad():
        return model.module.eval()(x)


def test_repeated_modules_fold_into_one_definition_with_the_differing_params_exposed():
    torch.manual_seed(0)
    model = Stages().eval()
    imported = import_fx(trace(model), [(3, 8, 8)])
    flat = import_fx(trace(model), [(3, 8, 8)], blocks=False)
    graph = imported.graph
    assert sorted(graph.blocks) == ["BasicBlock"]  # the one block with a downsample stays flat
    blocks = [n for n in graph.nodes.values() if n.type_id == "block"]
    assert [n.params["block"] for n in blocks] == ["BasicBlock"] * 4
    # conv2's width differs between the stages: exposed, set per instance
    widths = {n.name: n.params.get("conv2_out_channels") for n in blocks}
    assert widths == {"layer1_0": 8, "layer1_1": 8, "layer2_1": 16, "layer2_2": 16}
    assert len(graph.nodes) < len(flat.graph.nodes) - 20
    assert imported.notes[0] == "repeated structure as blocks: BasicBlock ×4"
    x = torch.randn(3, 3, 8, 8)
    assert torch.allclose(_outputs(imported, x), model(x), atol=1e-6)
