"""Attacks (backend/insight/adversarial.py) against their definitions, `netcanvas attack`, and
adversarial training (the `adversarial*` settings used by the training loop)."""

from __future__ import annotations

import csv

import pytest
import torch
import torch.nn.functional as F
from netcanvas.backend.cli import main
from netcanvas.backend.data import load_dataset
from netcanvas.backend.insight.adversarial import (
    AttackError,
    accuracy_under_attack,
    attack_sample,
    fgsm,
    pgd,
)
from netcanvas.backend.insight.predict import Predictor
from netcanvas.backend.registry import ParamError
from netcanvas.backend.runs import DataInfo
from netcanvas.backend.runtime.raw_input import RawInput
from netcanvas.backend.training import Trainer
from test_training_support import blobs, blobs_file, cnn_project, mlp_project


def linear(features=4, classes=3, seed=0) -> torch.nn.Linear:
    torch.manual_seed(seed)
    return torch.nn.Linear(features, classes)


def test_fgsm_steps_eps_times_the_sign_of_the_closed_form_loss_gradient():
    """For logits W((x − m)/s) + b, ∇ₓ CE = Wᵀ(softmax − onehot(y)) / s: no autograd."""
    layer = linear()
    mean, std = torch.tensor([0.5, -1.0, 2.0, 0.0]), torch.tensor([2.0, 0.5, 1.0, 3.0])
    module = RawInput(layer, mean, std)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(32, 4, generator=g), torch.randint(0, 3, (32,), generator=g)
    with torch.no_grad():
        p = torch.softmax(layer((x - mean) / std), dim=1)
        grad = (p - F.one_hot(y, 3)) @ layer.weight / std
    for eps in (0.0, 0.01, 0.3):
        adv = fgsm(module, x, y, eps)
        assert torch.allclose(adv - x, eps * grad.sign(), atol=1e-6)
    bounded = fgsm(module, x, y, 0.3, bounds=(-0.5, 0.5))
    assert torch.equal(bounded, (x + 0.3 * grad.sign()).clamp(-0.5, 0.5))
    # targeted toward t: x − ε·sign(∇ₓJ(x, t))
    t = (y + 1) % 3
    grad_t = (p - F.one_hot(t, 3)) @ layer.weight / std
    assert torch.allclose(fgsm(module, x, t, 0.1, targeted=True) - x, -0.1 * grad_t.sign(),
                          atol=1e-6)


def test_pgd_never_leaves_the_eps_ball_or_the_valid_range():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 32), torch.nn.ReLU(),
                                 torch.nn.Linear(32, 10))
    x = torch.rand(64, 1, 8, 8)
    x[:8] = 0.0  # samples on the edges of the range
    x[8:16] = 1.0
    y = torch.randint(0, 10, (64,))
    clean = F.cross_entropy(module(x), y)
    for eps in (0.01, 0.1, 0.5):
        for steps in (1, 5, 20):
            adv = pgd(module, x, y, eps, bounds=(0.0, 1.0), steps=steps)
            assert (adv - x).abs().max() <= eps + 1e-6
            assert adv.min() >= 0.0 and adv.max() <= 1.0
            assert (adv - x).abs().max() > 0  # it did move
            assert F.cross_entropy(module(adv), y) > clean
    assert torch.equal(pgd(module, x, y, 0.0, bounds=(0.0, 1.0)), x)


@pytest.fixture(scope="module")
def digits_predictor():
    """A small CNN trained a few epochs on the 8×8 digits (~1 s)."""
    project = cnn_project(epochs=4, lr=0.01, batch_size=64)
    project.graph.set_param(project.graph.by_name("fc").id, "out_features", 10)
    dataset = load_dataset(project.dataset)
    result = Trainer(project, dataset).run()
    assert result.failed is None
    predictor = Predictor(result.model, DataInfo.of(dataset), "digits", project)
    return predictor, *predictor.test_samples(dataset)


@pytest.mark.slow
def test_targeted_attack_moves_toward_the_target(digits_predictor):
    predictor, raw, labels = digits_predictor
    module = predictor.raw_module()
    x, y = raw[:64], labels[:64]
    target = (y + 1) % 10
    before = torch.softmax(module(x), 1).gather(1, target[:, None])
    for method in (fgsm, pgd):
        adv = method(module, x, target, 0.1, bounds=(0.0, 1.0), targeted=True)
        after = torch.softmax(module(adv), 1).gather(1, target[:, None])
        assert (after > before).float().mean() > 0.95
    strong = pgd(module, x, target, 0.5, bounds=(0.0, 1.0), steps=20, targeted=True)
    assert (module(strong).argmax(1) == target).float().mean() > 0.8


@pytest.mark.slow
def test_accuracy_under_attack_falls_with_eps(digits_predictor):
    predictor, raw, labels = digits_predictor
    clean = (predictor.probabilities(raw).argmax(1) == labels).float().mean().item()
    eps = [0.0, 0.05, 0.2, 0.5]
    for method in ("fgsm", "pgd"):
        acc = accuracy_under_attack(predictor, raw, labels, eps, method)
        assert acc[0] == pytest.approx(clean)
        assert acc == sorted(acc, reverse=True) and acc[-1] < 0.5 * acc[0]
    assert accuracy_under_attack(predictor, raw, labels, [0.2], "pgd")[0] <= \
        accuracy_under_attack(predictor, raw, labels, [0.2], "fgsm")[0]


@pytest.mark.slow
def test_attack_sample_reports_the_images_and_both_predictions(digits_predictor):
    predictor, raw, labels = digits_predictor
    a = attack_sample(predictor, raw[0], int(labels[0]), 0.2)
    assert a.x.shape == a.x_adv.shape == a.direction.shape == (1, 8, 8)
    assert set(a.direction.flatten().tolist()) <= {-1.0, 0.0, 1.0}
    assert abs(a.x_adv - a.x).max() <= 0.2 + 1e-6 and a.x_adv.min() >= 0 and a.x_adv.max() <= 1
    assert a.probs.sum() == pytest.approx(1, abs=1e-5) and a.probs_adv.shape == (10,)
    p = attack_sample(predictor, raw[0], int(labels[0]), 0.2, "pgd", target=3)
    assert p.probs_adv[3] > p.probs[3] and abs(p.direction).max() <= 1 + 1e-5


def test_a_regression_model_is_refused_in_one_line():
    from netcanvas.backend.compiler import compile_graph
    from test_training_support import linear_project

    model = compile_graph(linear_project().graph)
    predictor = Predictor(model, DataInfo(task="regression"), "linreg", None)
    with pytest.raises(AttackError, match="classifier"):
        accuracy_under_attack(predictor, torch.zeros(2, 3), torch.zeros(2), [0.1])


# ---- netcanvas attack ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained_blobs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attack")
    path = blobs_file(folder / "blobs.netcanvas", epochs=5, lr=0.05)
    assert main(["train", str(path), "--out", str(folder / "run")]) == 0
    return path, folder / "run"


def test_attack_cli_prints_and_writes_the_table(trained_blobs, tmp_path, capsys):
    path, run = trained_blobs
    out = tmp_path / "t.csv"
    assert main(["attack", str(path), "--weights", str(run), "--eps", "0,0.5,2",
                 "--method", "both", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert list(rows[0]) == ["method", "eps", "accuracy"]
    assert [(r["method"], float(r["eps"])) for r in rows] == [
        (m, e) for m in ("fgsm", "pgd") for e in (0, 0.5, 2)]
    acc = [float(r["accuracy"]) for r in rows]
    assert all(0 <= a <= 1 for a in acc) and acc[0] > 0.8 and acc[2] < acc[0]
    printed = capsys.readouterr().out
    assert "fgsm" in printed and f"{acc[2]:.4f}" in printed


@pytest.mark.parametrize("argv,needle", [
    (["--eps", "0,x"], "--eps"),
    (["--eps", "-1"], "--eps"),
    (["--steps", "0"], "--steps"),
    (["--method", "deepfool"], "--method"),
    (["--out", "/nowhere/t.csv"], "no such folder"),
    (["--weights", "/nowhere/w.safetensors"], "no such weights file"),
])
def test_attack_cli_bad_input_exits_2_with_one_line(trained_blobs, capsys, argv, needle):
    path, run = trained_blobs
    args = ["attack", str(path), "--weights", str(run), *argv]
    if "--weights" in argv:
        args = ["attack", str(path), *argv]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


# ---- adversarial training ------------------------------------------------------------------
@pytest.mark.parametrize("name,value", [("adversarial", "deepfool"), ("adversarial_eps", -0.1),
                                        ("adversarial_ratio", 1.5)])
def test_adversarial_settings_are_validated(name, value):
    project = mlp_project()
    with pytest.raises(ParamError, match=f"training.{name}"):
        project.set_setting("training", name, value)


def test_adversarial_training_feeds_attacked_batches_and_changes_the_run():
    data = blobs(n=150)
    plain = Trainer(mlp_project(epochs=2), data).run()
    for method in ("fgsm", "pgd"):
        project = mlp_project(epochs=2, adversarial=method, adversarial_eps=1.0,
                              adversarial_ratio=0.5)
        trainer = Trainer(project, data)
        result = trainer.run()
        assert result.failed is None
        # 90 training samples, batches of 16: half of each batch, 2 epochs
        assert trainer._loop.adversary.fed == 2 * (5 * 8 + 5)
        assert result.history[0]["train_loss"] > plain.history[0]["train_loss"]


def test_adversarial_training_refuses_a_regression_naming_the_setting():
    from test_training_support import linear_project, regression

    result = Trainer(linear_project(adversarial="fgsm"), regression()).run()
    assert result.failed is not None and "training.adversarial" in result.failed.message


def test_train_cli_takes_the_adversarial_options(tmp_path, capsys):
    path = blobs_file(tmp_path / "b.netcanvas", epochs=1)
    losses = []
    for extra in ([], ["--adversarial", "pgd", "--adversarial-eps", "1", "--adversarial-ratio",
                       "1"]):
        out = tmp_path / f"run{len(losses)}"
        assert main(["train", str(path), *extra, "--out", str(out)]) == 0
        rows = list(csv.DictReader((out / "metrics.csv").read_text().splitlines()))
        losses.append(float(rows[0]["train_loss"]))
    assert losses[1] > losses[0]  # the same seed, trained on attacked samples
    assert main(["train", str(path), "--adversarial-ratio", "2"]) == 2
    assert "--adversarial-ratio" in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_adversarial_training_and_attacks_on_cuda(digits_predictor):
    project = mlp_project(epochs=1, device="cuda", adversarial="pgd", adversarial_eps=0.5)
    trainer = Trainer(project, blobs(n=150))
    assert trainer.run().failed is None and trainer._loop.adversary.fed > 0
    predictor, raw, labels = digits_predictor
    on_gpu = accuracy_under_attack(predictor, raw, labels, [0.0, 0.1], "pgd", device="cuda")
    predictor.model.module.to("cpu")
    assert on_gpu == pytest.approx(accuracy_under_attack(predictor, raw, labels, [0.0, 0.1],
                                                         "pgd"), abs=0.01)
