"""Feature maps and filters as plain arrays: what a node outputs for one sample, channel by
channel, and the first convolution's kernels."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def node_names(model) -> list[str]:
    """Nodes with a module (every layer but Input and Output), in execution order."""
    return [name for name, _ in model.module.named_children()]


@torch.no_grad()
def feature_maps(model, sample: tuple[torch.Tensor, ...], node: str) -> np.ndarray:
    """The output of `node` for one sample (a batch of one per Input) as (channels, H, W):
    a (C, L) output gives rows of length L, a flat (F,) output one 1 x F row."""
    module = dict(model.module.named_children()).get(node)
    if module is None:
        raise KeyError(f"no layer named '{node}' in the model")
    seen: list[torch.Tensor] = []

    def keep(_module, _args, output):
        out = output[0] if isinstance(output, (tuple, list)) else output
        seen.append(out.detach())

    handle = module.register_forward_hook(keep)
    net = model.module
    was_training = net.training
    try:
        net.eval()
        device = next((p.device for p in net.parameters()), torch.device("cpu"))
        net(*(x.to(device) for x in sample))
    finally:
        handle.remove()
        net.train(was_training)
    x = seen[0][0].float().cpu()
    if x.dim() == 1:
        x = x[None, None]
    elif x.dim() == 2:
        x = x[:, None]
    elif x.dim() > 3:
        x = x.flatten(0, -3)
    return x.numpy()


def first_conv_filters(model) -> tuple[str, np.ndarray] | None:
    """(node name, kernels) of the first Conv2d: (out, kh, kw, 3) for an RGB input, else the
    kernels averaged over input channels, (out, kh, kw, 1). None without a Conv2d."""
    for name, module in model.module.named_children():
        if isinstance(module, nn.Conv2d):
            w = module.weight.detach().float().cpu()
            w = w if w.shape[1] == 3 else w.mean(dim=1, keepdim=True)
            return name, w.permute(0, 2, 3, 1).numpy()
    return None
