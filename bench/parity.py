"""Seconds per epoch: NetCanvas (project file -> compile -> Trainer) vs a hand-written loop.

Both train the LeNet of resources/examples/lenet_digits.netcanvas on the 8x8 digits with
the same optimizer (Adam), batch size and data (on the device, batched by index), and both
evaluate the validation split every epoch, from the same initial weights in the same data
order (so they do the same arithmetic, up to the rounding of the optimizer's kernel). Runs
alternate in one process after an uncounted warm-up round; an epoch is timed from the end
of the previous one (the first epoch of a run is skipped as warm-up). Prints the median
seconds per epoch of each and their ratio, in wall-clock time and in this process's CPU
time (steadier when other programs share the cores); on a machine with CUDA it repeats the
comparison there. NetCanvas should be at or under 1.00 on the CPU.

The hand-written loop builds `torch.optim.Adam` as a user would, with torch's default
implementation (on the CPU a Python loop over the parameters); NetCanvas picks the
implementation its optimizer declares for the device (backend/optimizers.py: fused Adam on
the CPU, whose update of this model's weights takes about a quarter of the default's time).
`--same-kernels` gives the hand-written loop that implementation too, which leaves
NetCanvas's own overhead (its loop, metrics and events) in the ratio.

    python bench/parity.py [--rounds 6] [--epochs 6] [--threads 2] [--cpu-only]
                           [--same-kernels]

On a shared machine pin it to two idle cores (taskset -c 2,3) for a steady number.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.data import load_dataset
from netcanvas.backend.optimizers import OPTIMIZER_SPECS
from netcanvas.backend.project_io import load_project
from netcanvas.backend.training import EpochEnded, Started, Trainer
from torch import nn

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "examples" / "lenet_digits.netcanvas"


class LeNet(nn.Module):
    """The example's graph, written by hand."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 2 * 2, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def laps(marks: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(wall, cpu) seconds between consecutive marks."""
    return [(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(marks)]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def initial_weights(project) -> dict[str, torch.Tensor]:
    """The compiled model's initial weights: both loops then do the same arithmetic (speed
    on the CPU can depend on the values, e.g. subnormal floats)."""
    torch.manual_seed(project.training.seed)
    return compile_graph(project.graph).module.state_dict()


def hand_written(data, s, device: torch.device, epochs: int, weights: dict,
                 same_kernels: bool = False) -> tuple[list[tuple[float, float]], float]:
    """A plain, reasonably careful PyTorch loop: (wall, cpu) seconds per epoch, last loss.
    `same_kernels`: Adam in the implementation NetCanvas picks for the device."""
    model = LeNet()
    model.load_state_dict(weights)
    model = model.to(device)
    kernels = OPTIMIZER_SPECS["adam"].implementation_kwargs(device.type) if same_kernels else {}
    opt = torch.optim.Adam(model.parameters(), lr=s.lr, betas=tuple(s.betas), **kernels)
    x, y = data.train.x.to(device), data.train.y.to(device)
    vx, vy = data.val.x.to(device), data.val.y.to(device)
    gen = torch.Generator(device=device).manual_seed(s.seed)
    bs, n = s.batch_size, x.shape[0]
    eval_bs = max(bs * 4, 256)
    marks = [clock()]
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen, device=device)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.long, device=device)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            xb, yb = x.index_select(0, idx), y.index_select(0, idx)
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += loss.detach() * yb.shape[0]
            correct += (out.argmax(1) == yb).sum()
        model.eval()
        with torch.inference_mode():
            v_loss, v_correct = 0.0, 0
            for i in range(0, vx.shape[0], eval_bs):
                out = model(vx[i:i + eval_bs])
                v_loss += F.cross_entropy(out, vy[i:i + eval_bs], reduction="sum").item()
                v_correct += (out.argmax(1) == vy[i:i + eval_bs]).sum().item()
        train_loss = loss_sum.item() / n
        _ = (correct.item() / n, v_loss / vx.shape[0], v_correct)
        marks.append(clock())
    return laps(marks), train_loss


def netcanvas(project, data, device: torch.device, epochs: int
              ) -> tuple[list[tuple[float, float]], float]:
    project.training.epochs = epochs
    marks: list[tuple[float, float]] = []

    def on_event(event):
        if isinstance(event, (Started, EpochEnded)):
            marks.append(clock())
    result = Trainer(project, data, device=str(device), on_event=on_event).run()
    assert result.failed is None, result.failed
    return laps(marks), result.history[-1]["train_loss"]


def compare(device: torch.device, rounds: int, epochs: int, same_kernels: bool = False) -> float:
    project = load_project(EXAMPLE)
    data = load_dataset(project.dataset)
    weights = initial_weights(project)
    ours, theirs = [], []
    losses = {}
    for r in range(-1, rounds):  # round -1 warms up the process (lazy CUDA init, allocators)
        pair = [("netcanvas", ours if r >= 0 else []), ("hand", theirs if r >= 0 else [])]
        for name, bucket in pair if r % 2 == 0 else pair[::-1]:
            times, losses[name] = (
                netcanvas(project, data, device, epochs) if name == "netcanvas"
                else hand_written(data, project.training, device, epochs, weights,
                                  same_kernels))
            sync(device)
            bucket.extend(times[1:])  # the first epoch warms up allocators and kernels
    print(f"[{device}] last train loss: NetCanvas {losses['netcanvas']:.6f}  "
          f"hand-written {losses['hand']:.6f} (same data order and initial weights)")
    ratio = 0.0
    for k, kind in enumerate(("wall", "cpu")):
        a = statistics.median(t[k] for t in ours)
        b = statistics.median(t[k] for t in theirs)
        print(f"[{device}] {kind:4} seconds per epoch: NetCanvas {a:.4f}  hand-written {b:.4f}"
              f"  ratio {a / b:.3f}  ({len(ours)} epochs each, median)")
        ratio = ratio or a / b
    return ratio


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cpu-only", action="store_true")
    p.add_argument("--same-kernels", action="store_true",
                   help="the hand-written loop's Adam in the implementation NetCanvas picks")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    ratio = compare(torch.device("cpu"), args.rounds, args.epochs, args.same_kernels)
    print(f"CPU: {'at or under' if ratio <= 1.0 else 'OVER'} the hand-written loop's time")
    if torch.cuda.is_available() and not args.cpu_only:
        compare(torch.device("cuda"), args.rounds, args.epochs, args.same_kernels)


if __name__ == "__main__":
    main()
