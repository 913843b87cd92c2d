"""Hand-written nn.TransformerEncoderLayer / nn.TransformerEncoder import on the PyTorch path
as the library's encoder block with Repeat x depth and their weights (backend/importer/
transformer.py): the same outputs within 1e-5; what the block cannot hold is refused by name."""

from __future__ import annotations

import pytest
import torch
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.graph import BLOCK
from netcanvas.backend.importer.fx_forms import trace
from netcanvas.backend.importer.fx_import import ImportProblem, import_fx
from torch import nn

torch.set_num_threads(2)


class Classifier(nn.Module):
    def __init__(self, layer: nn.Module, depth: int | None, norm: bool = False) -> None:
        super().__init__()
        self.embed = nn.Linear(6, 16)
        self.encoder = layer if depth is None else nn.TransformerEncoder(
            layer, depth, norm=nn.LayerNorm(16) if norm else None, enable_nested_tensor=False)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.encoder(self.embed(x))[:, 0])


def encoder_layer(**kwargs) -> nn.TransformerEncoderLayer:
    return nn.TransformerEncoderLayer(16, 4, 32, batch_first=True, **kwargs)


def imported(model: nn.Module):
    torch.manual_seed(0)
    for p in model.parameters():  # torch's LayerNorms start at 1 and 0: move them off
        nn.init.normal_(p, std=0.3)
    result = import_fx(trace(model.eval()), [(5, 6)])
    compiled = compile_graph(result.graph)
    compiled.module.load_state_dict(result.weights)
    x = torch.randn(4, 5, 6)
    with torch.no_grad():
        assert torch.allclose(model(x), compiled.module.eval()(x), atol=1e-5)
    (block,) = [n for n in result.graph.nodes.values() if n.type_id == BLOCK]
    return result.graph, block


@pytest.mark.parametrize("norm_first, activation, name", [
    (True, "gelu", "TransformerEncoder"), (False, "gelu", "TransformerEncoderPostNorm"),
    (False, "relu", "TransformerEncoderPostNormReLU"), (True, "relu", "TransformerEncoderReLU")])
def test_a_stack_is_one_block_repeated_with_the_same_outputs(norm_first, activation, name):
    layer = encoder_layer(norm_first=norm_first, activation=activation, dropout=0.1)
    graph, block = imported(Classifier(layer, 3))
    assert block.params == {"block": name, "repeat": 3, "d_model": 16, "heads": 4,
                            "mlp_dim": 32, "dropout": 0.1}
    inner = graph.blocks[name].graph
    assert {n.type_id for n in inner.nodes.values()} >= {activation, "multihead_attention"}


def test_one_layer_and_a_final_norm():
    graph, block = imported(Classifier(encoder_layer(), None))
    assert block.params["repeat"] == 1
    graph, block = imported(Classifier(encoder_layer(norm_first=True), 2, norm=True))
    (after,) = graph.edges_from(block.id)
    assert graph.nodes[after.dst].type_id == "layer_norm"


class Masked(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.TransformerEncoder(encoder_layer(), 2, enable_nested_tensor=False)

    def forward(self, x):
        return self.encoder(x, is_causal=True, mask=nn.Transformer.generate_square_subsequent_mask(5))


@pytest.mark.parametrize("model, message", [
    (Classifier(nn.TransformerEncoderLayer(16, 4, 32), 2), "batch_first=False"),
    (Classifier(encoder_layer(bias=False), None), "bias=False"),
    (Classifier(encoder_layer(layer_norm_eps=1e-6), 2), "layer_norm_eps=1e-06"),
    (Classifier(encoder_layer(activation=nn.SiLU()), None), "activation SiLU"),
])
def test_what_the_block_cannot_hold_is_refused_by_name(model, message):
    with pytest.raises(ImportProblem, match="TransformerEncoder.* at node 'encoder'") as info:
        import_fx(trace(model.eval()), [(5, 6)])
    assert message in str(info.value)


def test_masks_are_refused_by_name():
    with pytest.raises(ImportProblem, match="mask has no TransformerEncoder block form"):
        import_fx(trace(Masked().eval()), [(5, 16)])


def test_the_imported_project_saves_and_loads_with_its_block(tmp_path):
    from netcanvas.backend.importer.save import save_imported
    from netcanvas.backend.project_io import load_project

    model = Classifier(encoder_layer(), 2).eval()
    save_imported(import_fx(trace(model), [(5, 6)]), tmp_path / "m.netcanvas", "test")
    project = load_project(tmp_path / "m.netcanvas")
    assert "TransformerEncoderPostNormReLU" in project.blocks
    compile_graph(project.graph)


class TwoEncoders(nn.Module):
    def __init__(self, attention_dropout: float) -> None:
        super().__init__()
        self.first = encoder_layer(dropout=0.1)
        self.second = encoder_layer(dropout=0.1)
        self.second.self_attn.dropout = attention_dropout

    def forward(self, x):
        return self.second(self.first(x))


def test_encoders_sharing_a_block_share_its_inner_settings():
    result = import_fx(trace(TwoEncoders(0.1).eval()), [(5, 16)])
    assert list(result.graph.blocks) == ["TransformerEncoderPostNormReLU"]
    with pytest.raises(ImportProblem, match="at node 'second'.*differ from an earlier"):
        import_fx(trace(TwoEncoders(0.2).eval()), [(5, 16)])
