"""Hyperparameter sweeps on Optuna: each trial is a full run of the project.

A search space is a list of `SweepParam`s parsed from `section.field=SPEC` text:
`log:1e-4:1e-1` (log-uniform), `float:0:0.5`, `int:1:8`, `32,64,128` (a choice) or one
value (fixed for every trial). Every value is checked by loading it into the project through
the project loader, so a sweep can only try what a project file may hold. Trials report
their metric per epoch so Optuna's pruner stops bad ones; several processes (or machines)
join one study through a storage URL. All-choice spaces are searched exhaustively without
repeats (BruteForceSampler), the others with TPE.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netcanvas.backend.project import Project
from netcanvas.backend.project_io import (
    ProjectFileError,
    project_from_dict,
    project_to_dict,
    save_project,
)

RANGES = ("log", "float", "int")


class SweepError(ValueError):
    """A search space or option that cannot run; the message names the parameter."""


@dataclass(frozen=True)
class SweepParam:
    path: str  # "training.lr"
    kind: str  # log | float | int | choice
    values: tuple  # (low, high) for ranges, the choices otherwise (one: fixed)

    @property
    def fixed(self) -> bool:
        return self.kind == "choice" and len(self.values) == 1

    def suggest(self, trial) -> Any:
        if self.fixed:
            return self.values[0]
        if self.kind == "choice":
            return trial.suggest_categorical(self.path, list(self.values))
        low, high = self.values
        if self.kind == "int":
            return trial.suggest_int(self.path, low, high)
        return trial.suggest_float(self.path, low, high, log=self.kind == "log")


KINDS = {"int": int, "float": float, "bool": bool, "choice": str, "str": str}


def _field_type(path: str) -> type:
    """The Python type of a declared setting (backend/settings.py)."""
    from netcanvas.backend.registry import ParamError
    from netcanvas.backend.settings import SECTIONS, declaration

    section, _, name = path.partition(".")
    if section not in SECTIONS or not name:
        raise SweepError(f"{path}: a sweep parameter is training.FIELD or dataset.FIELD")
    try:
        kind = declaration(section, name).kind
    except ParamError as exc:
        raise SweepError(str(exc)) from None
    if kind not in KINDS:
        raise SweepError(f"{path}: settings of kind {kind} cannot be swept")
    return KINDS[kind]


def _parse_value(text: str, tp: type, path: str) -> Any:
    text = text.strip()
    try:
        if tp is bool:
            if text.lower() not in ("true", "false"):
                raise ValueError
            return text.lower() == "true"
        if tp is int:
            return int(text)
        if tp is float:
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
            return value
    except ValueError:
        raise SweepError(f"{path}: expected {tp.__name__}, got {text!r}") from None
    if tp is str:
        return text
    raise SweepError(f"{path}: settings of this kind cannot be swept")


def parse_param(text: str) -> SweepParam:
    """`training.lr=log:1e-4:1e-1` -> SweepParam (types from the settings declarations)."""
    path, eq, spec = text.partition("=")
    path = path.strip()
    if not eq or not spec.strip():
        raise SweepError(f"{text!r}: expected section.field=SPEC, e.g. training.lr=log:1e-4:1e-1")
    tp = _field_type(path)
    head, _, rest = spec.partition(":")
    if head in RANGES and rest:
        bounds = rest.split(":")
        if len(bounds) != 2:
            raise SweepError(f"{path}: a {head} range is {head}:LOW:HIGH, got {spec!r}")
        as_type = int if head == "int" else float
        if tp is int and head != "int" or tp is not int and tp is not float:
            raise SweepError(f"{path}: is {tp.__name__}; a {head} range does not fit it")
        low, high = (_parse_value(b, as_type, path) for b in bounds)
        if not low < high:
            raise SweepError(f"{path}: the range must go from low to high, got {low}..{high}")
        if head == "log" and low <= 0:
            raise SweepError(f"{path}: a log range must be above 0, got {low}")
        return SweepParam(path, head, (low, high))
    choices = tuple(_parse_value(v, tp, path) for v in spec.split(","))
    if len(set(choices)) != len(choices):
        raise SweepError(f"{path}: a value is given twice in {spec!r}")
    return SweepParam(path, "choice", choices)


def with_settings(project: Project, settings: dict[str, Any]) -> Project:
    """A copy of `project` with `{"training.lr": 0.01, ...}` applied, checked by the loader."""
    d = project_to_dict(project)
    for path, value in settings.items():
        section, _, name = path.partition(".")
        d.setdefault(section, {})[name] = value
    try:
        return project_from_dict(d)
    except ProjectFileError as exc:
        raise SweepError(str(exc)) from None


def check_space(project: Project, params: list[SweepParam]) -> None:
    """Refuse, before anything runs, a value the project could not hold."""
    paths = [p.path for p in params]
    if len(set(paths)) != len(paths):
        raise SweepError("a parameter is given twice")
    for p in params:
        for value in p.values:
            with_settings(project, {p.path: value})


def is_exhaustive(params: list[SweepParam]) -> bool:
    return all(p.kind == "choice" for p in params)


def space_size(params: list[SweepParam]) -> int | None:
    if not is_exhaustive(params):
        return None
    return math.prod(len(p.values) for p in params)


def make_study(*, metric: str, storage: str | None, study_name: str | None,
               params: list[SweepParam], seed: int = 0):
    import optuna
    from netcanvas.backend.training.trainer import minimized

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (optuna.samplers.BruteForceSampler(seed=seed) if is_exhaustive(params)
               else optuna.samplers.TPESampler(seed=seed))
    return optuna.create_study(
        study_name=study_name, storage=storage, load_if_exists=True, sampler=sampler,
        direction="minimize" if minimized(metric) else "maximize",
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1))


class TrialFailed(Exception):
    """A trial whose run failed (NaN loss, out of memory, ...): recorded, the sweep goes on."""


def objective(project: Project, params: list[SweepParam], *, metric: str, dataset=None,
              device: str | None = None, on_event: Callable | None = None):
    """Optuna's objective: one full training run per trial; its best epoch's `metric`."""
    import optuna
    from netcanvas.backend.training import EpochEnded, Trainer
    from netcanvas.backend.training.trainer import minimized

    def run(trial) -> float:
        settings = {p.path: p.suggest(trial) for p in params}
        trial_project = with_settings(project, settings)
        pruned = []

        def report(event) -> None:
            if on_event is not None:
                on_event(trial.number, event)
            if isinstance(event, EpochEnded) and metric in event.metrics:
                trial.report(event.metrics[metric], event.epoch)
                if trial.should_prune():
                    pruned.append(event.epoch)
                    trainer.cancel()

        trainer = Trainer(trial_project, dataset, device=device, on_event=report)
        result = trainer.run()
        if pruned:
            raise optuna.TrialPruned(f"pruned at epoch {pruned[0]}")
        if result.failed is not None:
            trial.set_user_attr("error", result.failed.message)
            raise TrialFailed(result.failed.message)
        values = [h[metric] for h in result.history if metric in h]
        if not values:
            raise TrialFailed(f"the runs report no {metric} (is there a validation split?)")
        return min(values) if minimized(metric) else max(values)

    return run


def optimize(study, project: Project, params: list[SweepParam], *, trials: int, metric: str,
             dataset=None, device: str | None = None, on_event: Callable | None = None) -> None:
    """Run `trials` trials of the study in this process (fewer when an all-choice space runs
    out: the exhaustive sampler then stops the study)."""
    study.optimize(objective(project, params, metric=metric, dataset=dataset, device=device,
                             on_event=on_event), n_trials=trials, catch=(TrialFailed,))


def shares(trials: int, jobs: int) -> list[int]:
    """Trials per process: `trials` split over `jobs`, none run twice."""
    return [trials // jobs + (k < trials % jobs) for k in range(jobs)]


def write_results(study, project: Project, params: list[SweepParam], out: Path,
                  metric: str) -> Path | None:
    """trials.csv (a row per trial), sweep.json, and best.netcanvas (the best settings)."""
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for t in study.trials:
        seconds = ((t.datetime_complete - t.datetime_start).total_seconds()
                   if t.datetime_complete and t.datetime_start else None)
        rows.append({"trial": t.number, "state": t.state.name.lower(), metric: t.value,
                     **{p.path: t.params.get(p.path, p.values[0] if p.fixed else None)
                        for p in params},
                     "seconds": seconds, "error": t.user_attrs.get("error", "")})
    with open(out / "trials.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]) if rows else ["trial"])
        writer.writeheader()
        writer.writerows(rows)
    best = None
    done = [t for t in study.trials if t.state.name == "COMPLETE"]
    if done:
        best = study.best_trial
    doc = {"study": study.study_name, "metric": metric, "direction": study.direction.name.lower(),
           "trials": rows, "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
           "best": {"trial": best.number, "value": best.value, "params": best.params}
           if best else None}
    (out / "sweep.json").write_text(json.dumps(doc, indent=1, default=str) + "\n")
    if best is None:
        return None
    settings = {p.path: best.params.get(p.path, p.values[0]) for p in params}
    path = out / "best.netcanvas"
    save_project(with_settings(project, settings), path)
    return path
