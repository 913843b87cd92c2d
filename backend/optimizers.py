"""The optimizers, each declared once: the training settings it takes, its torch.optim
class and the state it keeps per parameter. The settings form shows the settings an
optimizer takes, training builds it (backend/training/optim.py) and the memory predictor
(backend/doctor/memory.py) sizes its state from this table. Torch-free."""

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

    def state_tensors(self, s) -> int:
        """Parameter-sized state tensors under the settings `s`."""
        return self.state + (1 if self.momentum_state and s.momentum > 0 else 0)


OPTIMIZER_SPECS: dict[str, Optimizer] = {o.name: o for o in (
    Optimizer("sgd", "SGD", ("momentum", "nesterov"),
              lambda s: {"momentum": s.momentum, "nesterov": bool(s.nesterov and s.momentum > 0)},
              state=0, momentum_state=True),
    Optimizer("rmsprop", "RMSprop", ("momentum", "alpha"),
              lambda s: {"alpha": s.alpha, "momentum": s.momentum}, state=1, momentum_state=True),
    Optimizer("adagrad", "Adagrad", (), lambda s: {}, state=1),
    Optimizer("adadelta", "Adadelta", ("rho",), lambda s: {"rho": s.rho}, state=2),
    Optimizer("adam", "Adam", ("betas",), lambda s: {"betas": tuple(s.betas)}, state=2),
    Optimizer("adamw", "AdamW", ("betas",), lambda s: {"betas": tuple(s.betas)}, state=2),
)}
OPTIMIZERS = tuple(OPTIMIZER_SPECS)
OPTIMIZER_SETTINGS = tuple(dict.fromkeys(n for o in OPTIMIZER_SPECS.values() for n in o.settings))
