"""Measure what training really holds, to validate the predictor (memory.py): the bytes of
the tensors autograd saves for backward (torch.autograd.graph.saved_tensors_hooks, each
storage counted once, parameters and buffers left out) plus the parameter, buffer, gradient
and optimizer-state bytes after one real step.

On the "meta" device the same forward, backward and step run on shapes alone, so VGG-16
at batch 256 is measured without the RAM it would take; the counts are the same because
autograd saves the same tensors whatever the device holds."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.project import Project
from netcanvas.backend.runtime.losses import build_loss
from netcanvas.backend.training.optim import build_optimizer


@dataclass
class Measured:
    weights: int
    gradients: int
    optimizer_state: int
    activations: int

    @property
    def total(self) -> int:
        return self.weights + self.gradients + self.optimizer_state + self.activations


def _storage(t: torch.Tensor):
    s = t.untyped_storage()
    return s._cdata, s.nbytes()


def _targets(compiled, batch: int, device) -> tuple:
    ys = []
    for spec, shape in zip(compiled.losses, compiled.output_shapes):
        if spec.loss in ("cross_entropy", "nll"):  # a class per sample, or per pixel
            ys.append(torch.randint(0, shape[0], (batch, *shape[1:]), device=device))
        else:
            ys.append(torch.rand((batch, *shape), device=device))
    return ys[0] if len(ys) == 1 else tuple(ys)


def measure_memory(project: Project, batch_size: int, device: str = "cpu") -> Measured:
    compiled = compile_graph(project.graph, device=device)
    model = compiled.module.train()
    state = {_storage(t)[0] for t in [*model.parameters(), *model.buffers()]}
    saved: dict[int, int] = {}

    def pack(t: torch.Tensor):
        key, nbytes = _storage(t)
        if key not in state:
            saved.setdefault(key, nbytes)
        return t

    inputs = [torch.randn((batch_size, *shape), device=device)
              for shape in compiled.input_shapes]
    loss_fn = build_loss(compiled.losses, len(compiled.output_names))
    optimizer = build_optimizer(model.parameters(), project.training)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = loss_fn(model(*inputs), _targets(compiled, batch_size, device))
    activations = sum(saved.values())
    loss.backward()
    optimizer.step()
    params = list(model.parameters())
    return Measured(
        weights=sum(t.nbytes for t in [*params, *model.buffers()]),
        gradients=sum(p.grad.nbytes for p in params if p.grad is not None),
        optimizer_state=sum(v.nbytes for s in optimizer.state.values() for v in s.values()
                            if isinstance(v, torch.Tensor)),
        activations=activations)


def device_capacity(device: str) -> tuple[str, int, str] | None:
    """(what, bytes, "cuda" or "cpu") for the training device setting: the first visible
    GPU's memory, or this machine's RAM when training would run on the CPU; None if
    unknown (an MPS device, a GPU that is not here)."""
    import os

    if device in ("auto", "cuda") or device.startswith("cuda:"):
        if torch.cuda.is_available():
            index = int(device[5:]) if device[5:].isdigit() else 0  # cuda, cuda:all: the first
            props = torch.cuda.get_device_properties(index)
            return f"this GPU ({props.name})", props.total_memory, "cuda"
        if device != "auto":
            return None
    if device in ("auto", "cpu") and hasattr(os, "sysconf"):
        ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        return "this machine's RAM", ram, "cpu"
    return None
