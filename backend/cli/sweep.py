"""`netcanvas sweep FILE --trials N --param training.lr=log:1e-4:1e-1 ...`: an Optuna study.

Each trial trains the project with its settings and reports its metric per epoch (bad
trials are pruned). `--jobs N` runs N processes on one study; other machines join it with
the same `--storage` URL and `--study-name`. Results: OUT/trials.csv, OUT/sweep.json and
OUT/best.netcanvas. Exit status: 0 at least one trial completed, 1 none did, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from netcanvas.backend.cli.common import fail, load, project_command
from netcanvas.backend.cli.limits import SWEEP_JOBS, SWEEP_TRIALS, checked
from netcanvas.backend.cli.writable import check_writable_folder


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = project_command(
        subparsers, "sweep", help="search training settings with Optuna",
        description="Train the project once per trial with settings drawn from the given "
                    "ranges; print a row per trial and write the table and the best project.")
    p.add_argument("--trials", type=int, default=20, help="trials in all (default 20)")
    p.add_argument("--param", action="append", default=[], metavar="SECTION.FIELD=SPEC",
                   help="log:LOW:HIGH, float:LOW:HIGH, int:LOW:HIGH, A,B,C, or one fixed value")
    p.add_argument("--metric", help="what to optimise (default val_accuracy for classifiers, "
                   "val_loss otherwise)")
    p.add_argument("--storage", metavar="URL", help="Optuna storage, e.g. sqlite:///sweep.db")
    p.add_argument("--study-name", help="the study to create or join (default: from FILE)")
    p.add_argument("--jobs", type=int, default=1, help="processes on this machine")
    p.add_argument("--out", metavar="DIR", help="results folder (default FILE's name + -sweep)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:1 or mps")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return p


def run(args: argparse.Namespace) -> int:
    from netcanvas.backend.sweep import (
        SweepError,
        check_space,
        make_study,
        optimize,
        parse_param,
        shares,
    )
    from netcanvas.backend.sweep_checks import check_metric, open_storage

    project = load(args.file)
    checked(SWEEP_TRIALS, args.trials)
    checked(SWEEP_JOBS, args.jobs)
    try:
        if not args.param:
            raise SweepError("nothing to sweep: give at least one --param")
        params = [parse_param(text) for text in args.param]
        check_space(project, params)
    except SweepError as exc:
        return fail("sweep", str(exc), 2)
    out = Path(args.out or Path(args.file).with_suffix("").name + "-sweep")
    name = args.study_name or Path(args.file).stem
    if not args.worker:
        check_writable_folder(out)
    storage = args.storage
    if args.jobs > 1 and storage is None:
        storage = f"sqlite:///{(out / 'sweep.db').resolve()}"
    from netcanvas.backend.data import DatasetError, load_dataset

    try:
        dataset = load_dataset(project.dataset)
    except DatasetError as exc:
        return fail("sweep", str(exc), 1)
    metric = args.metric or ("val_accuracy" if dataset.task == "classification" else "val_loss")
    try:
        check_metric(metric, dataset.task)
        opened = None if storage is None else open_storage(storage)
    except SweepError as exc:
        return fail("sweep", str(exc), 2)
    study = make_study(metric=metric, storage=opened, study_name=name, params=params)
    mine, *others = shares(args.trials, args.jobs)
    workers = [subprocess.Popen(_worker_argv(args, n, storage, name, metric))
               for n in others if n]
    printer = None if args.worker else TrialPrinter(params, metric)
    try:
        optimize(study, project, params, trials=mine, metric=metric, dataset=dataset,
                 device=args.device, on_event=printer)
    except KeyboardInterrupt:
        return fail("sweep", "cancelled", 1)
    finally:
        for w in workers:
            w.wait()
    if args.worker:
        return 0
    return _report(study, project, params, out, metric)


def _worker_argv(args, trials: int, storage: str, name: str, metric: str) -> list[str]:
    argv = [sys.executable, "-m", "netcanvas", "sweep", args.file, "--trials", str(trials),
            "--storage", storage, "--study-name", name, "--metric", metric, "--worker"]
    for text in args.param:
        argv += ["--param", text]
    if args.device:
        argv += ["--device", args.device]
    return argv


def _report(study, project, params, out: Path, metric: str) -> int:
    from netcanvas.backend.sweep import write_results

    try:
        best = write_results(study, project, params, out, metric)
    except OSError as exc:
        return fail("sweep", f"cannot write the results into {out}: {exc.strerror or exc}", 1)
    states = [t.state.name.lower() for t in study.trials]
    print(f"{len(states)} trials: {states.count('complete')} complete, "
          f"{states.count('pruned')} pruned, {states.count('fail')} failed; "
          f"table in {out / 'trials.csv'}")
    if best is None:
        return fail("sweep", "no trial completed", 1)
    b = study.best_trial
    print(f"best: trial {b.number}, {metric} {b.value:.4g}, "
          + ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
                      for k, v in b.params.items()) + f"; project written to {best}")
    return 0


class TrialPrinter:
    """A line per finished trial: its last epoch's metric, or why it failed."""

    def __init__(self, params, metric: str):
        self.params, self.metric = params, metric
        self.last: dict[int, float] = {}

    def __call__(self, number: int, event) -> None:
        from netcanvas.backend.training import Cancelled, EpochEnded, Failed, Finished

        if isinstance(event, EpochEnded) and self.metric in event.metrics:
            self.last[number] = event.metrics[self.metric]
        elif isinstance(event, (Finished, Failed, Cancelled)):
            result = (f"{self.metric} {self.last[number]:.4g} (last epoch)"
                      if number in self.last else "no metric")
            if isinstance(event, Failed):
                result = f"failed: {event.message.splitlines()[0]}"
            elif isinstance(event, Cancelled):
                result = f"pruned at epoch {event.epoch} ({result})"
            print(f"trial {number}: {result}", flush=True)
