"""The training loss from the Output nodes' LossSpecs: a weighted sum when there are several."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


class LossError(Exception):
    """A loss could not be computed (usually target and output shapes); names the Output node."""

    def __init__(self, output: str, exc: Exception):
        super().__init__(f"loss of Output '{output}': {exc}")
        self.output = output


def _float_target(y: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    if not y.is_floating_point():
        y = y.to(out.dtype)
    if y.shape != out.shape and y.numel() == out.numel():
        y = y.reshape(out.shape)
    return y


def _bce_target(y: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    if not y.is_floating_point() and out.dim() == 2 and out.shape[1] > 1 and y.dim() == 1:
        return F.one_hot(y, out.shape[1]).to(out.dtype)
    return _float_target(y, out)


def loss_fn(kind: str, label_smoothing: float = 0.0) -> Callable | None:
    if kind == "cross_entropy":
        if label_smoothing:
            return lambda out, y: F.cross_entropy(out, y, label_smoothing=label_smoothing)
        return F.cross_entropy
    if kind == "nll":
        return F.nll_loss
    if kind == "mse":
        return lambda out, y: F.mse_loss(out, _float_target(y, out))
    if kind == "l1":
        return lambda out, y: F.l1_loss(out, _float_target(y, out))
    if kind == "bce_with_logits":
        return lambda out, y: F.binary_cross_entropy_with_logits(out, _bce_target(y, out))
    if kind == "none":
        return None
    raise ValueError(f"unknown loss {kind!r}")


class Loss:
    """The loss of the Output nodes that have one. `loss(outs, ys)` is their weighted sum;
    `terms(outs, ys)` gives each such output's own loss (unweighted), in `names` order, and
    `combine(terms)` their weighted sum. outs is the forward's result (a tensor, or a tuple in
    Output order), ys one tensor shared by every output or a tuple, one per output."""

    def __init__(self, losses, n_outputs: int):
        terms = [(i, spec.output, loss_fn(spec.loss, spec.label_smoothing), spec.weight)
                 for i, spec in enumerate(losses)]
        self._terms = [t for t in terms if t[2] is not None]
        if not self._terms:
            raise ValueError("no Output node has a loss: set a loss on at least one Output")
        self.single = n_outputs == 1
        self.names = [name for _i, name, _fn, _w in self._terms]

    def terms(self, outs, ys) -> list[torch.Tensor]:
        parts = []
        for i, name, fn, _w in self._terms:
            out = outs if self.single else outs[i]
            y = ys[i] if isinstance(ys, (tuple, list)) and not self.single else ys
            try:
                parts.append(fn(out, y))
            except (RuntimeError, ValueError, IndexError) as exc:
                raise LossError(name, exc) from exc
        return parts

    def combine(self, parts: list[torch.Tensor]) -> torch.Tensor:
        total = None  # no `0.0 + loss`: one add fewer in the step's forward and backward
        for (_i, _name, _fn, w), part in zip(self._terms, parts):
            term = part if w == 1.0 else w * part
            total = term if total is None else total + term
        return total

    def __call__(self, outs, ys) -> torch.Tensor:
        return self.combine(self.terms(outs, ys))


def build_loss(losses, n_outputs: int) -> Loss:
    """The training loss from the Output nodes' LossSpecs (see Loss)."""
    return Loss(losses, n_outputs)


def primary_output(losses) -> int:
    """The output the metrics are computed on: the first one with a loss."""
    return next((i for i, spec in enumerate(losses) if spec.loss != "none"), 0)
