"""TensorBoard event files for a run, written with `torch.utils.tensorboard`.

An `on_event` sink: each batch of steps logs `train/loss_step` and `train/lr` at its global
steps; each epoch logs every metric under its split (`train/loss`, `val/accuracy`, ...) at
the epoch number; the test evaluation logs `test/<metric>` at the last epoch. Open with
`tensorboard --logdir DIR`.
"""

from __future__ import annotations

from pathlib import Path


class TensorBoardLogUnavailable(RuntimeError):
    pass


def scalar_tag(metric: str) -> str:
    """`val_accuracy` -> `val/accuracy`; `lr` -> `train/lr`."""
    split, _, name = metric.partition("_")
    if split in ("train", "val", "test") and name:
        return f"{split}/{name}"
    return f"train/{metric}"


class TensorBoardLog:
    def __init__(self, logdir):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:  # tensorboard is an optional dependency
            raise TensorBoardLogUnavailable(
                "TensorBoard logging needs the tensorboard package: "
                "pip install 'netcanvas[tensorboard]'") from exc
        self.logdir = Path(logdir)
        self.writer = SummaryWriter(log_dir=str(self.logdir))
        self.epoch = 0

    def __call__(self, event) -> None:
        from netcanvas.backend.training.events import EpochEnded, Evaluated, Steps

        if isinstance(event, Steps):
            for step, loss, lr in zip(event.steps, event.losses, event.lrs):
                self.writer.add_scalar("train/loss_step", loss, step)
                self.writer.add_scalar("train/lr_step", lr, step)
        elif isinstance(event, EpochEnded):
            self.epoch = event.epoch
            for key, value in event.metrics.items():
                self.writer.add_scalar(scalar_tag(key), value, event.epoch)
        elif isinstance(event, Evaluated):
            for key, value in event.metrics.items():
                self.writer.add_scalar(f"{event.split}/{key}", value, self.epoch)

    def close(self) -> None:
        self.writer.close()
