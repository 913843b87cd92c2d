"""Memory-fit predictor vs measurement, for every bundled example at batch 1, 32 and 256.

Predicted: backend/doctor/memory.py (weights + gradients + optimizer state + activations
saved for backward; the workspace allowance is left out, since nothing here measures it).
Measured (backend/doctor/measure.py): one real training step, counting the bytes of the
tensors autograd saves for backward (saved_tensors_hooks, each storage once) plus
parameter, buffer, gradient and optimizer-state bytes. A step whose prediction exceeds
--cpu-budget runs on the "meta" device instead: the same autograd graph on shapes alone
(VGG-16 at 224x224 and batch 256 would need ~20 GB of RAM for real); the "on" column says
which, and --check-meta re-measures every CPU row on meta to show the two agree.
With --cuda (on a machine with one) it also prints torch.cuda.max_memory_allocated over a
step against the prediction plus its transient allowance.

    python bench/memory_fit.py [--batches 1 32 256] [--cpu-budget-gb 1.5] [--check-meta] [--cuda]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from netcanvas.backend.doctor.measure import measure_memory
from netcanvas.backend.doctor.memory import TRANSIENT_LAYERS, estimate_memory
from netcanvas.backend.project_io import load_project
from netcanvas.backend.shapes import analyze, human_bytes

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "resources" / "examples").glob("*.netcanvas"))


def cuda_peak(project, batch: int) -> int:
    from netcanvas.backend.compiler import compile_graph
    from netcanvas.backend.doctor.measure import _targets
    from netcanvas.backend.runtime.losses import build_loss
    from netcanvas.backend.training.optim import build_optimizer

    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    compiled = compile_graph(project.graph, device="cuda")
    model = compiled.module.train()
    optimizer = build_optimizer(model.parameters(), project.training)
    x = [torch.randn((batch, *s), device="cuda") for s in compiled.input_shapes]
    loss = build_loss(compiled.losses, len(compiled.output_names))(
        model(*x), _targets(compiled, batch, "cuda"))
    loss.backward()
    optimizer.step()
    torch.cuda.synchronize()
    return torch.cuda.max_memory_allocated()


def untrainable(project) -> str:
    """Why `project` has no training step to measure ("" when it has one)."""
    from netcanvas.backend.compiler import CompileError, compile_graph
    from netcanvas.backend.runtime.losses import build_loss

    try:
        compiled = compile_graph(project.graph, device="meta")
        build_loss(compiled.losses, len(compiled.output_names))
    except (CompileError, ValueError) as exc:
        return str(exc).splitlines()[0]
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 32, 256])
    parser.add_argument("--cpu-budget-gb", type=float, default=1.5)
    parser.add_argument("--check-meta", action="store_true")
    parser.add_argument("--cuda", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'example':<22}{'batch':>6}  {'predicted':>10}  {'measured':>10}  {'ratio':>6}  on"
          + ("    meta ratio" if args.check_meta else ""))
    worst = []
    for path in EXAMPLES:
        project = load_project(path)
        reason = untrainable(project)
        if reason:  # a bench skips what does not apply, and says so
            print(f"{path.stem:<22}  skipped: {reason}", flush=True)
            continue
        for batch in args.batches:
            predicted = estimate_memory(project, batch, device="cpu")
            device = "cpu" if predicted.measured_part <= args.cpu_budget_gb * 1e9 else "meta"
            try:
                measured = measure_memory(project, batch, device)
            except ValueError as exc:  # BatchNorm at batch 1: no training step either
                print(f"{path.stem:<22}{batch:>6}  skipped: {str(exc).splitlines()[0]}")
                continue
            ratio = predicted.measured_part / measured.total
            if batch >= 32:
                worst.append(ratio)
            line = (f"{path.stem:<22}{batch:>6}  {human_bytes(predicted.measured_part):>10}  "
                    f"{human_bytes(measured.total):>10}  {ratio:>6.3f}  {device}")
            if args.check_meta and device == "cpu":
                line += f"  {measure_memory(project, batch, 'meta').total / measured.total:>8.3f}"
            print(line, flush=True)
            if args.cuda:
                gpu = estimate_memory(project, batch, device="cuda")
                largest = max(i.activation_bytes for i in analyze(project.graph).nodes.values())
                expect = gpu.measured_part + TRANSIENT_LAYERS * largest * batch
                peak = cuda_peak(project, batch)
                print(f"{'':<22}{'cuda':>6}  {human_bytes(expect):>10}  {human_bytes(peak):>10}  "
                      f"{expect / peak:>6.3f}  max_memory_allocated")
    if not worst:
        print("no batch >= 32 measured")
        return
    print(f"ratios at batch >= 32: {min(worst):.3f} .. {max(worst):.3f} "
          f"({'within' if 0.85 <= min(worst) and max(worst) <= 1.15 else 'OUTSIDE'} 0.85-1.15)")


if __name__ == "__main__":
    main()
