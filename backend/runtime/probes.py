"""Per-layer statistics while training, keyed by node name (module names are node names).

Every `every`-th step of an epoch (its first included) the probe hooks each node's module
for that one step: the output's mean, standard deviation (population) and fraction of
exact zeros (dead ReLUs), over the batch's first SAMPLES samples, and, for each node with parameters, the norm of its gradient and
the size of the optimizer's update relative to its weights, ‖Δw‖ / ‖w‖. Everything is
summed on the device; `read()` brings it to the host in one transfer, so it rides on the
loop's batched reports and costs no per-step sync. Between sampled steps no hook is
registered and nothing is computed. Under fp16 mixed precision without gradient clipping
the gradient norms are those of the loss-scaled gradients the optimizer step received.
"""

from __future__ import annotations

import torch
from torch import nn

ACTIVATION_KEYS = ("mean", "std", "zeros")
PARAM_KEYS = ("grad_norm", "update_ratio")
DEFAULT_EVERY = 20
SAMPLES = 16  # activation statistics look at the batch's first samples: cheap, and enough


class LayerProbe:
    def __init__(self, model: nn.Module, every: int = DEFAULT_EVERY):
        assert every >= 1, "every must be at least 1"
        self.every = every
        self.modules = list(model.named_children())
        self.names = [name for name, _ in self.modules]
        self.layers = [(name, [p for p in m.parameters() if p.requires_grad])
                       for name, m in self.modules]
        self.layers = [(name, ps) for name, ps in self.layers if ps]
        self.params = [p for _, ps in self.layers for p in ps]
        # Parameter k belongs to layer owner[k]: the per-layer norms are segment sums.
        owner = [i for i, (_, ps) in enumerate(self.layers) for _ in ps]
        device = self.params[0].device if self.params else torch.device("cpu")
        self.owner = torch.tensor(owner, dtype=torch.long, device=device)
        self.act_sum = torch.zeros(len(self.names), len(ACTIVATION_KEYS), device=device)
        self.act_seen = torch.zeros(len(self.names), device=device)
        self.param_sum = torch.zeros(len(self.layers), len(PARAM_KEYS), device=device)
        self.count = 0
        self._handles: list = []
        self._rows: list[torch.Tensor] = []
        self._rows_at: list[int] = []
        self._numel: list[int] = []
        self._before: list[torch.Tensor] = []
        self.epoch_readings: list[dict] = []

    def wants(self, step_in_epoch: int) -> bool:
        return step_in_epoch % self.every == 0

    def start(self) -> None:
        """Before the step's forward: hook every module and remember the weights."""
        for index, (_, module) in enumerate(self.modules):
            self._handles.append(module.register_forward_hook(self._hook(index)))
        self._before = [p.detach().clone() for p in self.params]

    def _hook(self, index: int):
        def record(module, args, output):
            out = output[0] if isinstance(output, (tuple, list)) else output
            if isinstance(out, torch.Tensor) and out.is_floating_point() and out.numel():
                x = out.detach()[:SAMPLES].flatten()
                x = x if x.dtype == torch.float32 else x.float()
                # Sums only (torch.std_mean is several times slower on the CPU).
                self._rows += (x.sum(), torch.dot(x, x), torch.count_nonzero(x))
                self._rows_at.append(index)
                self._numel.append(x.numel())
        return record

    def finish(self) -> None:
        """After the optimizer step (the gradients are still there): accumulate, unhook."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        if self._rows:
            at = torch.tensor(self._rows_at, device=self.act_sum.device)
            sums = torch.stack([r.float() for r in self._rows]).view(-1, 3).to(at.device)
            n = torch.tensor(self._numel, dtype=torch.float32, device=at.device)
            mean = sums[:, 0] / n
            std = (sums[:, 1] / n - mean * mean).clamp_min(0).sqrt()
            rows = torch.stack([mean, std, 1 - sums[:, 2] / n], dim=1)
            self.act_sum.index_add_(0, at, rows)
            self.act_seen.index_add_(0, at, torch.ones(len(self._rows_at),
                                                       device=self.act_seen.device))
        self._rows, self._rows_at, self._numel = [], [], []
        if self.params:
            grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
            sums = torch.stack([
                self._segment(torch._foreach_norm(grads)),
                self._segment(torch._foreach_norm(torch._foreach_sub(
                    [p.detach() for p in self.params], self._before)))
                / self._segment(torch._foreach_norm([p.detach() for p in self.params])
                                ).clamp_min(1e-30)], dim=1)
            self.param_sum += sums.float()
        self._before = []
        self.count += 1

    def _segment(self, norms: list[torch.Tensor]) -> torch.Tensor:
        """Per-layer norm from its parameters' norms: sqrt of the sum of their squares."""
        squares = torch.stack(norms).float().square()
        total = torch.zeros(len(self.layers), device=squares.device)
        return total.index_add_(0, self.owner.to(squares.device), squares).sqrt()

    def read(self) -> dict | None:
        """The means over the steps sampled since the last read, as plain numbers (one host
        transfer), or None when no step was sampled. Also kept for `epoch_summary`."""
        if not self.count:
            return None
        act = (self.act_sum / self.act_seen.clamp_min(1)[:, None]).tolist()
        seen = self.act_seen.tolist()
        par = (self.param_sum / self.count).tolist()
        layers: dict[str, dict[str, float]] = {}
        for name, row, n in zip(self.names, act, seen):
            if n:
                layers[name] = dict(zip(ACTIVATION_KEYS, row))
        for (name, _), row in zip(self.layers, par):
            layers.setdefault(name, {}).update(zip(PARAM_KEYS, row))
        reading = {"count": self.count, "layers": layers}
        self.epoch_readings.append(reading)
        self.act_sum.zero_()
        self.act_seen.zero_()
        self.param_sum.zero_()
        self.count = 0
        return reading

    def epoch_summary(self) -> dict[str, dict[str, float]]:
        """Mean of this epoch's readings, weighted by how many steps each covers; resets."""
        readings, self.epoch_readings = self.epoch_readings, []
        total: dict[str, dict[str, float]] = {}
        weight: dict[str, dict[str, float]] = {}
        for r in readings:
            for name, values in r["layers"].items():
                for key, value in values.items():
                    total.setdefault(name, {}).setdefault(key, 0.0)
                    weight.setdefault(name, {}).setdefault(key, 0.0)
                    total[name][key] += value * r["count"]
                    weight[name][key] += r["count"]
        return {name: {k: v / weight[name][k] for k, v in values.items()}
                for name, values in total.items()}
