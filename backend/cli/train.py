"""`netcanvas train FILE`: train a project headless, print progress and the test metrics.

Exit status: 0 trained, 1 the run failed, 2 bad arguments, a bad file or a checkpoint that
cannot be resumed from, 130 interrupted (Ctrl-C; the checkpoint says where to resume).
Per-epoch lines and the results go to stdout; the progress bar goes to stderr, only when
stderr is a terminal.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import signal
import sys
import threading
import time
from pathlib import Path

from netcanvas.backend.augmentations import AUGMENTATIONS
from netcanvas.backend.cli import launch
from netcanvas.backend.cli.common import project_command
from netcanvas.backend.settings import declaration

PROG = "netcanvas train"
INTERRUPTED = 130  # the exit status shells expect after Ctrl-C
# Settings whose option is made from their declaration (name, type, choices, help).
DECLARED_OPTIONS = ("adversarial", "adversarial_eps", "adversarial_ratio")
_ARG_TYPES = {"float": float, "int": int, "choice": str, "str": str}


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = project_command(
        subparsers, "train", help="train a project file headless",
        description="Train a .netcanvas project on its dataset with its own settings; the "
                    "options override those settings.")
    p.add_argument("--epochs", type=int, help="number of epochs (total, when resuming)")
    p.add_argument("--batch-size", type=int, help="samples per step")
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:1, mps, or cuda:all (every GPU of "
                                    "this machine: --nproc-per-node N GPUs)")
    p.add_argument("--seed", type=int, help="random seed")
    # declared settings, and dataset fields: --augment-rotation 15, --augment-mix mixup
    for param in [*(declaration("training", name) for name in DECLARED_OPTIONS), *AUGMENTATIONS]:
        p.add_argument(f"--{param.name.replace('_', '-')}", type=_ARG_TYPES[param.kind],
                       choices=param.choices or None,
                       help=param.doc.replace("%", "%%"))  # argparse formats help with %
    p.add_argument("--out", metavar="DIR",
                   help="write the checkpoint, metrics.csv, metrics.json and layers.json here")
    p.add_argument("--layer-stats", type=int, metavar="N",
                   help="sample per-layer statistics every N steps of an epoch and write them "
                        "to layers.json (default 20 with --out; 0 = off)")
    p.add_argument("--resume", metavar="CKPT",
                   help="continue from a checkpoint (its folder or checkpoint.json)")
    p.add_argument("--init-from", metavar="RUN_OR_FILE",
                   help="start from these weights instead of random ones: a run folder, a "
                        "checkpoint, a .safetensors file, or 'import' (the weights netcanvas "
                        "import saved beside FILE); what fits by node name and shape is "
                        "loaded, and the report says what was new or did not fit")
    p.add_argument("--init-epoch", choices=("best", "last"), default="best",
                   help="with --init-from a run or checkpoint: its best (default) or last "
                        "epoch's weights")
    p.add_argument("--tensorboard", metavar="DIR",
                   help="also write TensorBoard event files here (e.g. OUT/tensorboard)")
    p.add_argument("--events", metavar="FILE",
                   help="also write every training event to FILE, one JSON line each, and the "
                        "run's result last (what the app follows in a multi-process run)")
    p.add_argument("--doctor", action="store_true",
                   help="watch the layer statistics and the loss, and print each finding of "
                        "the training doctor as it appears (turns --layer-stats on)")
    launch.add_arguments(p)
    p.set_defaults(run=run)
    return p


class BadArgs(Exception):
    """Refused before training: exit 2."""


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    try:
        project = _load(args)
        if why := launch.check(args) or launch.check_process_count(
                args, args.device or project.training.device):
            raise BadArgs(why)
    except BadArgs as exc:
        _error(str(exc))
        return 2
    if launch.wants_launch(args):
        return launch.launch(args, launch.worker_argv(args))
    from netcanvas.backend.training.world import World

    if launch.is_worker():
        from netcanvas.backend.training.lifeline import follow_parent

        follow_parent()  # dies with the launcher, never an orphan
    world = World.from_env()
    try:
        return _train(args, project, world)
    finally:
        world.leave()


def _train(args, project, world) -> int:
    from netcanvas.backend.data import DatasetError, load_dataset
    from netcanvas.backend.runtime.device import resolve_device
    from netcanvas.backend.training import Trainer

    out = Path(args.out) if args.out and world.is_main else None
    view = ProgressView(sys.stderr.isatty() and world.is_main)
    from netcanvas.backend.training.world import RendezvousError

    try:
        world.join(world.device(resolve_device(project.training.device)))
    except RendezvousError as exc:
        _error(str(exc))
        return 1
    if not world.is_main:
        world.barrier()  # rank 0 downloads the data first
    try:
        dataset = load_dataset(project.dataset, progress=view.download)
    except DatasetError as exc:  # malformed or missing data: refused before training
        view.clear()
        _error(str(exc))
        return 2
    finally:
        if world.is_main:
            world.barrier()
    from netcanvas.backend.runtime.probes import DEFAULT_EVERY

    wanted = out or args.doctor
    every = args.layer_stats if args.layer_stats is not None else (DEFAULT_EVERY if wanted else 0)
    sinks = [view]
    if args.doctor and world.is_main:
        from netcanvas.backend.cli.doctor_view import DoctorView
        classes = dataset.num_classes if dataset.task == "classification" else None
        sinks.append(DoctorView(project, classes, before=view.clear))
    if args.tensorboard and world.is_main:
        from netcanvas.backend.training.tensorboard import TensorBoardLog
        sinks.append(TensorBoardLog(args.tensorboard))
    log = None
    if args.events and world.is_main:
        from netcanvas.backend.training.remote import EventLog
        sinks.append(log := EventLog(args.events))
    trainer = Trainer(project, dataset, device=args.device, on_event=fan_out(sinks),
                      checkpoint_dir=out, resume_from=args.resume, world=world,
                      layer_stats=every, init_from=args.init_source)
    result = run_cancellable(trainer)
    view.clear()
    if log is not None:
        log(result)  # the run's result, last
    for sink in sinks[1:]:
        sink.close()
    if out is not None and not (args.resume and result.failed is not None
                                and not result.history):
        try:
            write_metrics(out, result)  # a resume that failed before restoring keeps the old
        except OSError as exc:  # a full disk, say: one line, not a traceback
            _error(f"could not write the metrics to {out}: {exc.strerror or exc}")
            return 1
    if result.failed is not None:
        _error(result.failed.message.replace("\n", " "))
        refused = _refused_resume(result) or (result.failed.kind == "data"
                                              and result.failed.step is None)
        return 2 if refused else 1
    if result.cancelled:  # Ctrl-C: an interrupt, not an error
        where = (f"; its checkpoint is in {out}: continue with --resume {out} --out {out}"
                 if result.checkpoint and out is not None else "")
        print(f"{PROG}: interrupted after {len(result.history)} epoch(s){where}",
              file=sys.stderr)
        return INTERRUPTED
    if not world.is_main:
        return 0
    stop = early_stop_note(project.training, result)
    if stop:
        print(stop)
    if world.distributed:
        print(f"trained in {world.size} processes")
    print_test(result.test_metrics)
    if out is not None:
        print(f"checkpoint and metrics written to {out}")
    from netcanvas.backend.training.closed_form import is_linear_regression
    if is_linear_regression(project.graph):
        print_closed_form(result.model, dataset)
    return 0


def early_stop_note(settings, result) -> str:
    """'stopped early at epoch 7 of 30: ...; best epoch 4', or "" when every epoch ran."""
    done = len(result.history)
    if not settings.early_stopping_patience or done >= settings.epochs:
        return ""
    return (f"stopped early at epoch {done} of {settings.epochs}: {settings.monitor} did not "
            f"improve for {settings.early_stopping_patience} epoch(s); best epoch "
            f"{result.best_epoch}")


def _refused_resume(result) -> bool:
    """The checkpoint could not be resumed from: a bad argument (exit 2)."""
    return result.failed is not None and result.failed.kind == "checkpoint"


def fan_out(sinks: list):
    """One on_event callback that hands each event to every sink."""
    if len(sinks) == 1:
        return sinks[0]
    return lambda event: [sink(event) for sink in sinks]


def run_cancellable(trainer):
    """Ctrl-C cancels between steps (a Cancelled run) instead of a traceback."""
    if threading.current_thread() is not threading.main_thread():
        return trainer.run()
    previous = signal.signal(signal.SIGINT, lambda *_: trainer.cancel())
    try:
        return trainer.run()
    finally:
        signal.signal(signal.SIGINT, previous)


def _load(args):
    from netcanvas.backend.project_io import ProjectFileError, load_project
    from netcanvas.backend.registry import ParamError
    from netcanvas.backend.settings import runnable_reason, validate_setting

    if args.layer_stats is not None and args.layer_stats < 0:
        raise BadArgs(f"--layer-stats must be 0 (off) or more, got {args.layer_stats}")
    if args.doctor and args.layer_stats == 0:
        raise BadArgs("--doctor reads the layer statistics: give --layer-stats N > 0 or leave "
                      "it out")
    overrides = {name: getattr(args, name) for name in ("epochs", "batch_size", "lr", "seed",
                                                        "device", *DECLARED_OPTIONS)
                 if getattr(args, name) is not None}
    augments = {p.name: getattr(args, p.name) for p in AUGMENTATIONS
                if getattr(args, p.name) is not None}
    for section, values in (("training", overrides), ("dataset", augments)):
        for name, value in values.items():  # the project's own declarations judge them
            try:
                validate_setting(section, name, value)
            except ParamError as exc:
                raise BadArgs(f"--{name.replace('_', '-')} ({exc})") from None
    if args.resume and not Path(args.resume).exists():
        raise BadArgs(f"no checkpoint at {args.resume}")
    if not Path(args.file).exists():
        raise BadArgs(f"no such file: {args.file}")
    args.init_source = None
    if args.init_from:
        if args.resume:
            raise BadArgs("--init-from starts a new run; --resume continues one: choose one")
        from netcanvas.backend.training.init_weights import InitError, read_source
        try:
            args.init_source = read_source(args.init_from, args.file, args.init_epoch)
        except InitError as exc:
            raise BadArgs(f"--init-from: {exc}") from None
    try:
        project = load_project(args.file)
    except (ProjectFileError, OSError, ValueError) as exc:
        text = str(exc)
        raise BadArgs(text if args.file in text else f"{args.file}: {text}") from None
    for name, value in overrides.items():
        project.set_setting("training", name, value)
    for name, value in augments.items():
        project.set_setting("dataset", name, value)
    from netcanvas.backend.runtime.device import processes, resolve_device  # torch: seconds

    s = project.training
    try:
        device = resolve_device(s.device)
    except (ValueError, RuntimeError) as exc:
        raise BadArgs(str(exc)) from None
    reason = runnable_reason(s.precision, device.type)
    if reason:
        raise BadArgs(f"{args.file}: {reason}")
    args.device = s.device
    if args.nproc_per_node is None and processes(s.device) > 1:
        args.nproc_per_node = processes(s.device)  # cuda:all: one process per GPU
    return project


class ProgressView:
    """Turns Trainer events into terminal output."""

    def __init__(self, tty: bool):
        self.tty = tty
        self.epochs = 0
        self.drawn = False

    def __call__(self, event) -> None:
        from netcanvas.backend.training import EpochEnded, Started, Steps
        from netcanvas.backend.training.events import InitReport

        if isinstance(event, InitReport):
            print("\n".join(event.lines()), flush=True)
        elif isinstance(event, Started):
            self.epochs = event.epochs
            frozen = (f" ({event.trainable_params:,} trainable)"
                      if event.trainable_params not in (None, event.num_params) else "")
            print(f"training on {event.device}: {event.num_params:,} parameters{frozen}, "
                  f"{event.steps_per_epoch} steps per epoch", flush=True)
        elif isinstance(event, Steps) and self.tty and event.losses:
            self._bar(event.progress, f"epoch {event.epoch}/{self.epochs}  "
                      f"loss {event.losses[-1]:.4f}  {event.samples_per_sec:,.0f} samples/s")
        elif isinstance(event, EpochEnded):
            self.clear()
            print(f"epoch {event.epoch}/{self.epochs}  {event.seconds:.2f}s  "
                  + "  ".join(f"{k} {_fmt(k, v)}" for k, v in event.metrics.items()), flush=True)

    def download(self, done: int, total: int, message: str) -> None:
        if self.tty:
            self._bar(done / total if total else 0.0, message)

    def _bar(self, fraction: float, text: str, width: int = 30) -> None:
        filled = int(width * min(max(fraction, 0.0), 1.0))
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%}  {text}\x1b[K")
        sys.stderr.flush()
        self.drawn = True

    def clear(self) -> None:
        if self.drawn:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.drawn = False


def _fmt(key: str, value: float) -> str:
    if "accuracy" in key or key.endswith("top5"):
        return f"{value:.2%}"
    return f"{value:.4g}"


def print_test(metrics: dict) -> None:
    if metrics:
        print("test  " + "  ".join(f"{k} {_fmt(k, v)}" for k, v in metrics.items()))


def print_closed_form(model, dataset) -> None:
    """Trained weights next to w* = (XᵀX)⁻¹XᵀY on the normalised training inputs."""
    from netcanvas.backend.training.closed_form import compare_model

    rows = compare_model(model, dataset)
    print("\nlinear regression: trained weights vs the least-squares solution "
          "w* = (XᵀX)⁻¹XᵀY\n(on the inputs the model sees: normalised training split)")
    print(f"{'':8}{'trained':>14}{'closed form':>14}{'difference':>14}")
    for name, trained, best, diff in rows:
        print(f"{name:8}{trained:14.6f}{best:14.6f}{diff:14.2e}")


def _finite(value):
    return value if not isinstance(value, float) or math.isfinite(value) else None


def write_metrics(out: Path, result) -> None:
    """metrics.json (test metrics, one entry per epoch, device) and metrics.csv (epochs)."""
    out.mkdir(parents=True, exist_ok=True)
    doc = {"test": {k: _finite(v) for k, v in result.test_metrics.items()},
           "epochs": [{k: _finite(v) for k, v in h.items()} for h in result.history],
           "device": result.device, "best_epoch": result.best_epoch,
           "written": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    if result.failed is not None:
        doc["failed"] = {"kind": result.failed.kind, "message": result.failed.message,
                         "node": result.failed.node, "step": result.failed.step}
    (out / "metrics.json").write_text(json.dumps(doc, indent=1) + "\n")
    if result.layers:  # per epoch, per node: mean, std, zeros, grad_norm, update_ratio
        layers = [{"epoch": e["epoch"], "layers": {
            name: {k: _finite(v) for k, v in stats.items()} for name, stats in e["layers"].items()}}
            for e in result.layers]
        (out / "layers.json").write_text(json.dumps(layers, indent=1) + "\n")
    columns: list[str] = []
    for h in result.history:
        columns += [k for k in h if k not in columns]
    with open(out / "metrics.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(result.history)
