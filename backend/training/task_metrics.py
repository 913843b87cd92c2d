"""The metrics of each target kind, accumulated on the device and read once.

class: accuracy; vector: mse; mask: pixel accuracy and mean IoU (over the classes present in
prediction or truth, from a confusion matrix); boxes: mean box IoU; flow: end-point error
(mean length of the per-pixel flow error); image: PSNR (peak 1, averaged over images).
The tests check each against a plain-numpy function.
"""

from __future__ import annotations

import torch

PSNR_FLOOR = 1e-10  # an exact reconstruction scores 100 dB, not infinity


def predicted_mask(out: torch.Tensor) -> torch.Tensor:
    """(N, H, W) classes: one score channel is a binary (BCE) mask, else argmax over C."""
    if out.dim() == 3:
        return (out > 0).long()
    return (out[:, 0] > 0).long() if out.shape[1] == 1 else out.argmax(1)


def box_iou(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """IoU per row of (N, 4) boxes (x0, y0, x1, y1); an inverted predicted box is empty."""
    iw = (torch.minimum(pred[:, 2], true[:, 2]) - torch.maximum(pred[:, 0], true[:, 0])).clamp(min=0)
    ih = (torch.minimum(pred[:, 3], true[:, 3]) - torch.maximum(pred[:, 1], true[:, 1])).clamp(min=0)
    inter = iw * ih
    area = lambda b: (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)
    union = area(pred) + area(true) - inter
    return torch.where(union > 0, inter / union.clamp(min=1e-12), torch.zeros_like(union))


def end_point_error(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """Per-pixel EPE (N, H, W) of (N, 2, H, W) flows."""
    return (pred - true).pow(2).sum(1).sqrt()


def psnr(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """PSNR per image in dB, peak 1."""
    mse = (pred - true).pow(2).reshape(len(pred), -1).mean(1)
    return -10 * torch.log10(mse.clamp(min=PSNR_FLOOR))


def mask_scores(confusion: torch.Tensor) -> tuple[float, float, list[float]]:
    """(pixel accuracy, mean IoU, per-class IoU (nan for a class in neither)) of a (K, K)
    confusion matrix, rows true, columns predicted."""
    c = confusion.double()
    tp = c.diag()
    union = c.sum(0) + c.sum(1) - tp
    iou = torch.where(union > 0, tp / union.clamp(min=1), torch.full_like(tp, float("nan")))
    present = union > 0
    mean = float(iou[present].mean()) if present.any() else float("nan")
    return float(tp.sum() / c.sum().clamp(min=1)), mean, iou.tolist()


class TaskMetrics:
    """Accumulates the metrics of the outputs that have a target. `targets[i]` is output i's
    TargetInfo or None; names are prefixed with the output's name when several are scored."""

    def __init__(self, output_names: list[str], targets: list, device: torch.device,
                 skip_primary: int | None = None):
        self.items = [(i, name, t) for i, (name, t) in enumerate(zip(output_names, targets))
                      if t is not None and i != skip_primary]
        self.prefix = sum(t is not None for t in targets) > 1
        self.device = device
        self.sums: dict[int, torch.Tensor] = {}
        self.counts: dict[int, int] = {}
        self.confusions: dict[int, torch.Tensor] = {}

    def _add(self, i: int, value: torch.Tensor, count: int) -> None:
        self.sums[i] = self.sums.get(i, 0) + value.detach().double()
        self.counts[i] = self.counts.get(i, 0) + count

    def add(self, outs, ys) -> None:
        for i, _name, t in self.items:
            out, y = outs[i].detach().float(), ys[i]
            n = len(out)
            if t.kind == "class":
                pred = (out[:, 0] > 0).long() if out.shape[1] == 1 else out.argmax(1)
                self._add(i, (pred == y).sum(), n)
            elif t.kind == "mask":
                k = t.classes
                cells = torch.bincount((y.reshape(-1) * k + predicted_mask(out).reshape(-1)),
                                       minlength=k * k)[:k * k]
                self.confusions[i] = self.confusions.get(i, 0) + cells
            elif t.kind == "boxes":
                self._add(i, box_iou(out.reshape(n, 4), y).sum(), n)
            elif t.kind == "flow":
                epe = end_point_error(out.reshape(y.shape), y)
                self._add(i, epe.sum(), epe.numel())
            elif t.kind == "image":
                self._add(i, psnr(out.reshape(y.shape), y).sum(), n)
            else:
                self._add(i, (out.reshape(y.shape) - y).pow(2).sum(), y.numel())

    def _name(self, name: str, metric: str) -> str:
        return f"{name}_{metric}" if self.prefix and not metric.startswith(name) else metric

    def result(self) -> dict[str, float]:
        metrics: dict[str, float] = {}
        for i, name, t in self.items:
            if t.kind == "mask":
                if i in self.confusions:
                    confusion = self.confusions[i].view(t.classes, t.classes).cpu()
                    acc, miou, _per_class = mask_scores(confusion)
                    metrics[self._name(name, "pixel_accuracy")] = acc
                    metrics[self._name(name, "mean_iou")] = miou
                continue
            if i not in self.sums:
                continue
            metric = {"class": "accuracy", "boxes": "box_iou", "flow": "epe",
                      "image": "psnr"}.get(t.kind, "mse")
            metrics[self._name(name, metric)] = float(self.sums[i]) / max(self.counts[i], 1)
        return metrics

    def per_class_iou(self) -> dict[str, list[float]]:
        """Output name -> IoU per class, for the evaluation view's table."""
        return {name: mask_scores(self.confusions[i].view(t.classes, t.classes).cpu())[2]
                for i, name, t in self.items if t.kind == "mask" and i in self.confusions}
