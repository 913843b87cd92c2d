"""The effective receptive field of one output cell: |∂ cell / ∂ input| on a sample with the
current weights (summed over the node's channels and the input's), beside the theoretical
box of backend/receptive.py that contains every nonzero value of it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from netcanvas.backend.insight.previews import seeded_model
from netcanvas.backend.receptive import input_box


@dataclass
class EffectiveField:
    node: str
    cell: tuple[int, int]  # (row, column) of the node's output map
    output: np.ndarray  # (H', W'): the node's output, mean over channels (what was clicked)
    image: np.ndarray  # (C, H, W): the input sample
    heat: np.ndarray  # (H, W): |gradient| of the cell over the input
    box: tuple[tuple[int, int], tuple[int, int]] | None  # rows, columns (inclusive)


def effective_field(project, node_id: str, cell: tuple[int, int] | None = None,
                    sample: torch.Tensor | None = None, state: dict | None = None,
                    seed: int = 0) -> EffectiveField:
    """For the image-shaped output of top-level node `node_id` (its centre cell unless
    `cell` is given), on `sample` (one normalised image, (C, H, W); None: a seeded random
    one) with the weights `state` (None: seeded random ones)."""
    graph = project.graph
    node = graph.node(node_id)
    model, net = seeded_model(graph, seed, state)
    if len(model.input_shapes) != 1 or len(model.input_shapes[0]) != 3:
        raise ValueError("the receptive-field lens needs one image input (channels, height, "
                         "width)")
    if sample is None:
        sample = torch.randn(model.input_shapes[0], generator=torch.Generator().manual_seed(seed))
    x = torch.as_tensor(sample, dtype=torch.float32)[None].clone().requires_grad_(True)
    module = dict(net.named_children()).get(node.name)
    if module is None:
        raise ValueError(f"node '{node.name}' has no layer to look at")
    seen = []
    handle = module.register_forward_hook(
        lambda _m, _a, out: seen.append(out[0] if isinstance(out, (tuple, list)) else out))
    try:
        with torch.enable_grad():
            net(x)
    finally:
        handle.remove()
    out = seen[0]
    if out.dim() != 4:
        raise ValueError(f"node '{node.name}' outputs {tuple(out.shape[1:])}, not an image map")
    h, w = out.shape[2:]
    row, col = cell if cell is not None else (h // 2, w // 2)
    if not (0 <= row < h and 0 <= col < w):
        raise ValueError(f"cell ({row}, {col}) is outside {node.name}'s {h}×{w} map")
    (grad,) = torch.autograd.grad(out[0, :, row, col].sum(), x)
    heat = grad[0].abs().sum(0).numpy()
    box = input_box(project, node_id, (0, row, col))
    return EffectiveField(node.name, (row, col), out[0].detach().mean(0).numpy(),
                          x[0].detach().numpy(), heat, box)


def run_field(project, node_id: str, cell: tuple[int, int] | None = None,
              sample: torch.Tensor | None = None, run=None,
              raw: np.ndarray | None = None) -> EffectiveField:
    """effective_field with `run`'s best weights (None: seeded random ones), on `raw` (a raw
    input such as the Try it drawing, normalised as the run's data) when given."""
    if run is None:
        return effective_field(project, node_id, cell, sample)
    from netcanvas.backend.insight.predict import from_run

    predictor = from_run(run)
    if raw is not None:
        scaled = predictor.raw_module()
        sample = torch.as_tensor(raw, dtype=torch.float32)
        if scaled.normalised:
            sample = (sample - scaled.mean) / scaled.std
    return effective_field(project, node_id, cell, sample, predictor.model.module.state_dict())
