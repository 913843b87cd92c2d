"""Training: a Qt-free Trainer that reports plain-Python events (backend/training/events.py).

The events are plain dataclasses and importing them must stay cheap: the Trainer and
`predict` (which import torch, seconds) load on first use.
"""

from netcanvas.backend.training.events import (
    Cancelled,
    EpochEnded,
    Evaluated,
    Failed,
    Finished,
    LayerStats,
    RunResult,
    Started,
    Steps,
)

__all__ = ["Cancelled", "EpochEnded", "Evaluated", "Failed", "Finished", "LayerStats", "RunResult",
           "Started", "Steps", "Trainer", "predict"]

_LAZY = {"Trainer": "netcanvas.backend.training.trainer",
         "predict": "netcanvas.backend.runtime.predict"}  # runs a trained model


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
