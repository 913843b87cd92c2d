"""`netcanvas attack FILE --weights W --eps 0,0.05,0.1 [--method fgsm|pgd|both] [--out T.csv]`:
test accuracy under FGSM / PGD attack for each ε (raw-input units: pixels in [0, 1])."""

from __future__ import annotations

import argparse
import csv
import math

from netcanvas.backend.cli.common import UsageError, fail, trained_model_command
from netcanvas.backend.cli.limits import ATTACK_STEPS, checked, eps_values
from netcanvas.backend.cli.progress import Progress
from netcanvas.backend.cli.writable import check_writable_file


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = trained_model_command(
        subparsers, "attack", help="test accuracy under adversarial attack (FGSM, PGD) for each ε",
        description="Attack every test sample with FGSM (x + ε·sign(∇ₓJ)) or PGD (iterated "
                    "and projected onto the ε-ball) and print the test accuracy for each ε. "
                    "ε is in raw-input units, before the dataset's normalisation (pixels in "
                    "[0, 1]; for the 8×8 digits 1 = 16 grey levels).")
    p.add_argument("--eps", default="0,0.05,0.1,0.2", metavar="E1,E2,...",
                   help="the ε values, comma-separated (default 0,0.05,0.1,0.2)")
    p.add_argument("--method", choices=("fgsm", "pgd", "both"), default="fgsm",
                   help="the attack (default fgsm)")
    p.add_argument("--steps", type=int, default=None, metavar="N",
                   help="PGD iterations (default 10, at most 1000)")
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
    eps = list(eps_values(parse_eps(args.eps)))
    if args.steps is not None:
        checked(ATTACK_STEPS, args.steps)
    if args.out:
        check_writable_file(args.out)
    from netcanvas.backend.insight.adversarial import PGD_STEPS, AttackError, accuracy_under_attack
    from netcanvas.backend.insight.predict import PredictError, from_file
    from netcanvas.backend.runtime.device import resolve_device

    methods = ("fgsm", "pgd") if args.method == "both" else (args.method,)
    steps = args.steps or PGD_STEPS
    progress = None
    try:
        device = resolve_device(args.device)
        predictor = from_file(args.file, args.weights)
        raw, labels = predictor.test_samples()
        batches = -(-len(labels) // 512) * len(eps)
        rows = []
        for method in methods:
            progress = Progress(f"{method} attack", batches)
            accuracies = accuracy_under_attack(predictor, raw, labels, eps, method, steps,
                                               device=device, on_batch=progress.step)
            progress.close()
            rows += [(method, e, acc) for e, acc in zip(eps, accuracies)]
    except (PredictError, AttackError, ValueError, RuntimeError) as exc:
        return fail("attack", str(exc).splitlines()[0], 2)
    except KeyboardInterrupt:
        if progress is not None:
            progress.close()
        return fail("attack", "cancelled", 1)
    print(f"accuracy under attack on the test split ({len(labels)} samples; "
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
