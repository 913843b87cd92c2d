"""`netcanvas attack FILE --weights W --eps 0,0.05,0.1 [--method fgsm|pgd|both] [--out T.csv]`:
test accuracy under FGSM / PGD attack for each ε (raw-input units: pixels in [0, 1])."""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

from netcanvas.backend.cli.common import UsageError, fail, load


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "attack", help="test accuracy under adversarial attack (FGSM, PGD) for each ε",
        description="Attack every test sample with FGSM (x + ε·sign(∇ₓJ)) or PGD (iterated "
                    "and projected onto the ε-ball) and print the test accuracy for each ε. "
                    "ε is in raw-input units, before the dataset's normalisation (pixels in "
                    "[0, 1]; for the 8×8 digits 1 = 16 grey levels).")
    p.add_argument("file", help="the .netcanvas project")
    p.add_argument("--weights", required=True, metavar="W",
                   help="trained weights: a .safetensors file, a checkpoint or a run folder")
    p.add_argument("--eps", default="0,0.05,0.1,0.2", metavar="E1,E2,...",
                   help="the ε values, comma-separated (default 0,0.05,0.1,0.2)")
    p.add_argument("--method", choices=("fgsm", "pgd", "both"), default="fgsm",
                   help="the attack (default fgsm)")
    p.add_argument("--steps", type=int, default=None, metavar="N",
                   help="PGD iterations (default 10)")
    p.add_argument("--out", metavar="T.csv", help="also write the table as CSV "
                   "(columns method,eps,accuracy; accuracy as a fraction)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 or mps")
    return p


def parse_eps(text: str) -> list[float]:
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise UsageError(f"--eps expects numbers separated by commas, got {part!r}") from None
        if not math.isfinite(value) or value < 0:
            raise UsageError(f"--eps values must be 0 or more, got {part.strip()}")
        values.append(value)
    return values


def run(args: argparse.Namespace) -> int:
    eps = parse_eps(args.eps)
    from netcanvas.backend.insight.adversarial import PGD_STEPS

    steps = PGD_STEPS if args.steps is None else args.steps
    if steps < 1:
        raise UsageError(f"--steps must be at least 1, got {steps}")
    if args.out and not Path(args.out).resolve().parent.is_dir():
        raise UsageError(f"cannot write {args.out}: no such folder")
    project = load(args.file)
    from netcanvas.backend.compiler import CompileError, compile_graph
    from netcanvas.backend.data import DatasetError, load_dataset
    from netcanvas.backend.export import ExportError, load_weights
    from netcanvas.backend.insight.adversarial import AttackError, accuracy_under_attack
    from netcanvas.backend.training.device import resolve_device

    try:
        model = compile_graph(project.graph)
    except CompileError as exc:
        return fail("attack", str(exc), 1)
    try:
        load_weights(model, args.weights)
        device = resolve_device(args.device)
        dataset = load_dataset(project.dataset)
        methods = ("fgsm", "pgd") if args.method == "both" else (args.method,)
        rows = [(method, e, acc) for method in methods for e, acc in zip(
            eps, accuracy_under_attack(model, dataset, eps, method, steps, device=device))]
    except (ExportError, DatasetError, AttackError, ValueError, RuntimeError) as exc:
        return fail("attack", str(exc).splitlines()[0], 2)
    print(f"accuracy under attack on the test split ({len(dataset.test)} samples; "
          "ε in raw-input units, before normalisation)")
    print(f"{'method':<8}{'eps':>8}{'accuracy':>10}")
    for method, e, acc in rows:
        print(f"{method:<8}{e:>8g}{acc:>10.4f}")
    if args.out:
        try:
            with open(args.out, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow(["method", "eps", "accuracy"])
                writer.writerows((m, f"{e:g}", f"{a:.6f}") for m, e, a in rows)
        except OSError as exc:
            return fail("attack", f"cannot write {args.out}: {exc.strerror or exc}", 2)
        print(f"wrote {args.out}")
    return 0
