"""Device choice, mixed precision and moving in-memory datasets onto the device."""

from __future__ import annotations

import contextlib

import torch
from netcanvas.backend.settings import ALL_GPUS


def resolve_device(name: str | None) -> torch.device:
    """"auto" (or None) picks CUDA, then Apple MPS, then the CPU. "cuda:all" is CUDA: each
    torchrun rank takes its own GPU (World.device), a lone process the first."""
    if not name or name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device("cuda" if name == ALL_GPUS else name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but CUDA is not available here")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {name!r} asked for, but Apple MPS is not available here")
    return device


def processes(name: str | None) -> int:
    """How many processes a run with this device setting trains in on this machine: one per
    GPU for "cuda:all", else one."""
    if name == ALL_GPUS:
        return max(1, torch.cuda.device_count())
    return 1


def autocast_dtype(device: torch.device, precision: str) -> torch.dtype | None:
    """bf16/fp16 autocast on CUDA only; anything else trains in fp32."""
    if device.type != "cuda" or precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if precision == "fp16":
        return torch.float16
    raise ValueError(f"precision must be fp32, bf16 or fp16, got {precision!r}")


def autocast(device: torch.device, dtype: torch.dtype | None):
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def to_device(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """One copy to the device: pinned and non-blocking on CUDA."""
    if device.type == "cuda":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


def fits_on_device(nbytes: int, device: torch.device) -> bool:
    """Whether a dataset of `nbytes` may live on the device (leaves half the memory to training)."""
    if device.type != "cuda":
        return True
    free, _total = torch.cuda.mem_get_info(device)
    return nbytes < free // 2


def is_oom(exc: BaseException) -> bool:
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def accelerators() -> list[tuple[str, str]]:
    """(device name, label) of each GPU here: CUDA devices, all of them together when there
    are several, then Apple MPS. Probing CUDA can take seconds."""
    count = torch.cuda.device_count()
    names = [f"cuda:{i}" if i else "cuda" for i in range(count)]
    found = [(n, f"{n} ({torch.cuda.get_device_name(i)})") for i, n in enumerate(names)]
    if count > 1:  # data-parallel: one torchrun process per GPU
        found.append((ALL_GPUS, f"all {count} GPUs of this machine"))
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        found.append(("mps", "mps (Apple GPU)"))
    return found


def use_process_threads() -> None:
    """Call first on a new thread: MKL and OpenMP keep their thread count per thread, so
    without this a worker thread's matrix products run on one core however many the process
    is set to use."""
    torch.set_num_threads(torch.get_num_threads())
