"""Weights as a starting point: a run starts from an import's weights, a finished run or a
weights file instead of random ones.

Tensors are matched to the compiled model by state-dict key (`<node name>.<parameter>`, so
by node name) and shape. A tensor that fits is loaded; one the model lacks is new
(initialised as usual); one whose shape differs is kept in part where the layer only grew
(a widened layer: Net2Net, see net2net.py; where the graph's path does not allow it, the
new units' outgoing weights start at zero: either way the network computes what it did)
and otherwise left out with the reason. A new square layer (n -> n Linear, a same-size Conv) is initialised to the
identity when asked (`identity_new`), so inserting it leaves the network's function as it
was. The data's normalisation and class labels recorded with a run come along.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from netcanvas.backend.shapes import format_shape
from netcanvas.backend.training.events import InitReport
from netcanvas.backend.training.net2net import widen

IMPORT = "import"  # `--init-from import`: the weights saved beside the project by `netcanvas import`


class InitError(ValueError):
    """Weights that cannot be used as a starting point; the message says why."""


@dataclass
class InitSource:
    """Where starting weights come from: tensors by state-dict key, and what the run that
    made them knew of its data (a runs.DataInfo, or None)."""

    label: str
    tensors: dict[str, torch.Tensor]
    data: object = None
    identity_new: bool = False  # a new square layer starts as the identity (edit and continue)


# ---- reading a source -------------------------------------------------------------------
def read_source(spec: str | os.PathLike, project_path=None, which: str = "best") -> InitSource:
    """The weights `spec` names: "import" (the PROJECT.safetensors `netcanvas import` wrote
    beside `project_path`), a run folder (its `which` epoch: "best" or "last"), a checkpoint
    folder or checkpoint.json, or a .safetensors file."""
    from netcanvas.backend.runs import RUN_JSON, Run
    from netcanvas.backend.training.checkpoint import (
        CHECKPOINT_JSON,
        CheckpointError,
        load_checkpoint,
        prefixed,
    )

    if which not in ("best", "last"):
        raise InitError(f"which epoch must be best or last, not {which!r}")
    if str(spec) == IMPORT:
        if project_path is None:
            raise InitError("'import' needs a saved project: its weights sit beside it")
        from netcanvas.backend.importer.save import weights_path
        path = weights_path(project_path)
        if not path.is_file():
            raise InitError(f"no imported weights at {path} (made by netcanvas import)")
    else:
        path = Path(spec)
    if not path.exists():
        raise InitError(f"no weights at {path}")
    data = None
    try:
        if path.is_dir() and (path / RUN_JSON).is_file():
            run = Run.load(path)
            data = run.data
            if not run.usable:
                raise InitError(f"{path}: {run.label} has no completed epoch: no weights")
            _meta, tensors = load_checkpoint(run.checkpoint_dir)
            label = f"{run.label} ({path})"
        elif path.is_dir() or path.name == CHECKPOINT_JSON:
            _meta, tensors = load_checkpoint(path)
            label = str(path)
        else:
            from safetensors.torch import load_file
            tensors, label = load_file(str(path)), str(path)
    except CheckpointError as exc:
        raise InitError(f"{path}: {exc}") from None
    except InitError:
        raise
    except Exception as exc:  # noqa: BLE001 -- safetensors raises its own error types
        raise InitError(f"{path}: not a weights file, run or checkpoint ({exc})") from None
    if any(k.startswith(("best/", "model/")) for k in tensors):
        best = prefixed(tensors, "best/") if which == "best" else {}
        tensors = best or prefixed(tensors, "model/")
        label += f", {which if best or which == 'last' else 'last'} epoch"
    return InitSource(label, tensors, data)


# ---- applying it --------------------------------------------------------------------------
def plan(module: torch.nn.Module, shapes: dict[str, tuple[int, ...]], label: str = "",
         identity_new: bool = False) -> InitReport:
    """What loading tensors of these `shapes` (by key) into `module` would do, without
    touching a weight: `module` may live on the meta device (the canvas's marks)."""
    report = InitReport(label)
    state = module.state_dict()
    for key, target in state.items():
        got = shapes.get(key)
        if got is None:
            report.new.append(key)
        elif tuple(got) == tuple(target.shape):
            report.loaded.append(key)
        elif _grew(got, target.shape):
            report.partly.append(key)
        else:
            report.mismatched.append(
                (key, (f"shape {format_shape(tuple(got))} in the source, "
                       f"{format_shape(tuple(target.shape))} here")))
    if identity_new:
        new = set(report.new)
        for name, child in module.named_modules():
            if f"{name}.weight" in new and _square(child):
                moved = [k for k in report.new if k.startswith(f"{name}.")]
                report.new = [k for k in report.new if k not in moved]
                report.identity += moved
    report.unused = sorted(set(shapes) - set(state))
    return report


def fates_after_edit(graph, shapes: dict[str, tuple[int, ...]]) -> dict[str, str]:
    """Node name -> kept / partly / new: how an edited `graph` would start from weights of
    these `shapes` (edit and continue; new square layers as the identity). Built on the meta
    device: no memory, no initialisation. {} while the graph does not compile."""
    from netcanvas.backend.compiler import CompileError, compile_graph

    try:
        module = compile_graph(graph, device="meta").module
    except CompileError:
        return {}
    return plan(module, shapes, identity_new=True).fates()


def apply_source(module: torch.nn.Module, source: InitSource) -> InitReport:
    """Load what fits of `source` into `module` (in place) and say what happened."""
    report = plan(module, {k: tuple(v.shape) for k, v in source.tensors.items()}, source.label,
                  source.identity_new)
    state = module.state_dict()
    with torch.no_grad():
        for key in report.loaded:
            state[key].copy_(source.tensors[key].to(state[key].dtype))
        for key in report.partly:
            got, target = source.tensors[key], state[key]
            target[tuple(slice(0, n) for n in got.shape)] = got.to(target.dtype)
            if key.endswith(".weight") and target.dim() >= 2 and target.shape[1] > got.shape[1]:
                target[:, got.shape[1]:].zero_()  # reads units that did not exist: silent
        widen(module, source.tensors, report.partly)  # Net2Net where the path allows
        identity = {k.rsplit(".", 1)[0] for k in report.identity}
        for name, child in module.named_modules():
            if name in identity:
                _make_identity(child)
    return report


def _grew(old, new) -> bool:
    return len(old) == len(new) and all(o <= n for o, n in zip(old, new)) and tuple(old) != tuple(new)


def _make_identity(child: torch.nn.Module) -> None:
    w = child.weight
    w.zero_()
    if isinstance(child, torch.nn.Linear):
        w.copy_(torch.eye(w.shape[0], dtype=w.dtype))
    else:
        centre = tuple(k // 2 for k in child.kernel_size)
        for c in range(w.shape[0]):
            w[(c, c, *centre)] = 1.0
    if child.bias is not None:
        child.bias.zero_()


def _square(m: torch.nn.Module) -> bool:
    """A layer that maps a tensor to one of the same shape and can be the identity."""
    if isinstance(m, torch.nn.Linear):
        return m.in_features == m.out_features
    if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)):
        return (m.in_channels == m.out_channels and m.groups == 1
                and all(s == 1 for s in m.stride) and all(d == 1 for d in m.dilation)
                and all(k % 2 == 1 for k in m.kernel_size)
                and tuple(m.padding) == tuple(k // 2 for k in m.kernel_size))
    return False


def adopt_data(dataset, source: InitSource, report: InitReport):
    """`dataset` normalised with the statistics the source was trained with (so the weights
    see inputs as they did; a copy, the loaded dataset may be shared), noting where the
    class labels differ."""
    import dataclasses

    from netcanvas.backend.data.types import Split

    info = source.data
    if info is None:
        return dataset
    if (info.mean is not None and dataset.mean is not None
            and tuple(info.sample_shape) == tuple(dataset.sample_shape)
            and not isinstance(dataset.train.x, (list, tuple))):
        scale = float(dataset.extra.get("input_scale", 1.0))
        mean = torch.tensor(info.mean, dtype=torch.float32) * scale
        std = torch.tensor(info.std, dtype=torch.float32) * scale
        if mean.numel() == dataset.mean.numel():
            def renormalised(split):
                shape = (1, -1) + (1,) * (split.x.dim() - 2)
                x = split.x * dataset.std.reshape(shape) + dataset.mean.reshape(shape)
                return Split((x - mean.reshape(shape)) / std.reshape(shape), split.y)
            dataset = dataclasses.replace(
                dataset, train=renormalised(dataset.train), val=renormalised(dataset.val),
                test=renormalised(dataset.test), mean=mean, std=std)
            report.notes.append("normalisation: the source run's mean and std")
    if info.class_names and dataset.task == "classification":
        if list(info.class_names) == list(dataset.class_names):
            report.notes.append(f"class labels: {', '.join(info.class_names)} (as the source)")
        else:
            report.notes.append(f"class labels: the source was trained on "
                                f"{', '.join(info.class_names)}; this data has "
                                f"{', '.join(dataset.class_names)}")
    return dataset
