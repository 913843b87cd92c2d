"""Batched inference for evaluation views and the CLI."""

from __future__ import annotations

import torch
from netcanvas.backend.training.batches import input_tensors
from netcanvas.backend.training.device import resolve_device


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
