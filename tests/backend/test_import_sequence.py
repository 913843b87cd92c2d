"""Hand-written nn.LSTM and nn.GRU models import as the sequence layers, with their weights:
the same outputs; what has no NetCanvas form is refused by name."""

from __future__ import annotations

import pytest
import torch
from import_models import GRUTagger, LSTMClassifier, SelfAttention
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.importer.fx_forms import trace
from netcanvas.backend.importer.fx_import import ImportProblem, import_fx
from torch import nn

torch.set_num_threads(2)


def imported_outputs(model: nn.Module, shape: tuple[int, ...]):
    torch.manual_seed(0)
    result = import_fx(trace(model.eval()), [shape])
    compiled = compile_graph(result.graph)
    compiled.module.load_state_dict(result.weights)
    x = torch.randn(3, *shape)
    with torch.no_grad():
        return result.graph, model(x), compiled.module.eval()(x)


@pytest.mark.parametrize("cls, shape, layer", [(LSTMClassifier, (7, 8), "lstm"),
                                               (GRUTagger, (5, 4), "gru"),
                                               (SelfAttention, (6, 16), "multihead_attention")])
def test_recurrent_models_import_with_the_same_outputs(cls, shape, layer):
    graph, want, got = imported_outputs(cls(), shape)
    (node,) = [n for n in graph.nodes.values() if n.type_id == layer]
    assert torch.allclose(want, got, atol=1e-5)
    used = {e.src_port for e in graph.edges_from(node.id)}
    assert used == ({"h"} if layer == "lstm" else {"y"})
    assert len(graph.edges_into(node.id)) == 1  # attn(x, x, x): self-attention, one wire


class CellState(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 6, batch_first=True)

    def forward(self, x):
        _, (_, c) = self.lstm(x)
        return c[-1]


class TimeFirst(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(4, 6)

    def forward(self, x):
        return self.gru(x)[0]


class Masked(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(4, 2, batch_first=True)

    def forward(self, x):
        return self.attn(x, x, x, attn_mask=torch.ones(5, 5, dtype=torch.bool).triu(1))[0]


@pytest.mark.parametrize("model, message", [
    (Masked(), "attn_mask has no NetCanvas equivalent"),
    (CellState(), "cell state c_n has no NetCanvas port"),
    (TimeFirst(), "batch_first=False has no NetCanvas equivalent"),
])
def test_what_has_no_netcanvas_form_is_refused_by_name(model, message):
    with pytest.raises(ImportProblem, match=message):
        import_fx(trace(model), [(5, 4)])
