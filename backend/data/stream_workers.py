"""The worker processes that decode a streamed folder: how they start, and kept for the run.

Start method: 'fork' is the quickest (bench/loader_start.py), but forking a process that
runs other threads copies the locks those threads hold (Qt's, a logging handler's) and a
child can hang on one; the app trains and previews in a worker thread beside Qt's own
threads. So workers fork only from the main thread of a process without Qt (`netcanvas
train` on the command line, whose only other threads are its own lock-free ones: the
torchrun lifeline's sleep loop, multiprocessing's queue feeders); anywhere else they start
through a 'forkserver': a fresh single-threaded server process, which imports this module
(and torch) once and forks each worker from that clean state ('spawn' where there is no
forkserver).

`Feeder` keeps one folder's workers alive across epochs and evaluations (persistent
workers): each `read(batches)` hands them the next list of batches, so the start-up is paid
once per run, not once per epoch.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections.abc import Iterator, Sequence

import torch

PREFETCH = 4  # batches each worker decodes ahead
MOST_WORKERS = 8  # past this, decoding small images outruns any one training process


def default_workers() -> int:
    """Decoding processes when a folder does not say: one per core this process may use,
    less the one that trains, shared among the training processes on this machine
    (torchrun's LOCAL_WORLD_SIZE); 0 (decode in the training process) on one core."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    ranks = max(int(os.environ.get("LOCAL_WORLD_SIZE", "1")), 1)
    return max(0, min(MOST_WORKERS, (cores or 1) // ranks - 1))


def start_method() -> str:
    """'fork' from the main thread of a process without Qt, else 'forkserver' (or
    'spawn' where the platform has no forkserver)."""
    methods = multiprocessing.get_all_start_methods()
    plain = (threading.current_thread() is threading.main_thread()
             and "PySide6.QtCore" not in sys.modules)
    if plain and "fork" in methods:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def context(method: str):
    """The multiprocessing context for `method`; a forkserver preloads this package's
    decoding modules so each worker it forks starts with them imported."""
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["netcanvas.backend.data.stream",
                                    "netcanvas.backend.data.images"])
    return ctx


class _Planned(torch.utils.data.Sampler):
    """The batches (lists of sample numbers) the workers read next; set before each pass."""

    def __init__(self):
        self.batches: list[list[int]] = []

    def __iter__(self):
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


class Feeder:
    """One folder's decoding workers, shared by its splits and kept for the run."""

    def __init__(self, source: torch.utils.data.Dataset, workers: int):
        self.source, self.workers = source, workers
        self.method: str | None = None  # the start method of the running workers
        self._planned = _Planned()
        self._loader: torch.utils.data.DataLoader | None = None
        self.passes = 0  # `read` calls so far: a reader's pass ends when another begins

    def read(self, batches: Sequence[list[int]], pin: bool) -> Iterator:
        """The decoded batches in order: by the workers, or here when there are none or
        only one batch to read (not worth a start)."""
        self.passes += 1
        if self.workers == 0 or (len(batches) <= 1 and self._loader is None):
            return (self.source[b] for b in batches)
        if self._loader is None or self._loader.pin_memory != pin:
            self.method = start_method()
            self._loader = torch.utils.data.DataLoader(
                self.source, batch_size=None, sampler=self._planned,
                num_workers=self.workers, pin_memory=pin, persistent_workers=True,
                prefetch_factor=PREFETCH, multiprocessing_context=context(self.method))
        self._planned.batches = list(batches)
        return iter(self._loader)
