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


def test_repeated_modules_fold_into_one_definition_and_consecutive_instances_repeat():
    torch.manual_seed(0)
    model = Stages().eval()
    imported = import_fx(trace(model), [(3, 8, 8)])
    flat = import_fx(trace(model), [(3, 8, 8)], blocks=False)
    graph = imported.graph
    assert sorted(graph.blocks) == ["BasicBlock"]  # the one block with a downsample stays flat
    blocks = {n.name: n for n in graph.nodes.values() if n.type_id == "block"}
    # layer1.0 -> layer1.1 and layer2.1 -> layer2.2 each become one instance with Repeat x2;
    # layer2.0 (with its downsample) stays flat, so the second run keeps its first's name
    assert sorted(blocks) == ["layer1", "layer2_1"]
    assert {n.params["block"] for n in blocks.values()} == {"BasicBlock"}
    assert {k: n.params["repeat"] for k, n in blocks.items()} == {"layer1": 2, "layer2_1": 2}
    # conv2's width differs between the stages: exposed, set per instance
    widths = {k: n.params.get("conv2_out_channels") for k, n in blocks.items()}
    assert widths == {"layer1": 8, "layer2_1": 16}
    assert len(graph.nodes) < len(flat.graph.nodes) - 20
    assert imported.notes[:2] == ["repeated structure as blocks: BasicBlock ×4",
                                  ("consecutive instances repeated: layer1 = BasicBlock ×2, "
                                   "layer2_1 = BasicBlock ×2")]
    assert "layer1.1.conv1.weight" in imported.weights
    x = torch.randn(3, 3, 8, 8)
    assert torch.allclose(_outputs(imported, x), model(x), atol=1e-6)


class Unit(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Strided(nn.Module):
    """A stage whose first unit strides and widens; the rest keep the size."""

    def __init__(self) -> None:
        super().__init__()
        self.stage = nn.Sequential(Unit(3, 8, stride=2), Unit(8, 8), Unit(8, 8), Unit(8, 8))
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        return self.head(self.stage(x))


def test_a_run_whose_first_instance_strides_repeats_with_the_stride_for_the_first_only():
    torch.manual_seed(0)
    model = Strided().eval()
    imported = import_fx(trace(model), [(3, 16, 16)])
    (stage,) = [n for n in imported.graph.nodes.values() if n.type_id == "block"]
    assert stage.name == "stage" and stage.params["repeat"] == 4
    assert stage.params["conv_stride"] == (2, 2)
    exposed = imported.graph.blocks["Unit"].exposed_param("conv_stride")
    assert exposed.later == (1, 1)  # repetitions after the first keep the size
    x = torch.randn(2, 3, 16, 16)
    assert torch.allclose(_outputs(imported, x), model(x), atol=1e-6)


class Widening(nn.Module):
    """Consecutive units, each wider than the last."""

    def __init__(self) -> None:
        super().__init__()
        self.stage = nn.Sequential(Unit(3, 4), Unit(4, 8), Unit(8, 16), Unit(16, 32))

    def forward(self, x):
        return self.stage(x)


def test_runs_needing_different_later_values_of_one_definition_are_not_both_repeated():
    """4 -> 8 repeats as Unit x2 with 8 as the definition's later width; 16 -> 32 would
    need 32 there too, so those two stay separate instances."""
    torch.manual_seed(0)
    model = Widening().eval()
    imported = import_fx(trace(model), [(3, 8, 8)])
    blocks = [n for n in imported.graph.nodes.values() if n.type_id == "block"]
    assert [(n.params["repeat"], n.params["conv_out_channels"]) for n in blocks] == \
        [(2, 4), (1, 16), (1, 32)]
    x = torch.randn(2, 3, 8, 8)
    assert torch.allclose(_outputs(imported, x), model(x), atol=1e-6)
