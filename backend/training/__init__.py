"""Training: a Qt-free Trainer that reports plain-Python events (contract 5)."""

from .events import (
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
from .predict import predict
from .trainer import Trainer

__all__ = ["Cancelled", "EpochEnded", "Evaluated", "Failed", "Finished", "LayerStats", "RunResult",
           "Started", "Steps", "Trainer", "predict"]
