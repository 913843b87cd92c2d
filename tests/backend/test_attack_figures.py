"""The README's adversarial figures, by its own commands: LeNet on the 8×8 digits trained 20
epochs keeps ≥ 0.95 clean test accuracy, its accuracy falls monotonically with ε and below
0.5 at ε = 0.15, and the FGSM-trained run keeps visibly more there."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from netcanvas.backend.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "lenet_digits.netcanvas"
EPS = "0,0.05,0.1,0.15,0.2,0.3"


def accuracy(path: Path) -> dict[tuple[str, float], float]:
    return {(r["method"], float(r["eps"])): float(r["accuracy"])
            for r in csv.DictReader(path.read_text().splitlines())}


@pytest.mark.slow
def test_readme_attack_figures(tmp_path):
    tables = {}
    for name, extra in (("plain", []), ("hardened", ["--adversarial", "fgsm",
                                                     "--adversarial-eps", "0.1",
                                                     "--adversarial-ratio", "0.5"])):
        run = tmp_path / name
        assert main(["train", str(EXAMPLE), "--epochs", "20", "--device", "cpu", *extra,
                     "--out", str(run)]) == 0
        out = tmp_path / f"{name}.csv"
        assert main(["attack", str(EXAMPLE), "--weights", str(run), "--eps", EPS,
                     "--method", "both", "--device", "cpu", "--out", str(out)]) == 0
        tables[name] = accuracy(out)
    plain, hardened = tables["plain"], tables["hardened"]
    eps = [float(e) for e in EPS.split(",")]
    for method in ("fgsm", "pgd"):
        curve = [plain[method, e] for e in eps]
        assert curve[0] >= 0.95 and curve == sorted(curve, reverse=True)
        assert plain[method, 0.15] < 0.5
        assert hardened[method, 0.15] >= plain[method, 0.15] + 0.2
    assert hardened["fgsm", 0.0] >= 0.95
