"""The optimizers, each declared once: the training settings it takes, its torch.optim
class, the state it keeps per parameter and the implementation torch runs it with on each
device. The settings form shows the settings an optimizer takes, training builds it
(backend/training/optim.py) and the memory predictor (backend/doctor/memory.py) sizes its
state from this table. Torch-free."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Optimizer:
    name: str
    torch_class: str  # in torch.optim
    settings: tuple[str, ...]  # training settings it takes besides lr and weight_decay
    kwargs: Callable[[Any], dict]  # its torch arguments from a TrainingSettings
    state: int  # tensors of a parameter's size it keeps per parameter
    momentum_state: bool = False  # one more while momentum > 0
    # torch's implementation per device type where its default is slower: "fused" (one
    # kernel updates every parameter) or "foreach" (one op per update over all of them). On
    # the CPU torch defaults to a Python loop over the parameters: an Adam step of the LeNet
    # example takes 215 us that way and 60 us fused, SGD 65 vs 29, RMSprop 154 vs 110 with
    # foreach (no fused kernel); bench/parity.py. Other devices keep torch's default (foreach
    # on CUDA); the meta device (memory measurement) takes no implementation argument.
    implementation: tuple[tuple[str, str], ...] = ()

    def state_tensors(self, s) -> int:
        """Parameter-sized state tensors under the settings `s`."""
        return self.state + (1 if self.momentum_state and s.momentum > 0 else 0)

    def implementation_kwargs(self, device_type: str) -> dict[str, bool]:
        """The torch.optim argument that picks the implementation on `device_type`."""
        kind = dict(self.implementation).get(device_type)
        return {kind: True} if kind else {}


FUSED_ON_CPU = (("cpu", "fused"),)
FOREACH_ON_CPU = (("cpu", "foreach"),)  # torch has no fused kernel for it

OPTIMIZER_SPECS: dict[str, Optimizer] = {o.name: o for o in (
    Optimizer("sgd", "SGD", ("momentum", "nesterov"),
              lambda s: {"momentum": s.momentum, "nesterov": bool(s.nesterov and s.momentum > 0)},
              state=0, momentum_state=True, implementation=FUSED_ON_CPU),
    Optimizer("rmsprop", "RMSprop", ("momentum", "alpha"),
              lambda s: {"alpha": s.alpha, "momentum": s.momentum}, state=1, momentum_state=True,
              implementation=FOREACH_ON_CPU),
    Optimizer("adagrad", "Adagrad", (), lambda s: {}, state=1, implementation=FUSED_ON_CPU),
    Optimizer("adadelta", "Adadelta", ("rho",), lambda s: {"rho": s.rho}, state=2,
              implementation=FOREACH_ON_CPU),
    Optimizer("adam", "Adam", ("betas",), lambda s: {"betas": tuple(s.betas)}, state=2,
              implementation=FUSED_ON_CPU),
    Optimizer("adamw", "AdamW", ("betas",), lambda s: {"betas": tuple(s.betas)}, state=2,
              implementation=FUSED_ON_CPU),
)}
OPTIMIZERS = tuple(OPTIMIZER_SPECS)
OPTIMIZER_SETTINGS = tuple(dict.fromkeys(n for o in OPTIMIZER_SPECS.values() for n in o.settings))
