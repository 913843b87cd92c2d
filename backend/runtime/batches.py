"""In-memory splits moved to the device once and batched by index.

A split whose tensors do not fit stays in pinned host memory and each batch is copied
with a non-blocking transfer instead (no DataLoader workers needed for in-memory data).
Several Inputs get one tensor each; a dataset with one tensor feeds it to every Input
whose shape matches (documented for the two-input examples).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from netcanvas.backend.runtime.device import fits_on_device, to_device


def input_tensors(x, input_shapes: Sequence[tuple]) -> list[torch.Tensor]:
    """One tensor per Input node, in Input order."""
    if isinstance(x, (list, tuple)):
        if len(x) != len(input_shapes):
            raise ValueError(f"dataset gives {len(x)} input tensors, the graph has "
                             f"{len(input_shapes)} Input nodes")
        return list(x)
    if len(input_shapes) > 1 and any(tuple(s) != tuple(x.shape[1:]) for s in input_shapes):
        raise ValueError("the dataset has one input tensor of shape "
                         f"{'x'.join(map(str, x.shape[1:]))}; every Input must take that shape "
                         "to share it")
    return [x] * len(input_shapes)


class DeviceSplit:
    def __init__(self, split, input_shapes: Sequence[tuple], device: torch.device):
        xs = input_tensors(split.x, input_shapes)
        ys = list(split.y) if isinstance(split.y, (list, tuple)) else [split.y]
        self.n = int(ys[0].shape[0])
        nbytes = sum(t.numel() * t.element_size() for t in {id(t): t for t in xs + ys}.values())
        self.device = device
        self.on_device = fits_on_device(nbytes, device)
        moved: dict[int, torch.Tensor] = {}

        def place(t: torch.Tensor) -> torch.Tensor:
            if id(t) not in moved:
                moved[id(t)] = to_device(t, device) if self.on_device else (
                    t.pin_memory() if device.type == "cuda" else t)
            return moved[id(t)]

        self.xs = [place(t) for t in xs]
        self.ys = [place(t) for t in ys]
        self.index_device = device if self.on_device else torch.device("cpu")

    @property
    def y(self):
        return self.ys[0] if len(self.ys) == 1 else tuple(self.ys)

    def batch(self, idx: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor | tuple]:
        if self.on_device:
            return _pair([x.index_select(0, idx) for x in self.xs],
                         [y.index_select(0, idx) for y in self.ys])
        return _pair([x[idx].pin_memory().to(self.device, non_blocking=True) for x in self.xs],
                     [y[idx].pin_memory().to(self.device, non_blocking=True) for y in self.ys])

    def slices(self, batch_size: int):
        """Evaluation batches in order (views, not copies, of the tensors on the device)."""
        for start in range(0, self.n, batch_size):
            if self.on_device:
                part = slice(start, start + batch_size)
                yield _pair([x[part] for x in self.xs], [y[part] for y in self.ys])
            else:
                yield self.batch(torch.arange(start, min(start + batch_size, self.n),
                                              device=self.index_device))


def _pair(xs: list[torch.Tensor], ys: list[torch.Tensor]):
    """(inputs, the target or a tuple of targets)."""
    return xs, ys[0] if len(ys) == 1 else tuple(ys)


def device_split(split, input_shapes: Sequence[tuple], device: torch.device):
    """A DeviceSplit, or what a streamed split (backend/data/stream.py) gives instead."""
    if hasattr(split, "device_split"):
        return split.device_split(input_shapes, device)
    return DeviceSplit(split, input_shapes, device)


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Full batches plus the remainder, except a remainder of one sample (BatchNorm cannot
    train on a batch of one)."""
    full, rest = divmod(n, batch_size)
    return full + (1 if rest > 1 or (rest == 1 and full == 0) else 0)
