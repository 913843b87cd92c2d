"""Broadcasting arithmetic, stored constants and dimension reordering import from PyTorch
and compute what the original computes."""

from __future__ import annotations

import torch
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.importer import import_fx, trace
from netcanvas.backend.shapes import analyze
from torch import nn


class Gated(nn.Module):
    """A normalisation by a stored tensor and a number, a squeeze-excitation gate
    ((N, C, 1, 1) times (N, C, H, W)), permute/transpose and a channel shuffle."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor([0.5, 0.25, 0.125, 1.0]).reshape(1, 4, 1, 1))
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.squeeze = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Conv2d(4, 4, 1)
        self.shuffle = nn.ChannelShuffle(2)

    def forward(self, x):
        x = (x - self.mean) / 2.0
        y = self.conv(x)
        y = y * torch.sigmoid(self.fc(self.squeeze(y))) + 1
        y = y.permute(0, 2, 3, 1).transpose(1, 2).contiguous()
        y = torch.maximum(y.transpose(1, 2).permute(0, 3, 1, 2), 1 - y.permute(0, 3, 2, 1))
        return self.shuffle(y)


def test_broadcasting_constants_and_permutes_import_exactly():
    torch.manual_seed(0)
    model = Gated().eval()
    imported = import_fx(trace(model), [(4, 5, 5)])
    types = sorted(n.type_id for n in imported.graph.nodes.values())
    for expected in ("broadcast_sub", "broadcast_div", "broadcast_mul", "broadcast_add",
                     "constant_tensor", "permute", "transpose", "maximum", "channel_shuffle"):
        assert expected in types
    assert analyze(imported.graph).ok
    compiled = compile_graph(imported.graph)
    compiled.module.load_state_dict(imported.weights)
    x = torch.randn(3, 4, 5, 5)
    with torch.no_grad():
        assert torch.allclose(compiled.module.eval()(x), model(x), atol=1e-6)
