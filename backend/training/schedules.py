"""Learning-rate schedules as one pure function of the step, so resume is exact.

The factor multiplies the base learning rate. A linear warm-up (warmup_epochs) comes
first and composes with every schedule; the schedule then runs over the remaining steps.
Only reduce-on-plateau has state, and it is plain JSON.
"""

from __future__ import annotations

import math

from netcanvas.backend.settings import SCHEDULES

ONECYCLE_RISE = 0.3  # share of the steps spent rising, as torch's OneCycleLR
ONECYCLE_START = 1 / 25  # initial lr = max lr / 25
ONECYCLE_END = ONECYCLE_START / 1e4


def _cos_between(start: float, end: float, t: float) -> float:
    return end + (start - end) * (1 + math.cos(math.pi * min(max(t, 0.0), 1.0))) / 2


class LRSchedule:
    def __init__(self, s, steps_per_epoch: int):
        if s.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}; got {s.schedule!r}")
        self.kind = s.schedule
        self.base_lr = s.lr
        self.steps_per_epoch = steps_per_epoch
        self.warmup_epochs = max(int(s.warmup_epochs), 0)
        self.warmup_steps = self.warmup_epochs * steps_per_epoch
        self.total_steps = max(int(s.epochs), 1) * steps_per_epoch
        self.step_size = max(int(s.step_size), 1)
        self.gamma = s.gamma
        self.patience = max(int(getattr(s, "plateau_patience", 2)), 0)
        self.plateau_factor = 1.0
        self.plateau_best: float | None = None
        self.plateau_bad = 0

    @property
    def constant(self) -> bool:
        """No lr changes at all: the loop can skip setting it."""
        return self.kind in ("none", "plateau") and self.warmup_steps == 0 and self.plateau_factor == 1.0

    def lr(self, step: int, epoch: int) -> float:
        """Learning rate for 0-based global `step` in 0-based `epoch`."""
        warm = (step + 1) / self.warmup_steps if step < self.warmup_steps else 1.0
        post = max(step - self.warmup_steps, 0)
        span = max(self.total_steps - self.warmup_steps, 1)
        if self.kind == "step":
            f = self.gamma ** (max(epoch - self.warmup_epochs, 0) // self.step_size)
        elif self.kind == "cosine":
            f = _cos_between(1.0, 0.0, post / span)
        elif self.kind == "onecycle":
            rise = max(int(ONECYCLE_RISE * span), 1)
            if post < rise:
                f = _cos_between(1.0, ONECYCLE_START, 1 - post / rise)
            else:
                f = _cos_between(1.0, ONECYCLE_END, (post - rise) / max(span - rise, 1))
        elif self.kind == "plateau":
            f = self.plateau_factor
        else:
            f = 1.0
        return self.base_lr * warm * f

    def epoch_ended(self, value: float, minimize: bool) -> None:
        """Reduce-on-plateau: multiply by gamma after `patience` epochs without improvement."""
        if self.kind != "plateau" or value is None or not math.isfinite(value):
            return
        if self.plateau_best is None or improved(value, self.plateau_best, minimize):
            self.plateau_best, self.plateau_bad = value, 0
            return
        self.plateau_bad += 1
        if self.plateau_bad > self.patience:
            self.plateau_factor *= self.gamma
            self.plateau_bad = 0

    def state_dict(self) -> dict:
        return {"plateau_factor": self.plateau_factor, "plateau_best": self.plateau_best,
                "plateau_bad": self.plateau_bad}

    def load_state_dict(self, d: dict) -> None:
        self.plateau_factor = d["plateau_factor"]
        self.plateau_best = d["plateau_best"]
        self.plateau_bad = d["plateau_bad"]


def improved(value: float, best: float | None, minimize: bool, rel: float = 1e-4) -> bool:
    """Better than `best` by a relative margin (as torch's ReduceLROnPlateau)."""
    if best is None:
        return True
    margin = rel * abs(best)
    return value < best - margin if minimize else value > best + margin
