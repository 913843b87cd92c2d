"""`netcanvas check --format json|csv|md` and `--memory`: the summary table and the
memory-fit prediction, from backend/doctor."""

from __future__ import annotations

import argparse
import sys

from netcanvas.backend.doctor.memory import GPU_SIZES_GB, GiB, estimate_memory, largest_batch
from netcanvas.backend.doctor.summary import summary_rows, to_csv, to_json, to_markdown
from netcanvas.backend.shapes import human_bytes


def print_summary(project, analysis, args: argparse.Namespace) -> int:
    batch = args.batch_size or project.training.batch_size
    rows = summary_rows(project, batch, analysis)
    if args.format == "json":
        print(to_json(project, rows, batch, analysis))
    else:
        sys.stdout.write(to_csv(rows) if args.format == "csv" else to_markdown(rows))
    if args.memory and analysis.ok:
        print(memory_report(project, analysis, args.batch_size), file=sys.stderr)
    for problem in analysis.problems:
        print(f"netcanvas check: {problem.severity}: {problem.message}", file=sys.stderr)
    return 0 if analysis.ok else 1


def memory_report(project, analysis, batch_size: int | None) -> str:
    """Per layer (those that keep anything) and in total, then the largest batches."""
    e = estimate_memory(project, batch_size, device="cuda", analysis=analysis)
    rows = [(layer.name, human_bytes(layer.saved_bytes), human_bytes(layer.param_bytes))
            for layer in e.layers if layer.saved_bytes or layer.param_bytes]
    width = max([len(r[0]) for r in rows] + [5])
    lines = [f"memory to train at batch {e.batch_size} ({e.precision}, {e.optimizer}):",
             f"  {'layer':<{width}}  {'saved for backward':>18}  {'weights':>10}"]
    lines += [f"  {name:<{width}}  {saved:>18}  {weights:>10}" for name, saved, weights in rows]
    lines.append(f"  weights {human_bytes(e.weights)} + gradients {human_bytes(e.gradients)} + "
                 f"optimizer state {human_bytes(e.optimizer_state)} + activations "
                 f"{human_bytes(e.activations)} + workspace allowance {human_bytes(e.workspace)} "
                 f"= {human_bytes(e.total)}")
    for gb in GPU_SIZES_GB:
        n = largest_batch(project, gb * GiB, analysis=analysis)
        lines.append(f"  fits a {gb} GB GPU up to batch {n:,}" if n else
                     f"  does not fit a {gb} GB GPU even at batch 1")
    lines.append("  " + chosen_device(project, analysis))
    return "\n".join(lines)


def chosen_device(project, analysis) -> str:
    from netcanvas.backend.doctor.measure import device_capacity

    setting = project.training.device
    found = device_capacity(setting)
    if found is None:
        return f"device {setting!r} is not on this machine: no largest batch for it"
    what, capacity, kind = found
    n = largest_batch(project, capacity, device=kind, analysis=analysis)
    return (f"device {setting!r}: {what}, {human_bytes(capacity)}, holds up to batch {n:,}"
            if n else f"device {setting!r}: {what} cannot hold even batch 1")
