"""`netcanvas lr-find FILE`: the learning-rate range test, with a suggested learning rate.

Prints a coarse loss-against-LR table and the suggestion; `--csv OUT` writes every step,
`--apply` saves the suggestion as the project's learning rate. Exit status: 0 a suggestion,
1 the loss never fell, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import csv
import math

from netcanvas.backend.cli.common import fail, load, project_command
from netcanvas.backend.cli.limits import LR_FIND_STEPS, checked
from netcanvas.backend.cli.progress import Progress
from netcanvas.backend.cli.writable import check_writable_file


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = project_command(
        subparsers, "lr-find", help="find a learning rate with the LR range test",
        description="Train a fresh copy of the model for a few steps while the learning rate "
                    "rises exponentially; suggest the rate where the loss falls fastest.")
    p.add_argument("--start", type=float, default=1e-7, help="first learning rate (1e-7)")
    p.add_argument("--end", type=float, default=10.0, help="last learning rate (10)")
    p.add_argument("--steps", type=int, default=100,
                   help="steps over the range (100; at most 100000)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:1 or mps")
    p.add_argument("--csv", metavar="OUT.csv", help="write lr, loss, smoothed per step")
    p.add_argument("--apply", action="store_true",
                   help="save the suggested learning rate into FILE")
    return p


def run(args: argparse.Namespace) -> int:
    from netcanvas.backend.data import DatasetError
    from netcanvas.backend.training.lr_find import lr_range_test

    project = load(args.file)
    if not (math.isfinite(args.start) and math.isfinite(args.end) and 0 < args.start < args.end):
        return fail("lr-find", f"--start and --end must rise from above 0, got "
                    f"{args.start:g}..{args.end:g}", 2)
    checked(LR_FIND_STEPS, args.steps)
    if args.csv:
        check_writable_file(args.csv)
    progress = Progress("lr-find", args.steps)

    def tick() -> bool:  # called before each step: never cancels, shows progress
        progress.step()
        return False

    try:
        finding = lr_range_test(project, device=args.device or project.training.device,
                                start=args.start, end=args.end, steps=args.steps,
                                cancel=tick)
    except (DatasetError, ValueError, RuntimeError) as exc:
        return fail("lr-find", str(exc).splitlines()[0], 1)
    except KeyboardInterrupt:
        return fail("lr-find", "cancelled", 1)
    finally:
        progress.close()
    if args.csv:
        try:
            with open(args.csv, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(["lr", "loss", "smoothed"])
                writer.writerows(zip(finding.lrs, finding.losses, finding.smoothed))
        except OSError as exc:
            return fail("lr-find", f"cannot write {args.csv}: {exc.strerror or exc}", 2)
    print(f"{'lr':>10}  smoothed loss")
    stride = max(1, len(finding.lrs) // 12)
    for lr, loss in list(zip(finding.lrs, finding.smoothed))[::stride]:
        print(f"{lr:10.2e}  {loss:.4f}")
    if finding.suggestion is None:
        return fail("lr-find", "the loss never fell: try a larger --end or check the data", 1)
    print(f"suggested learning rate: {finding.suggestion:.2g} "
          f"(the project has {project.training.lr:g})")
    if args.apply:
        from netcanvas.backend.project_io import save_project

        project.training.lr = float(f"{finding.suggestion:.2g}")
        save_project(project, args.file)
        print(f"saved to {args.file}")
    return 0
