"""Metrics that accumulate on the device and are read once, at the end of a pass.

Classification: loss, accuracy, top-k (k=5 when there are more than 5 classes), and on
request the confusion matrix and per-class accuracy. Regression: loss, MSE, MAE, R².
"""

from __future__ import annotations

import torch

TOP_K = 5


def predicted_class(out: torch.Tensor) -> torch.Tensor:
    """Class index per sample; a single logit column is a binary (BCE) classifier."""
    if out.dim() == 2 and out.shape[1] == 1:
        return (out[:, 0] > 0).long()
    return out.argmax(1)


def as_target_of(y: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """Regression targets shaped like the output when only the layout differs ((N,) vs (N, 1))."""
    if y.shape != out.shape and y.numel() == out.numel():
        return y.reshape(out.shape)
    return y


class Accumulator:
    def __init__(self, task: str, num_classes: int | None, device: torch.device,
                 confusion: bool = False):
        self.task = task
        self.classes = num_classes or 0
        self.device = device
        zero = torch.zeros((), device=device)
        self.loss_sum = zero.clone()
        self.n = 0
        self.extra = None  # a TaskMetrics for the outputs of a dataset with typed targets
        self.part_names: list[str] = []  # each Output's own loss, when several have one
        self.part_sums = zero.clone()
        if task == "classification":
            self.correct = torch.zeros((), dtype=torch.long, device=device)
            self.topk = self.correct.clone() if self.classes > TOP_K else None
            self.confusion = (torch.zeros(self.classes * self.classes, dtype=torch.long,
                                          device=device) if confusion and self.classes else None)
        elif task == "regression":
            self.sse, self.sae = zero.clone(), zero.clone()
            self.sum_y: torch.Tensor | float = 0.0
            self.sum_y2: torch.Tensor | float = 0.0
            self.elements = 0

    def add_correct(self, out: torch.Tensor, y: torch.Tensor) -> None:
        """The cheap per-step part used while training: correct predictions only."""
        if self.task == "classification":
            self.correct += (predicted_class(out) == y).sum()

    def add(self, out: torch.Tensor, y: torch.Tensor, loss: torch.Tensor | None) -> None:
        out = out.detach().float()
        n = out.shape[0]
        self.n += n
        if loss is not None:
            self.loss_sum += loss.detach().float() * n
        if self.task == "classification":
            y = y.long().reshape(-1)
            pred = predicted_class(out)
            self.correct += (pred == y).sum()
            if self.topk is not None and out.shape[1] > TOP_K:
                top = out.topk(TOP_K, dim=1).indices
                self.topk += (top == y[:, None]).any(1).sum()
            if self.confusion is not None:
                self.confusion += torch.bincount(y * self.classes + pred,
                                                 minlength=self.classes ** 2)
        elif self.task == "regression":
            y = as_target_of(y.float(), out)
            err = out - y
            self.sse += (err * err).sum()
            self.sae += err.abs().sum()
            flat = y.reshape(n, -1)
            self.sum_y = self.sum_y + flat.sum(0)
            self.sum_y2 = self.sum_y2 + (flat * flat).sum(0)
            self.elements += y.numel()

    def add_parts(self, names: list[str], parts: list[torch.Tensor], n: int) -> None:
        """Each Output's own loss of a batch of n (call after `add`): `<output>_loss`."""
        self.part_names = names
        self.part_sums = self.part_sums + torch.stack([p.detach().float() for p in parts]) * n

    def result(self) -> dict[str, float]:
        """All metrics, read from the device in one sync (and the task metrics' own)."""
        if not self.n:
            return {}
        extra = self.extra.result() if self.extra is not None else {}
        if self.part_names:
            extra.update({f"{name}_loss": v / self.n
                          for name, v in zip(self.part_names, self.part_sums.tolist())})
        if self.task not in ("classification", "regression"):  # the loss, and the task's
            return {"loss": float(self.loss_sum) / self.n, **extra}
        return {**self._result(), **extra}

    def _result(self) -> dict[str, float]:
        sums = {"loss": self.loss_sum}
        if self.task == "classification":
            sums["accuracy"] = self.correct
            if self.topk is not None:
                sums[f"top{TOP_K}"] = self.topk
        else:
            sums.update(sse=self.sse, sae=self.sae,
                        sst=(self.sum_y2 - self.sum_y * self.sum_y / self.n).sum())
        values = dict(zip(sums, torch.stack([t.double() for t in sums.values()]).tolist()))
        if self.task == "classification":
            return {k: v / self.n for k, v in values.items()}
        sse, sst = values["sse"], values["sst"]
        return {"loss": values["loss"] / self.n, "mse": sse / self.elements,
                "mae": values["sae"] / self.elements,
                "r2": 1 - sse / sst if sst > 0 else float("nan")}

    def confusion_matrix(self) -> list[list[int]] | None:
        if self.task != "classification" or self.confusion is None:
            return None
        return self.confusion.view(self.classes, self.classes).tolist()


def per_class_accuracy(confusion: list[list[int]]) -> list[float]:
    return [row[i] / sum(row) if sum(row) else float("nan") for i, row in enumerate(confusion)]
