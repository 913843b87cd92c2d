"""The epoch loop: train steps without per-step host syncs, evaluation, reporting.

Per-step losses are kept as device scalars and correct counts accumulate on the device;
the host reads them in one `.tolist()` at most every REPORT_INTERVAL seconds and at the
end of the epoch. Cancel and pause are checked between steps. Steps that sample no layer
statistics, and evaluation, call the lean forward (backend/runtime/lean_forward.py), as a
hand-written loop would; sampled steps call every node's module so the probe's hooks see
each layer.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import torch
from netcanvas.backend.runtime.batches import DeviceSplit
from netcanvas.backend.runtime.device import autocast
from netcanvas.backend.runtime.lean_forward import lean_module
from netcanvas.backend.training.events import LayerStats, Steps
from netcanvas.backend.training.metrics import Accumulator
from netcanvas.backend.training.world import ONE, World

REPORT_INTERVAL = 0.2  # seconds between Steps events (~5 per second)


# A loss this many times its first value has diverged even if it is still finite
# (Adam at lr 1e6 reaches 5e27 without a NaN); an absolute floor keeps small starts sane.
DIVERGED_FACTOR, DIVERGED_FLOOR = 1e6, 1e8


class NonFiniteLoss(Exception):
    """The loss became NaN or infinite, or diverged (grew beyond DIVERGED_FACTOR times its
    first value): the same advice either way."""

    def __init__(self, step: int, epoch: int, value: float, lr: float):
        what = ("became NaN" if math.isnan(value) else "became infinite"
                if math.isinf(value) else f"diverged (reached {value:.3g})")
        super().__init__(
            f"The loss {what} at step {step} (epoch {epoch}); training stopped. "
            f"Try a smaller learning rate (now {lr:g}, e.g. {lr / 10:g}) or gradient clipping.")
        self.step = step


def diverged(value: float, first: float | None) -> bool:
    if not math.isfinite(value):
        return True
    return first is not None and abs(value) > max(DIVERGED_FLOOR, DIVERGED_FACTOR * abs(first))


class Stopped(Exception):
    """Raised between steps when the run is cancelled."""


class Loop:
    """One model, optimizer and schedule; `train_epoch` and `evaluate` do the work."""

    def __init__(self, *, model, loss, optimizer, schedule, settings, device, amp_dtype,
                 scaler, train: DeviceSplit, task: str, num_classes: int | None,
                 primary: int, n_outputs: int, generator: torch.Generator, steps: int,
                 augment: Callable | None, emit: Callable, cancel: threading.Event,
                 running: threading.Event, world: World = ONE,
                 adversary: Callable | None = None, mix: Callable | None = None,
                 targets: list | None = None, output_names: list[str] | None = None):
        self.model, self.loss, self.opt, self.schedule = model, loss, optimizer, schedule
        self.world = world
        # what sampled training steps call: each node's module (DDP across ranks)
        self.hooked = world.wrap(model, device)
        # the same weights, stateless layers as plain functions: the other steps, evaluation
        self.lean = lean_module(model)
        self.forward = self.hooked if world.distributed else self.lean
        self.settings, self.device, self.amp_dtype = settings, device, amp_dtype
        self.scaler = scaler
        self.train, self.task, self.classes = train, task, num_classes
        self.primary, self.multi_out = primary, n_outputs > 1
        self.gen, self.steps, self.augment, self.emit = generator, steps, augment, emit
        self.cancel, self.running = cancel, running
        self.global_step = 0
        self.first_loss: float | None = None  # the run's first reported loss
        self.epoch = 0  # the 1-based epoch being trained; 0 before the first
        self.total_steps = steps * settings.epochs
        self.step_losses: list[torch.Tensor] = []  # this epoch's, detached, on the device
        self.channels_last = settings.channels_last and device.type == "cuda"
        self.probe = None  # a LayerProbe (backend/runtime/probes.py) when statistics are on
        self.adversary = adversary  # (xs, y) -> xs with adversarial samples mixed in, or None
        self.mix = mix  # mixup/cutmix: (x, y, gen) -> (x, y, y2, lam), training batches only
        self.targets = targets  # per output: its TargetInfo or None (typed-target datasets)
        self.output_names = output_names or []
        # each Output's own loss per step, when several outputs have one (per-output curves)
        self.part_buf = (torch.zeros(steps, len(loss.names), device=device)
                         if len(loss.names) > 1 else None)

    def _augment(self, xs: list[torch.Tensor], y):
        """The training batch augmented: image inputs alone, or with the mask / box / image
        targets that move with them (typed-target datasets; samples may be dropped)."""
        if self.augment is None:
            return xs, y
        if self.targets is None:
            return [self.augment(x, self.gen) if x.dim() == 4 else x for x in xs], y
        ys = list(y) if isinstance(y, tuple) else [y]
        kinds = [t.kind if t is not None else None for t in self.targets]
        xs, ys = self.augment.with_targets(xs, ys, kinds, self.gen)
        return xs, (tuple(ys) if isinstance(y, tuple) else ys[0])

    def _prepare(self, xs: list[torch.Tensor]) -> list[torch.Tensor]:
        """Switch image batches to channels-last (on CUDA, when asked for)."""
        if self.channels_last:
            xs = [x.contiguous(memory_format=torch.channels_last) if x.dim() == 4 else x
                  for x in xs]
        return xs

    def _step(self, xs, y, clip: float, weight: float, mixed: tuple | None = None,
              hooked: bool = False) -> tuple[torch.Tensor, torch.Tensor, list]:
        """Forward, loss, backward, optimizer step: (primary output, loss, each Output's own
        loss), nothing read.
        `weight` scales a rank's mean loss to its share of the global batch; `mixed`
        (y2, lam) makes the loss lam * loss(y) + (1 - lam) * loss(y2) (mixup/cutmix);
        `hooked` calls each node's module (for the probe's hooks)."""
        forward = self.hooked if hooked else self.forward
        with autocast(self.device, self.amp_dtype):
            out = self._call(forward, xs)
            parts = self.loss.terms(out, y)
            if mixed is not None:
                lam = mixed[1]
                parts = [lam * a + (1 - lam) * b
                         for a, b in zip(parts, self.loss.terms(out, mixed[0]))]
            if weight != 1.0:
                parts = [part * weight for part in parts]
            loss = self.loss.combine(parts)
        self.opt.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            if clip:
                self.scaler.unscale_(self.opt)
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), clip)
            self.scaler.step(self.opt)
            self.scaler.update()
        else:
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), clip)
            self.opt.step()
        return out[self.primary] if self.multi_out else out, loss, parts

    def _call(self, forward, xs: list[torch.Tensor]):
        """forward(*xs); a failure in the lean module happens again through the modules,
        whose traceback names the node that failed (compiler.trace_node)."""
        try:
            return forward(*xs)
        except Exception:
            if forward is self.lean and forward is not self.model:
                self.model(*xs)
            raise

    def train_step(self, idx: torch.Tensor, clip: float = 0.0, hooked: bool = False):
        """One optimizer step on the training samples `idx` (this rank's share of them):
        (primary output, targets, loss, each Output's own loss), nothing read from the
        device. `hooked`: through each node's module, for forward hooks."""
        idx, weight = self.world.share(idx)
        xs, y = self._augment(*self.train.batch(idx))
        xs = self._prepare(xs)
        if self.adversary is not None:
            xs = self.adversary(xs, y)
        mixed = None
        if self.mix is not None and len(xs) == 1 and xs[0].dim() == 4:
            xs[0], y, y2, lam = self.mix(xs[0], y, self.gen)
            mixed = (y2, lam.to(xs[0].device))
        out, loss, parts = self._step(xs, y, clip, weight, mixed, hooked)
        return out, y, loss, parts

    def train_epoch(self, epoch: int) -> dict[str, float]:
        """Train one epoch (1-based); returns train_loss, train_accuracy."""
        self.model.train()
        bs, n, steps = self.settings.batch_size, self.train.n, self.steps
        perm = torch.randperm(n, generator=self.gen, device=self.train.index_device)
        if hasattr(self.train, "plan"):  # a streamed split decodes this rank's share of
            self.train.plan([self.world.share(perm[i * bs:(i + 1) * bs])[0]  # each batch ahead
                             for i in range(steps)])
        acc = Accumulator(self.task, self.classes, self.device)
        count_correct = self.task == "classification"
        constant_lr = self.schedule.constant
        groups = self.opt.param_groups
        clip = self.settings.grad_clip
        losses: list[float] = []
        self._lrs: list[float] = []
        self._reported, self._t_report, self.epoch = 0, time.perf_counter(), epoch
        self._epoch_start = self.global_step
        self.step_losses = []
        rows: list[int] = []  # the samples each step trained on (fewer where boxes were dropped)
        lr = groups[0]["lr"]
        for i in range(steps):
            if self.cancel.is_set():
                raise Stopped
            if not self.running.is_set():
                losses += self._report(i)
                self._wait_resumed()
                self._t_report = time.perf_counter()
            if not constant_lr:
                lr = self.schedule.lr(self.global_step, epoch - 1)
                for g in groups:
                    g["lr"] = lr * g.get("lr_factor", 1.0)  # per-node LR factors
            self._lrs.append(lr)
            probing = self.probe is not None and self.probe.wants(i)
            if probing:
                self.probe.start()
            out, y, loss, parts = self.train_step(perm[i * bs:(i + 1) * bs], clip, probing)
            if probing:
                self.probe.finish()
            self.step_losses.append(loss.detach())
            rows.append((y[0] if isinstance(y, tuple) else y).shape[0])  # shape: no device read
            if self.part_buf is not None:
                self.part_buf[i] = torch.stack([p.detach().float() for p in parts])
            if count_correct:
                acc.add_correct(out, y if not isinstance(y, tuple) else y[self.primary])
            self.global_step += 1
            if time.perf_counter() - self._t_report >= REPORT_INTERVAL:
                losses += self._report(i + 1)
        losses += self._report(steps)
        parts = self.part_buf[:steps].clone() if self.part_buf is not None else None
        if self.world.distributed:  # the whole batch's losses and counts, once per epoch
            losses = (self.world.sum(torch.stack(self.step_losses).float())
                      / self.world.size).tolist()
            self.world.sum(acc.correct)
            if parts is not None:
                parts = self.world.sum(parts) / self.world.size
        self._report_layers()
        return self._epoch_metrics(losses, acc if count_correct else None,
                                   parts.T.tolist() if parts is not None else [], rows)

    def _epoch_metrics(self, losses: list[float], acc: Accumulator | None,
                       parts: list[list[float]], rows: list[int]) -> dict[str, float]:
        """Mean loss weighted by the samples each step trained on (the total, and each
        Output's own when several have one: `train_<output>_loss`), and the accuracy: the
        epoch's one more sync. Across ranks a step's loss is already the whole batch's, and
        weighs as the batch asked for."""
        bs, steps = self.settings.batch_size, self.steps
        if self.world.distributed:
            used = min(steps * bs, self.train.n)
            sizes = [bs] * (steps - 1) + [used - bs * (steps - 1)]
        else:
            used, sizes = sum(rows), rows

        def mean(values: list[float]) -> float:
            return sum(v * b for v, b in zip(values, sizes)) / used
        metrics = {"train_loss": mean(losses)}
        metrics.update({f"train_{name}_loss": mean(values)
                        for name, values in zip(self.loss.names, parts)})
        if acc is not None:
            metrics["train_accuracy"] = acc.correct.item() / used
        return metrics

    def _report(self, upto: int) -> list[float]:
        """Read the losses of steps [reported, upto) in one host sync and emit Steps."""
        start = self._reported
        if upto <= start:
            return []
        losses = torch.stack(self.step_losses[start:upto]).float().tolist()
        now = time.perf_counter()
        first = self._epoch_start + start + 1
        if self.first_loss is None and losses:
            self.first_loss = losses[0]
        for k, value in enumerate(losses):
            if diverged(value, self.first_loss):
                raise NonFiniteLoss(first + k, self.epoch, value, self._lrs[start + k])
        elapsed = max(now - self._t_report, 1e-9)
        samples = min((upto - start) * self.settings.batch_size, self.train.n)
        self.emit(Steps(steps=list(range(first, first + len(losses))), losses=losses,
                        lrs=self._lrs[start:upto], epoch=self.epoch,
                        samples_per_sec=samples / elapsed,
                        progress=min((first + len(losses) - 1) / max(self.total_steps, 1), 1.0)))
        self._reported, self._t_report = upto, now
        self._report_layers()
        return losses

    def _report_layers(self) -> None:
        reading = self.probe.read() if self.probe is not None else None
        if reading is not None:
            self.emit(LayerStats(step=self.global_step, epoch=self.epoch,
                                 layers=reading["layers"]))

    def _wait_resumed(self) -> None:
        while not self.running.wait(0.05):
            if self.cancel.is_set():
                break
        if self.cancel.is_set():
            raise Stopped

    @torch.inference_mode()
    def evaluate(self, split: DeviceSplit, confusion: bool = False) -> Accumulator:
        self.model.eval()
        acc = Accumulator(self.task, self.classes, self.device, confusion=confusion)
        if self.targets is not None:
            from netcanvas.backend.training.task_metrics import TaskMetrics
            plain = self.task in ("classification", "regression")
            acc.extra = TaskMetrics(self.output_names, self.targets, self.device,
                                    skip_primary=self.primary if plain else None)
        for xs, y in split.slices(max(self.settings.batch_size * 4, 256)):
            with autocast(self.device, self.amp_dtype):
                out = self._call(self.lean, self._prepare(xs))
                parts = self.loss.terms(out, y)
                loss = self.loss.combine(parts)
            prim = out[self.primary] if self.multi_out else out
            acc.add(prim, y if not isinstance(y, tuple) else y[self.primary], loss)
            if self.part_buf is not None:
                acc.add_parts(self.loss.names, parts, len(prim))
            if acc.extra is not None:
                acc.extra.add(out if self.multi_out else (out,),
                              y if isinstance(y, tuple) else (y,))
        return acc
