"""The learning-rate range test (L. Smith, 2015): loss against an exponentially rising LR.

A short run on a fresh copy of the project's model (built as a training run builds it, same
seed): the LR grows from `start` to `end` over `steps` steps, the loss is smoothed with an
exponential moving average, and the test stops once the smoothed loss passes `diverge`
times its minimum. The suggestion is the LR of the smoothed minimum divided by 10: the
largest rate that still lowers the loss steadily. Nothing of the project is changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch


@dataclass
class LRFinding:
    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    smoothed: list[float] = field(default_factory=list)
    suggestion: float | None = None  # None when the loss never fell


def lr_range_test(project, dataset=None, *, device: str | None = None, start: float = 1e-7,
                  end: float = 10.0, steps: int = 100, beta: float = 0.98,
                  diverge: float = 4.0, cancel=None) -> LRFinding:
    from netcanvas.backend.training.trainer import Trainer

    if not 0 < start < end:
        raise ValueError(f"the LR range must rise from above 0, got {start:g}..{end:g}")
    if steps < 2:
        raise ValueError(f"the range test needs at least 2 steps, got {steps}")
    loop = Trainer(project, dataset, device=device).build()[0]
    loop.model.train()
    n, bs = loop.train.n, project.training.batch_size
    perm = torch.empty(0, dtype=torch.long)
    finding = LRFinding()
    avg, best = 0.0, math.inf
    for i in range(steps):
        if cancel is not None and cancel():
            break
        if perm.numel() < bs:
            perm = torch.randperm(n, generator=loop.gen, device=loop.train.index_device)
        idx, perm = perm[:bs], perm[bs:]
        lr = start * (end / start) ** (i / (steps - 1))
        for group in loop.opt.param_groups:
            group["lr"] = lr * group.get("lr_factor", 1.0)
        value = loop.train_step(idx)[2].item()  # a 100-step diagnostic: reading each is fine
        if not math.isfinite(value):
            break
        avg = beta * avg + (1 - beta) * value
        smooth = avg / (1 - beta ** (i + 1))
        finding.lrs.append(lr)
        finding.losses.append(value)
        finding.smoothed.append(smooth)
        best = min(best, smooth)
        if smooth > diverge * best:
            break
    finding.suggestion = suggest(finding.lrs, finding.smoothed)
    return finding


def suggest(lrs: list[float], smoothed: list[float]) -> float | None:
    """The LR at the smoothed loss's minimum over 10, or None when the loss never fell."""
    if len(smoothed) < 2:
        return None
    k = min(range(len(smoothed)), key=smoothed.__getitem__)
    if k == 0:
        return None
    return lrs[k] / 10
