"""Every node's output before training: one forward pass of the graph as it is now (its
current weights: seeded random ones until a run gives trained ones) on one sample, every
node's output kept. Images become a few channel maps, vectors stay values; each with its
value range. The app computes this off the GUI thread once per edit and caches it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

MAX_MAPS = 8  # channels shown per image-shaped output
MAX_VALUES = 64  # entries shown per vector


@dataclass
class Preview:
    kind: str  # "image": values (maps, H, W); "vector": values (F,)
    values: np.ndarray
    low: float
    high: float
    shape: tuple[int, ...]  # the full per-sample output shape

    def describe(self) -> str:
        return f"{self.low:.3g} … {self.high:.3g}"


def seeded_model(graph, seed: int = 0, state: dict | None = None):
    """`graph` compiled on the CPU with weights drawn from `seed`, then `state`'s loaded where
    names and shapes match: (the CompiledModel, its module in eval mode)."""
    from netcanvas.backend.compiler import compile_graph

    torch.manual_seed(seed)
    model = compile_graph(graph, device="cpu")
    net = model.module.eval()
    if state:
        own = net.state_dict()
        net.load_state_dict({k: v for k, v in state.items()
                             if k in own and own[k].shape == v.shape}, strict=False)
    return model, net


def previews(graph, sample: tuple[torch.Tensor, ...] | None = None, seed: int = 0,
             state: dict | None = None) -> dict[str, Preview]:
    """Per node id, its output for `sample` (one tensor per Input, batch of one; None: a
    seeded random one). `state`: weights to load where names and shapes match."""
    model, net = seeded_model(graph, seed, state)
    if sample is None:
        sample = model.example_inputs(batch=1, generator=torch.Generator().manual_seed(seed))
    seen: dict[str, torch.Tensor] = {}

    def keep(name):
        def hook(_module, _args, out):
            seen[name] = out[0] if isinstance(out, (tuple, list)) else out
        return hook

    handles = [m.register_forward_hook(keep(n)) for n, m in net.named_children()]
    try:
        with torch.inference_mode():
            net(*(torch.as_tensor(x, dtype=torch.float32) for x in sample))
    finally:
        for h in handles:
            h.remove()
    for name, x in zip(model.input_names, sample):
        seen[name] = torch.as_tensor(x)
    out: dict[str, Preview] = {}
    for node in graph.nodes.values():
        source = node.name
        if node.type_id == "output":
            edges = graph.edges_into(node.id)
            source = graph.node(edges[0].src).name if edges else None
        x = seen.get(source)
        if x is not None and x.is_floating_point():
            out[node.id] = _preview(x[0].float())
    return out


def _preview(x: torch.Tensor) -> Preview:
    low, high = (float(x.min()), float(x.max())) if x.numel() else (0.0, 0.0)
    if x.dim() == 3:
        values = x[:MAX_MAPS].numpy()
        return Preview("image", values, low, high, tuple(x.shape))
    return Preview("vector", x.flatten()[:MAX_VALUES].numpy(), low, high, tuple(x.shape))
