"""Weights as safetensors: plain tensors keyed by `<node name>.<parameter>`, never pickle.

`load_weights` also takes a training checkpoint (its folder, JSON or tensor file) and uses
its best epoch's weights, else its last."""

from __future__ import annotations

from pathlib import Path

import torch
from netcanvas.backend.export.errors import ExportError
from netcanvas.backend.shapes import format_shape
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

_CHECKPOINT_PREFIXES = ("best/", "model/")  # a checkpoint's best epoch, else its last one


def _module(model) -> torch.nn.Module:
    return getattr(model, "module", model)


def save_weights(model, path) -> Path:
    """Write the state dict (parameters and buffers) of a CompiledModel or nn.Module."""
    state = {k: v.detach().cpu().contiguous() for k, v in _module(model).state_dict().items()}
    path = Path(path)
    save_file(state, str(path), metadata={"format": "netcanvas"})
    return path


def load_weights(model, path) -> None:
    """Load weights saved for the same graph; names and shapes must match exactly, else
    ExportError says which node differs and how."""
    module = _module(model)
    tensors = _read(Path(path))
    for prefix in _CHECKPOINT_PREFIXES:
        if any(k.startswith(prefix) for k in tensors):
            tensors = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
            break
    expected = module.state_dict()
    problems = []  # (rank, key, message): wrong shapes first, they say the most
    for key in expected.keys() & tensors.keys():
        want, got = tuple(expected[key].shape), tuple(tensors[key].shape)
        if want != got:
            message = f"{key} has shape {format_shape(got)} in the file, the model needs {format_shape(want)}"
            problems.append((0, key, message))
    for key in expected.keys() - tensors.keys():
        problems.append((1, key, f"{key} is missing from the file"))
    for key in tensors.keys() - expected.keys():
        problems.append((2, key, f"{key} is in the file but not in the model"))
    if problems:
        problems.sort()
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise ExportError(f"{path} does not fit this model: "
                          + "; ".join(m for _, _, m in problems[:3]) + more,
                          node=problems[0][1].split(".")[0])
    device = next((t.device for t in expected.values()), torch.device("cpu"))
    module.load_state_dict({k: v.to(device) for k, v in tensors.items()})


def _read(path: Path) -> dict[str, torch.Tensor]:
    from netcanvas.backend.training.checkpoint import (
        CHECKPOINT_JSON,
        CheckpointError,
        load_checkpoint,
    )

    if not path.exists():
        raise ExportError(f"{path}: no such weights file")
    try:
        if path.is_dir() or path.name == CHECKPOINT_JSON:
            return load_checkpoint(path)[1]
        return load_file(str(path))
    except CheckpointError as exc:
        raise ExportError(f"{path}: {exc}") from None
    except (SafetensorError, OSError, ValueError, KeyError) as exc:
        raise ExportError(f"{path}: not a safetensors weights file or checkpoint ({exc})"
                          ) from None


