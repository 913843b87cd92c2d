"""The Trainer: compiles a project, loads its data, trains, evaluates, checkpoints.

Knows nothing of Qt: it reports plain-Python events through `on_event` (see events.py)
and is driven from any thread; `cancel`, `pause` and `resume` are thread-safe and take
effect between steps. Exactly one of Finished, Cancelled or Failed ends every run, and
`run()` never raises. One Trainer per run.

Seeding: torch.manual_seed(seed) before the model is built (initial weights, dropout) and
a generator of its own for shuffling and augmentation, so CPU runs repeat exactly and a
resumed run continues bit for bit. A dataset with one input tensor feeds every Input node
of the same shape (the two-input examples); several outputs train on the weighted sum of
their losses, and the metrics come from the first Output with a loss.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import torch
from netcanvas.backend.echo import cut
from netcanvas.backend.registry import ParamError
from netcanvas.backend.runtime.batches import DeviceSplit, device_split, steps_per_epoch
from netcanvas.backend.runtime.device import autocast_dtype, resolve_device
from netcanvas.backend.runtime.losses import build_loss, primary_output
from netcanvas.backend.runtime.predict import predict
from netcanvas.backend.settings import runnable_reason
from netcanvas.backend.training.adversarial import adversarial_batches
from netcanvas.backend.training.checkpoint import (
    CheckpointError,
    check_resume_fields,
    damaged,
    load_checkpoint,
    optimizer_from_parts,
    prefixed,
    restore_rng,
    save_checkpoint,
)
from netcanvas.backend.training.events import (
    Cancelled,
    EpochEnded,
    Evaluated,
    Finished,
    RunResult,
    Started,
)
from netcanvas.backend.training.faults import failure
from netcanvas.backend.training.loop import Loop, Stopped
from netcanvas.backend.training.metrics import per_class_accuracy
from netcanvas.backend.training.optim import build_optimizer, load_optimizer_state
from netcanvas.backend.training.param_groups import parameter_groups, trainable_count
from netcanvas.backend.training.schedules import LRSchedule, improved
from netcanvas.backend.training.world import ONE, World

MAXIMIZED = ("accuracy", "top5", "r2", "iou", "psnr")


def minimized(metric: str) -> bool:
    return not metric.endswith(MAXIMIZED)


class Trainer:
    def __init__(self, project, dataset=None, *, device: str | None = None,
                 on_event: Callable | None = None, checkpoint_dir=None, resume_from=None,
                 world: World = ONE, layer_stats: int = 0, init_from=None):
        self.project = project
        self.world = world
        self.dataset = dataset
        self.device_name = device
        self.on_event = on_event
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self.resume_from = resume_from
        self.layer_stats = layer_stats  # sample per-layer statistics every N steps; 0 = off
        self.init_from = init_from  # an init_weights.InitSource: start from these weights
        self.init_report = None  # what starting from them did (an InitReport, also emitted)
        self._layers: list[dict] = []
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._loop: Loop | None = None
        self._compiled = None
        self._best_state: dict | None = None
        self._checkpoint: Path | None = None
        self._history: list[dict] = []
        self._best_epoch = 0
        self._device = "cpu"
        self._test = None  # (test split, dataset) once built: a stopped run is evaluated too
        self._keep = True  # a Stop keeps the work (evaluated); closing the app abandons it

    # ---- control, from any thread ------------------------------------------------
    def cancel(self, keep: bool = True) -> None:
        """Stop between two steps. The completed epochs are kept: the best (else last)
        epoch's weights are restored and, when `keep`, evaluated on the test split."""
        self._keep = self._keep and keep
        self._cancel.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    # ---- the live model, from on_event -------------------------------------------
    def snapshot_predict(self, x):
        """Outputs for samples `x` (see `predict`) from the weights as trained so far, on the
        CPU; None before the model is built. Safe to call from `on_event`, which runs on the
        training thread between two steps, so no step is writing the weights; not from
        another thread. Runs in eval mode, draws no random numbers and leaves the model in
        the mode it found it in, so a run with snapshots trains exactly as one without."""
        if self._loop is None:
            return None
        model = self._compiled
        module = model.module
        was_training = module.training
        device = next((p.device for p in module.parameters()), self._loop.device)
        try:
            return predict(model, x, device)
        finally:
            module.train(was_training)

    # ---- the run -------------------------------------------------------------------
    def _emit(self, event) -> None:
        if self.on_event is not None and self.world.is_main:
            self.on_event(event)

    def run(self) -> RunResult:
        from netcanvas.backend.data import DownloadCancelled

        try:
            return self._run()
        except (Stopped, DownloadCancelled):
            loop = self._loop
            self._emit(Cancelled(epoch=loop.epoch if loop else 0,
                                 step=loop.global_step if loop else 0))
            return self._result(cancelled=True, test_metrics=self._kept_work())
        except Exception as exc:  # noqa: BLE001 -- every fault becomes a Failed event
            loop = self._loop  # a step number only once a step has started
            step = loop.global_step + 1 if loop is not None and loop.epoch else None
            failed = failure(exc, step=step, batch_size=self.project.training.batch_size,
                             graph=self.project.graph)
            if failed.kind == "nan" and self._checkpoint is not None:
                failed.message += (f" The last good checkpoint (epoch {len(self._history)}) "
                                   f"is kept: {self._checkpoint}")
            self._emit(failed)
            return self._result(failed=failed, test_metrics=self._kept_work())

    def _run(self) -> RunResult:
        loop, dataset, val, test = self.build()
        self._test = (test, dataset)
        s = self.project.training
        state = {"epoch": 0, "best_metric": None, "bad_epochs": 0}
        if self.resume_from:
            state = self._resume(loop)
        elif self.init_report is not None:
            if val.n:  # where the starting weights stand, before the first step
                self.init_report.start_metrics = loop.evaluate(val).result()
            self._emit(self.init_report)
        self._emit(Started(device=self._device, epochs=s.epochs, steps_per_epoch=loop.steps,
                           num_params=sum(p.numel() for p in loop.model.parameters()),
                           trainable_params=trainable_count(loop.model)))
        monitor = None
        for epoch in range(state["epoch"] + 1, s.epochs + 1):
            t0 = time.perf_counter()
            metrics = loop.train_epoch(epoch)
            if loop.probe is not None:
                self._layers.append({"epoch": epoch, "layers": loop.probe.epoch_summary()})
            if val.n:
                metrics.update({f"val_{k}": v for k, v in loop.evaluate(val).result().items()})
            metrics["lr"] = loop.opt.param_groups[0]["lr"]
            seconds = time.perf_counter() - t0
            self._history.append({"epoch": epoch, "seconds": seconds, **metrics})
            self._emit(EpochEnded(epoch=epoch, seconds=seconds, metrics=metrics))
            monitor = monitor or self._monitor(metrics)
            value = metrics[monitor]
            if math.isfinite(value) and improved(value, state["best_metric"], minimized(monitor)):
                state.update(best_metric=value, bad_epochs=0)
                self._best_epoch = epoch
                self._best_state = {k: v.detach().clone()
                                    for k, v in loop.model.state_dict().items()}
            else:
                state["bad_epochs"] += 1
            loop.schedule.epoch_ended(value, minimized(monitor))
            state["epoch"] = epoch
            self._save(loop, state)
            if s.early_stopping_patience and state["bad_epochs"] >= s.early_stopping_patience:
                break
        self._restore_best()
        result = self._result(test_metrics=self._evaluate_test(loop, test, dataset))
        self._emit(Finished(result.best_epoch, dict(result.test_metrics)))
        return result

    def build(self) -> tuple[Loop, object, DeviceSplit, DeviceSplit]:
        """Seed, compile, load and check the data, move it to the device: (loop, dataset,
        val, test). `run` calls it; short diagnostics (the LR range test) step the loop
        themselves."""
        from netcanvas.backend.compiler import compile_graph

        s = self.project.training
        device = self.world.device(resolve_device(self.device_name or s.device))
        self._device = str(device)
        reason = runnable_reason(s.precision, device.type)
        if reason:
            raise ParamError(reason)
        self.world.join(device)
        torch.manual_seed(s.seed)
        compiled = self._compiled = compile_graph(self.project.graph)
        dataset = self.dataset
        if dataset is None:
            from netcanvas.backend.data import load_dataset
            dataset = load_dataset(self.project.dataset, cancel=self._cancel.is_set)
        plan = self._check(dataset, compiled)
        if self.init_from is not None and not self.resume_from:
            dataset = self._start_from(compiled, dataset)
        splits = (dataset.train, dataset.val, dataset.test)
        targets, task, classes = None, dataset.task, dataset.num_classes
        if plan is not None:  # named inputs and typed targets, in the graph's node order
            from netcanvas.backend.data.matching import ordered_split
            splits = tuple(ordered_split(split, plan) for split in splits)
            targets = plan.target_infos(dataset)
            first = targets[primary_output(compiled.losses)]
            task = {"class": "classification", "vector": "regression"}.get(first.kind, "loss")
            classes = first.classes
        amp = autocast_dtype(device, s.precision)
        model = compiled.module.to(device)
        if s.channels_last and device.type == "cuda":
            model = model.to(memory_format=torch.channels_last)
        train, val, test = (device_split(split, compiled.input_shapes, device)
                            for split in splits)
        steps = self.world.usable_steps(steps_per_epoch(train.n, s.batch_size), train.n,
                                        s.batch_size)
        if steps == 0:
            raise _data_error("the training split is empty")
        generator = torch.Generator(device=train.index_device)
        generator.manual_seed(s.seed)
        cfg = self.project.dataset
        augment = mix = None
        if dataset.is_image:  # the declared augmentations (backend/augmentations.py)
            from netcanvas.backend.data.augmentation import augmenter, mixer
            _refuse_moving_augmentations(cfg, dataset)
            augment = augmenter(cfg, dataset.mean, dataset.std)
            mix = mixer(cfg) if dataset.task == "classification" else None
        self._loop = Loop(
            model=model, loss=build_loss(compiled.losses, len(compiled.output_names)),
            optimizer=build_optimizer(parameter_groups(model, self.project.graph, s), s),
            schedule=LRSchedule(s, steps),
            settings=s, device=device, amp_dtype=amp,
            scaler=torch.amp.GradScaler("cuda") if amp == torch.float16 else None,
            train=train, task=task, num_classes=classes,
            primary=primary_output(compiled.losses), n_outputs=len(compiled.output_names),
            generator=generator, steps=steps, augment=augment, mix=mix, emit=self._emit,
            cancel=self._cancel, running=self._running, world=self.world,
            adversary=adversarial_batches(s, dataset, compiled, model), targets=targets,
            output_names=compiled.output_names)
        if self.layer_stats:
            from netcanvas.backend.runtime.probes import LayerProbe
            self._loop.probe = LayerProbe(model, self.layer_stats)
        return self._loop, dataset, val, test

    # ---- pieces ------------------------------------------------------------------
    def _start_from(self, compiled, dataset):
        """Load the starting weights that fit and adopt their data's normalisation; `run`
        emits the report before training starts."""
        from netcanvas.backend.training.init_weights import adopt_data, apply_source

        report = apply_source(compiled.module, self.init_from)
        dataset = adopt_data(dataset, self.init_from, report)
        self.init_report = report
        return dataset

    def _check(self, dataset, compiled):
        """Refuse data that does not fit the graph; the Plan that matches a dataset with named
        inputs or typed targets to the graph's nodes (None for a plain dataset)."""
        from netcanvas.backend.data import check_compatible
        from netcanvas.backend.data.matching import is_plain, match

        if not is_plain(dataset):
            return match(dataset, compiled)

        shapes = {tuple(s) for s in compiled.input_shapes}
        view = compiled
        if len(compiled.input_names) > 1 and len(shapes) == 1 and not isinstance(
                dataset.train.x, (list, tuple)):
            # One dataset tensor feeds every Input of the same shape (two-input examples).
            view = SimpleNamespace(input_names=compiled.input_names[:1],
                                   input_shapes=compiled.input_shapes[:1],
                                   output_names=compiled.output_names,
                                   output_shapes=compiled.output_shapes, losses=compiled.losses)
        check_compatible(dataset, view)
        return None

    def _monitor(self, metrics: dict) -> str:
        wanted = self.project.training.monitor
        for key in (wanted, "val_loss", "train_loss"):
            if key in metrics:
                return key
        return "train_loss"

    def _evaluate_test(self, loop: Loop, test: DeviceSplit, dataset) -> dict:
        if not test.n:
            return {}
        acc = loop.evaluate(test, confusion=loop.task == "classification")
        metrics = acc.result()
        confusion = acc.confusion_matrix()
        self._emit(Evaluated("test", metrics, confusion,
                             per_class_accuracy(confusion) if confusion else None))
        return metrics

    def _kept_work(self) -> dict:
        """After a stop or a fault: the weights of the best (else last) completed epoch,
        evaluated on the test split when it still can be; {} when no epoch completed."""
        if not self._history or self._loop is None:
            return {}
        if self._best_state is None and self._checkpoint is not None:
            self._best_state = prefixed(load_checkpoint(self._checkpoint)[1], "model/")
        self._restore_best()
        if not self._keep or self._test is None:
            return {}
        try:
            return self._evaluate_test(self._loop, *self._test)
        except Exception:  # noqa: BLE001 - e.g. out of memory again: the weights stay usable
            return {}

    def _restore_best(self) -> None:
        if self._best_state is not None and self._loop is not None:
            self._loop.model.load_state_dict(self._best_state)

    def _result(self, **kw) -> RunResult:
        compiled = self._compiled
        if compiled is not None:
            compiled.module.to("cpu", memory_format=torch.contiguous_format).eval()
        return RunResult(model=compiled, history=self._history, best_epoch=self._best_epoch,
                         device=self._device,
                         checkpoint=str(self._checkpoint) if self._checkpoint else None,
                         layers=self._layers, **kw)

    def _save(self, loop: Loop, state: dict) -> None:
        if self.checkpoint_dir is None or not self.world.is_main:
            return
        meta = dict(state, step=loop.global_step, steps_per_epoch=loop.steps,
                    batch_size=self.project.training.batch_size, best_epoch=self._best_epoch,
                    history=self._history, schedule=loop.schedule.state_dict(),
                    scaler=loop.scaler.state_dict() if loop.scaler else None)
        self._checkpoint = save_checkpoint(
            self.checkpoint_dir, model_state=loop.model.state_dict(), best_state=self._best_state,
            optimizer_state=loop.opt.state_dict(), shuffle=loop.gen, meta=meta)

    def _resume(self, loop: Loop) -> dict:
        meta, tensors = load_checkpoint(self.resume_from)
        check_resume_fields(meta)
        if meta["steps_per_epoch"] != loop.steps:
            raise CheckpointError(
                f"the checkpoint was made with {meta['steps_per_epoch']} steps per epoch "
                f"(batch size {meta['batch_size']}), this run has {loop.steps}: resume needs the "
                "same dataset and batch size")
        try:
            loop.model.load_state_dict(prefixed(tensors, "model/"))
        except RuntimeError as exc:
            raise CheckpointError("the checkpoint was made for another graph: "
                                  + cut(str(exc).removeprefix("Error(s) in loading state_dict "
                                                              "for GraphModule:"), 2000)) from None
        try:
            return self._restore_state(loop, meta, tensors)
        except CheckpointError:
            raise
        except Exception as exc:  # noqa: BLE001 -- any inconsistency in the saved state
            raise damaged(f"{type(exc).__name__}: {cut(str(exc))}") from None

    def _restore_state(self, loop: Loop, meta: dict, tensors: dict) -> dict:
        device = next(iter(loop.model.parameters())).device
        best = prefixed(tensors, "best/")
        self._best_state = {k: v.to(device) for k, v in best.items()} or None
        load_optimizer_state(loop.opt, optimizer_from_parts(meta["optimizer"], tensors))
        loop.schedule.load_state_dict(meta["schedule"])
        if loop.scaler is not None and meta.get("scaler"):
            loop.scaler.load_state_dict(meta["scaler"])
        restore_rng(tensors, loop.gen)
        loop.global_step = meta["step"]
        self._history = list(meta["history"])
        self._best_epoch = meta["best_epoch"]
        return {"epoch": meta["epoch"], "best_metric": meta.get("best_metric"),
                "bad_epochs": meta["bad_epochs"]}


MOVING_AUGMENTATIONS = ("augment_crop_padding", "augment_flip", "augment_resized_crop",
                        "augment_rotation", "augment_affine")


def _refuse_moving_augmentations(config, dataset) -> None:
    """Augmentations that move pixels move masks, boxes and image targets with them
    (backend/data/augment_geometry.py); refused by name for a target they cannot move
    consistently (a flow field, whose vectors would need turning too)."""
    from netcanvas.backend.data.augment_geometry import GEOMETRIC_KINDS, UNMOVED_KINDS

    moving = [name for name in MOVING_AUGMENTATIONS if getattr(config, name)]
    placed = [t for t in dataset.targets if t.kind not in GEOMETRIC_KINDS + UNMOVED_KINDS]
    if moving and placed:
        t = placed[0]
        from netcanvas.backend.data import DatasetError
        raise DatasetError(f"dataset.{', dataset.'.join(moving)} move the input's pixels but not "
                         f"the {t.kind} target '{t.name}' of {dataset.name}: turn "
                         f"{'it' if len(moving) == 1 else 'them'} off for this dataset")


def _data_error(message: str) -> Exception:
    from netcanvas.backend.data import DatasetError

    return DatasetError(message)
