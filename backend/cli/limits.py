"""The most work a command takes on at once (issue 29), declared as settings are: a typo such
as `--steps 1000000000` is refused at once with the bound, instead of running for days."""

from __future__ import annotations

import os
from typing import Any

from netcanvas.backend.cli.common import UsageError
from netcanvas.backend.registry import Param, ParamError

ATTACK_STEPS = Param("steps", "int", 10, "PGD iterations per ε.", min=1, max=1000)
ATTACK_EPS = Param("eps", "floats", (0.0, 0.05, 0.1, 0.2), "The ε values to attack with.",
                   min=0.0, max=1e6)
MAX_EPS_VALUES = 64  # each ε is a pass over the whole test split
LR_FIND_STEPS = Param("steps", "int", 100, "Steps of the LR range test.", min=2, max=100_000)
SWEEP_TRIALS = Param("trials", "int", 20, "Trials in all.", min=1, max=100_000)
SWEEP_JOBS = Param("jobs", "int", 1, "Processes on this machine.", min=1,
                   max=max(1, os.cpu_count() or 1))


def checked(param: Param, value: Any) -> Any:
    """`value` as `param` declares it, or UsageError naming the option and the bound."""
    try:
        return param.validate(value)
    except ParamError as exc:
        raise UsageError(f"--{exc.args[0]}") from None


def eps_values(values: list[float]) -> tuple[float, ...]:
    if len(values) > MAX_EPS_VALUES:
        raise UsageError(f"--eps: at most {MAX_EPS_VALUES} values, got {len(values)}")
    return checked(ATTACK_EPS, values)
