"""Checkpoints without pickle: every tensor in one safetensors file, the structure in JSON.

A checkpoint directory holds `checkpoint.json` and the safetensors file it names. The
tensor file gets a new name per epoch and the JSON is replaced atomically last, so a crash
leaves the previous checkpoint whole. Tensor keys: `model/<param>`, `best/<param>`,
`optim/<index>/<key>`, `rng/cpu`, `rng/cuda/<i>`, `rng/shuffle`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

CHECKPOINT_JSON = "checkpoint.json"
FORMAT = "netcanvas-checkpoint-1"


def _cpu(t: torch.Tensor) -> torch.Tensor:
    # A copy, so tied/shared storages never reach safetensors (it refuses them).
    return t.detach().to("cpu", copy=True).contiguous()


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    os.replace(tmp, path)


def optimizer_to_parts(opt_state: dict) -> tuple[dict, dict[str, torch.Tensor]]:
    """Split an optimizer state_dict into JSON structure and named tensors."""
    tensors: dict[str, torch.Tensor] = {}
    state: dict[str, dict[str, Any]] = {}
    for idx, entry in opt_state["state"].items():
        state[str(idx)] = {}
        for key, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optim/{idx}/{key}"] = _cpu(value)
                state[str(idx)][key] = {"tensor": f"optim/{idx}/{key}"}
            else:
                state[str(idx)][key] = value
    return {"state": state, "param_groups": opt_state["param_groups"]}, tensors


def optimizer_from_parts(structure: dict, tensors: dict[str, torch.Tensor]) -> dict:
    state = {}
    for idx, entry in structure["state"].items():
        state[int(idx)] = {k: tensors[v["tensor"]] if isinstance(v, dict) and "tensor" in v else v
                           for k, v in entry.items()}
    groups = [dict(g, betas=tuple(g["betas"])) if "betas" in g else g
              for g in structure["param_groups"]]
    return {"state": state, "param_groups": groups}


def rng_tensors(shuffle: torch.Generator) -> dict[str, torch.Tensor]:
    out = {"rng/cpu": torch.get_rng_state(), "rng/shuffle": shuffle.get_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            out[f"rng/cuda/{i}"] = s
    return out


def restore_rng(tensors: dict[str, torch.Tensor], shuffle: torch.Generator) -> None:
    torch.set_rng_state(tensors["rng/cpu"])
    shuffle.set_state(tensors["rng/shuffle"])
    cuda = sorted(k for k in tensors if k.startswith("rng/cuda/"))
    if cuda and torch.cuda.is_available():
        states = [tensors[k] for k in cuda][: torch.cuda.device_count()]
        torch.cuda.set_rng_state_all(states)


def save_checkpoint(directory: str | os.PathLike, *, model_state: dict, best_state: dict | None,
                    optimizer_state: dict, shuffle: torch.Generator, meta: dict) -> Path:
    """Write the checkpoint for the end of epoch `meta["epoch"]`; returns the JSON's path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    opt_structure, tensors = optimizer_to_parts(optimizer_state)
    tensors.update({f"model/{k}": _cpu(v) for k, v in model_state.items()})
    if best_state is not None:
        tensors.update({f"best/{k}": _cpu(v) for k, v in best_state.items()})
    tensors.update({k: _cpu(v) for k, v in rng_tensors(shuffle).items()})
    name = f"checkpoint-e{meta['epoch']:04d}.safetensors"
    _write_atomic(directory / name, lambda p: save_file(tensors, str(p), metadata={"format": FORMAT}))
    doc = dict(meta, format=FORMAT, tensors=name, optimizer=opt_structure)
    json_path = directory / CHECKPOINT_JSON
    _write_atomic(json_path, lambda p: p.write_text(json.dumps(doc, indent=1, allow_nan=True)))
    for old in directory.glob("checkpoint-e*.safetensors"):
        if old.name != name:
            old.unlink(missing_ok=True)
    return json_path


def load_checkpoint(path: str | os.PathLike) -> tuple[dict, dict[str, torch.Tensor]]:
    """Read a checkpoint (its directory or its JSON): (meta, tensors)."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_JSON
    doc = json.loads(path.read_text())
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path}: not a NetCanvas checkpoint")
    return doc, load_file(str(path.parent / doc["tensors"]))


def prefixed(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
