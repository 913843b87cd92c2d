"""Per-node training settings, declared like a layer's params and saved with the node:
whether its weights train, its learning-rate factor and whether weight decay applies.

A node stores only the settings that differ from these defaults (`Node.training`); the
optimizer's parameter groups come from them (backend/training/param_groups.py). A block
instance's settings cover every weight inside it.
"""

from __future__ import annotations

from typing import Any

from netcanvas.backend.registry import Param, ParamError

NODE_TRAINING = (
    Param("trainable", "bool", True, "Off: the node's weights stay as they are (frozen); a "
          "frozen BatchNorm also keeps its running statistics.", label="Trainable"),
    Param("lr_factor", "float", 1.0, "This node's learning rate is the run's times this factor "
          "(0.1: fine-tune gently).", min=0.0, max=1000.0, label="LR factor"),
    Param("weight_decay", "bool", True, "Off: the run's weight decay does not apply to this "
          "node's weights.", label="Weight decay"),
)
_BY_NAME = {p.name: p for p in NODE_TRAINING}


def training_param(name: str) -> Param:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ParamError(f"no per-node training setting {name!r}; there are "
                         f"{', '.join(_BY_NAME)}") from None


def validate_training(values: Any) -> dict[str, Any]:
    """The settings that differ from the defaults, each checked; ParamError names the field."""
    if not isinstance(values, dict):
        raise ParamError(f"expected an object of training settings, got {type(values).__name__}")
    out = {}
    for name, value in values.items():
        param = training_param(name)
        value = param.validate(value)
        if value != param.default:
            out[name] = value
    return out


def setting(node, name: str) -> Any:
    """A node's setting, its default where it stores none."""
    return node.training.get(name, training_param(name).default)


def card_note(training: dict[str, Any]) -> str:
    """What a card shows of its settings: '' when all are the defaults."""
    parts = []
    if training.get("trainable") is False:
        parts.append("frozen")
    if "lr_factor" in training:
        parts.append(f"lr ×{training['lr_factor']:g}")
    if training.get("weight_decay") is False:
        parts.append("no decay")
    return " · ".join(parts)
