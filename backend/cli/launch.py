"""`netcanvas train FILE --nproc-per-node N`: the same command again, under torchrun.

The launcher is PyTorch's own (`torch.distributed.run`, i.e. torchrun): it starts N
processes per node that each run `python -m netcanvas train FILE ...` with RANK,
WORLD_SIZE and LOCAL_RANK set, and stops them all when one fails or on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import sys

LAUNCH_OPTIONS = ("nproc_per_node", "nnodes", "node_rank", "rdzv_endpoint")


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data-parallel training (torchrun)")
    g.add_argument("--nproc-per-node", type=int, metavar="N",
                   help="processes on this machine (one per GPU; gloo processes on the CPU)")
    g.add_argument("--nnodes", type=int, default=1, metavar="M", help="machines in the run")
    g.add_argument("--node-rank", type=int, default=0, metavar="R", help="this machine's rank")
    g.add_argument("--rdzv-endpoint", metavar="HOST:PORT",
                   help="rendezvous of a multi-machine run (node 0's address and a free port)")
    g.add_argument("--oversubscribe", action="store_true",
                   help="allow more processes than this machine has GPUs (or CPU cores)")


def is_worker() -> bool:
    """True in the processes torchrun starts."""
    return "TORCHELASTIC_RUN_ID" in os.environ


def wants_launch(args: argparse.Namespace) -> bool:
    """True in the command the user typed, False in the workers torchrun starts."""
    return bool(args.nproc_per_node) and not is_worker()


def device_slots(device: str) -> tuple[int, str]:
    """How many processes this machine runs well for `device`, and what it counts: one per
    GPU, or one per CPU core for gloo processes on the CPU."""
    if device.startswith("cuda") or device == "auto":
        import torch

        if torch.cuda.is_available():
            return torch.cuda.device_count(), "GPUs"
    return os.cpu_count() or 1, "CPU cores"


def check_process_count(args: argparse.Namespace, device: str) -> str | None:
    """Why --nproc-per-node is more than the machine holds (unless --oversubscribe)."""
    if not wants_launch(args) or args.oversubscribe:
        return None
    slots, what = device_slots(device)
    if args.nproc_per_node > slots:
        return (f"--nproc-per-node {args.nproc_per_node} is more than this machine's {slots} "
                f"{what} (each process holds a copy of the model and its data); use at most "
                f"{slots}, or add --oversubscribe")
    return None


def check(args: argparse.Namespace) -> str | None:
    """Why the launch options cannot work, or None."""
    if args.nproc_per_node is not None and args.nproc_per_node < 1:
        return f"--nproc-per-node must be at least 1, got {args.nproc_per_node}"
    if args.nnodes < 1 or not 0 <= args.node_rank < args.nnodes:
        return f"--node-rank must be in 0..{args.nnodes - 1}, got {args.node_rank}"
    if args.nnodes > 1 and not args.rdzv_endpoint:
        return "--nnodes above 1 needs --rdzv-endpoint HOST:PORT (node 0's address)"
    return None


def torchrun_argv(args: argparse.Namespace, worker_argv: list[str]) -> list[str]:
    argv = [f"--nproc-per-node={args.nproc_per_node}", f"--nnodes={args.nnodes}"]
    if args.nnodes > 1:
        argv += [f"--node-rank={args.node_rank}", "--rdzv-backend=c10d",
                 f"--rdzv-endpoint={args.rdzv_endpoint}"]
    else:
        argv += ["--standalone"]
    return argv + ["-m", "netcanvas", *worker_argv]


def launch(args: argparse.Namespace, worker_argv: list[str]) -> int:
    """Run torchrun in this process; its exit status (1 when any worker failed)."""
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import main as torchrun

    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1)
                                                      // args.nproc_per_node)))
    try:
        torchrun(torchrun_argv(args, worker_argv))
    except ChildFailedError as exc:
        first = next(iter(exc.failures.values()), None)
        code = first.exitcode if first is not None else 1
        if code not in (1, 2):  # workers print their own errors; name a crash
            print(f"netcanvas train: error: a training process ended with status {code}",
                  file=sys.stderr)
        return 2 if code == 2 else 1
    except (KeyboardInterrupt, SignalException):
        print("netcanvas train: error: cancelled", file=sys.stderr)
        return 1
    return 0


def worker_argv(args: argparse.Namespace) -> list[str]:
    """`train FILE` and the options the user gave, without the launch options."""
    argv = ["train", args.file]
    for name in ("epochs", "batch_size", "lr", "device", "seed", "out", "resume", "tensorboard",
                 "layer_stats", "events", "init_from", "init_epoch"):
        value = getattr(args, name, None)
        if value is not None:
            argv += [f"--{name.replace('_', '-')}", str(value)]
    return argv
