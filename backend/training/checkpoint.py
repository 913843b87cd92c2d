"""Checkpoints without pickle: every tensor in one safetensors file, the structure in JSON.

A checkpoint directory holds `checkpoint.json` and the safetensors file it names. The
tensor file gets a new name per epoch and the JSON is replaced atomically last, so a crash
leaves the previous checkpoint whole. The JSON holds the SHA-256 of the tensor file, and
loading refuses a file that does not match it (flipped bytes, a half-copied folder) or a
JSON of the wrong shape, with a `CheckpointError` ("the checkpoint is damaged: ...").
Tensor keys: `model/<param>`, `best/<param>`,
`optim/<index>/<key>`, `rng/cpu`, `rng/cuda/<i>`, `rng/shuffle`.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from netcanvas.backend.echo import brief, cut
from safetensors.torch import load_file, save_file

CHECKPOINT_JSON = "checkpoint.json"
FORMAT = "netcanvas-checkpoint-2"  # 2: the tensor file's sha256 in the JSON

# The JSON fields resume reads, with their types.
_RESUME_FIELDS = {"epoch": int, "step": int, "steps_per_epoch": int, "batch_size": int,
                  "best_epoch": int, "bad_epochs": int, "history": list, "schedule": dict,
                  "optimizer": dict}


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed from; the message says why, in full."""


def damaged(reason: str) -> CheckpointError:
    return CheckpointError(f"the checkpoint is damaged: {reason}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
    doc = dict(meta, format=FORMAT, tensors=name, sha256=_sha256(directory / name),
               optimizer=opt_structure)
    json_path = directory / CHECKPOINT_JSON
    _write_atomic(json_path, lambda p: p.write_text(json.dumps(doc, indent=1, allow_nan=True)))
    for old in directory.glob("checkpoint-e*.safetensors"):
        if old.name != name:
            old.unlink(missing_ok=True)
    return json_path


def load_checkpoint(path: str | os.PathLike) -> tuple[dict, dict[str, torch.Tensor]]:
    """Read a checkpoint (its directory or its JSON): (meta, tensors). Raises
    CheckpointError saying what is wrong with it."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_JSON
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, RecursionError) as exc:
        raise damaged(f"{path.name} is not valid JSON ({cut(str(exc))})") from None
    if not isinstance(doc, dict):
        raise damaged(f"{path.name} holds {type(doc).__name__}, not an object")
    if doc.get("format") != FORMAT:
        if isinstance(doc.get("format"), str) and doc["format"].startswith("netcanvas-checkpoint-"):
            raise CheckpointError(
                f"the checkpoint is format {brief(doc['format'])}; this NetCanvas reads "
                f"{FORMAT} (it adds checksums): train again to make a new one")
        raise CheckpointError(f"{path}: not a NetCanvas checkpoint")
    _expect_fields(doc, {"tensors": str, "sha256": str})
    tensor_file = _inside(path.parent, doc["tensors"])
    try:
        if _sha256(tensor_file) != doc["sha256"]:
            raise damaged(f"{tensor_file.name} does not match its checksum "
                          "(changed or corrupted since it was written)")
        return doc, load_file(str(tensor_file))
    except OSError as exc:
        raise damaged(f"cannot read {tensor_file.name}: {exc.strerror}") from None
    except Exception as exc:  # noqa: BLE001 -- safetensors raises its own error types
        raise damaged(f"{tensor_file.name}: {cut(str(exc))}") from None


def _expect_fields(doc: dict, kinds: dict[str, type]) -> None:
    for key, kind in kinds.items():
        value = doc.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise damaged(f"{key} should be {kind.__name__}, got {brief(value)}")


def check_resume_fields(meta: dict) -> None:
    """What resuming reads from the JSON beyond the tensors, each of the right type."""
    _expect_fields(meta, _RESUME_FIELDS)
    if not all(isinstance(h, dict) for h in meta["history"]):
        raise damaged("history should be a list of objects")
    best = meta.get("best_metric")
    if best is not None and (isinstance(best, bool) or not isinstance(best, (int, float))):
        raise damaged(f"best_metric should be a number, got {brief(best)}")


def _inside(folder: Path, name: str) -> Path:
    """The tensor file, which must be a plain file name in the checkpoint's own folder."""
    if not name or Path(name).name != name or name in (".", ".."):
        raise damaged(f"the tensor file {brief(name)} is not a file name inside the "
                      "checkpoint folder")
    return folder / name


def prefixed(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def load_model(graph, path: str | os.PathLike, which: str = "best"):
    """`graph` compiled with a checkpoint's weights, on the CPU, in eval mode: "best" (the best
    epoch's where tracked, else the last) or "last"."""
    from netcanvas.backend.compiler import compile_graph

    _meta, tensors = load_checkpoint(path)
    state = prefixed(tensors, "best/") if which == "best" else {}
    state = state or prefixed(tensors, "model/")
    model = compile_graph(graph, device="cpu")
    model.module.load_state_dict(state)
    model.module.eval()
    return model
