"""Running a trained model: batched inference for the evaluation views and the CLI, its
outputs as numpy (class probabilities for a classifier), and the input grid of a 2-D plane
(decision boundaries)."""

from __future__ import annotations

import numpy as np
import torch
from netcanvas.backend.runtime.batches import input_tensors
from netcanvas.backend.runtime.device import resolve_device


@torch.inference_mode()
def predict(model, x, device=None, batch_size: int = 1024):
    """Outputs of a CompiledModel for samples `x` (a tensor, or one per Input), on the CPU.

    One tensor for a single Output, else a tuple in Output order. The model is put in eval
    mode and moved to `device` ("auto"/None picks CUDA, then MPS, then the CPU)."""
    dev = resolve_device(device)
    module = model.module.to(dev).eval()
    xs = input_tensors(x, model.input_shapes)
    chunks = []
    for start in range(0, int(xs[0].shape[0]), batch_size):
        out = module(*(t[start:start + batch_size].to(dev) for t in xs))
        chunks.append(tuple(o.cpu() for o in out) if isinstance(out, tuple) else (out.cpu(),))
    if not chunks:
        return torch.empty(0)
    outs = tuple(torch.cat(parts) for parts in zip(*chunks))
    return outs[0] if len(outs) == 1 else outs


def scores(out, task: str) -> np.ndarray:
    """The first output, as class probabilities for a classifier, as numpy."""
    if isinstance(out, tuple):
        out = out[0]
    if task == "classification":
        out = torch.softmax(out.float(), dim=1)
    return out.numpy()


def predict_test_split(model, dataset) -> np.ndarray:
    """(N, classes) probabilities, or (N, *target) regression values, on the test split
    (each Input node fed the dataset input of its name)."""
    from netcanvas.backend.data.matching import matched_test_inputs

    return scores(predict(model, matched_test_inputs(dataset, model), "cpu"), dataset.task)


def plane_grid(extent: tuple[float, float, float, float], n: int) -> torch.Tensor:
    """(n·n, 2) points of an n × n grid over extent (x0, x1, y0, y1), row by row: point
    i·n + j is at x = x0 + j·(x1 − x0)/(n − 1), y = y0 + i·(y1 − y0)/(n − 1)."""
    x0, x1, y0, y1 = extent
    ys, xs = torch.meshgrid(torch.linspace(y0, y1, n), torch.linspace(x0, x1, n), indexing="ij")
    return torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)
