"""The training doctor: each rule fires on a real short run that has the problem and stays
quiet on one that does not; the deep_sigmoid lesson's finding appears in the first epoch and
its fix removes it on the next run; `netcanvas train --doctor` prints the findings."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from doctor_graphs import CE, FLAT, chain, lin
from netcanvas.backend.cli import main
from netcanvas.backend.data import load_dataset
from netcanvas.backend.doctor.live import TrainingDoctor, live_rules
from netcanvas.backend.graph import Compound
from netcanvas.backend.project_io import load_project
from netcanvas.backend.training import LayerStats, Trainer

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def train(project, epochs=1, every=5, **settings):
    """Train for real with statistics every `every` steps; (doctor, first epoch of each
    rule's first finding)."""
    torch.manual_seed(0)
    project.training.epochs = epochs
    for k, v in settings.items():
        setattr(project.training, k, v)
    dataset = load_dataset(project.dataset)
    doctor = TrainingDoctor(project, dataset.num_classes)
    first: dict[str, int] = {}
    epoch = [1]

    def on_event(event):
        if isinstance(event, LayerStats):
            epoch[0] = event.epoch
        for f in doctor.observe(event):
            first.setdefault(f.rule, epoch[0])

    result = Trainer(project, dataset, device="cpu", on_event=on_event, layer_stats=every).run()
    assert result.failed is None, result.failed
    return doctor, first


def mlp(width=32, act="relu"):
    return chain(FLAT, lin(width), act, lin(10), CE)


def deep_bn(depth, width=8):
    """Linear → BatchNorm → ReLU, `depth` times: without skip connections the gradient grows
    by a constant factor per block on its way back (batch normalisation's gradient explosion
    at initialisation, Yang et al. 2019), so a deep narrow stack explodes from step one."""
    return chain(FLAT, *[lin(width, bias=False), "batch_norm1d", "relu"] * depth, lin(10), CE,
                 batch_size=256)


# rule -> (a run that has the problem, a run that does not): (project, train settings)
CASES = {
    "dead-relu": ((mlp(8), {"lr": 1.0, "epochs": 2}), (mlp(8), {})),
    "update-ratio": ((mlp(), {"lr": 1e-6, "epochs": 2}), (mlp(), {"epochs": 2})),
    "saturated-activation": ((mlp(act="sigmoid"), {"lr": 3.0, "epochs": 2}),
                             (mlp(act="sigmoid"), {})),
    "loss-at-chance": ((mlp(), {"lr": 1e-6}), (mlp(), {"epochs": 2})),
    "exploding-gradients": ((deep_bn(60), {}), (deep_bn(10), {})),
}


def test_every_rule_has_a_case():
    assert set(live_rules()) == {*CASES, "vanishing-gradients"}  # that one: deep_sigmoid


@pytest.mark.slow
@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_on_a_run_with_the_problem_and_not_without(rule):
    (bad, bad_settings), (good, good_settings) = CASES[rule]
    doctor, _ = train(bad, **bad_settings)
    hits = [f for f in doctor.findings if f.rule == rule]
    assert hits and all(f.node_id in bad.graph.nodes for f in hits), doctor.findings
    assert "since epoch" in hits[0].message
    doctor, first = train(good, **good_settings)
    assert rule not in first, doctor.findings


def test_dead_relu_evidence_names_the_layer_and_share():
    doctor, _ = train(mlp(8), lr=1.0, epochs=2)
    (f,) = [f for f in doctor.findings if f.rule == "dead-relu"]
    assert f.message.startswith("relu1: 100 % of outputs are zero since epoch ")
    assert f.fix.title == "Insert BatchNorm before 'relu1'"


def test_update_ratio_fix_multiplies_the_learning_rate_undoably():
    project = mlp()
    doctor, _ = train(project, lr=1e-6, epochs=2)
    (f,) = [f for f in doctor.findings if f.rule == "update-ratio"]
    assert "learning rate too low" in f.message
    edit = f.fix.edit(project.graph)
    assert isinstance(edit, Compound) and edit.target == "project"
    edit.apply(project)
    assert project.training.lr == pytest.approx(1e-5)
    edit.revert(project)
    assert project.training.lr == pytest.approx(1e-6)


def _readings(first: float, last: float):
    return LayerStats(step=1, epoch=1, layers={"fc1": {"grad_norm": first, "update_ratio": 1e-3},
                                               "fc2": {"grad_norm": last, "update_ratio": 1e-3}})


def test_exploding_gradients_on_recorded_statistics():
    """The evidence's wording and the fix, on readings made up to be exact (the real run that
    explodes is CASES' deep BatchNorm stack)."""
    project = mlp()
    doctor = TrainingDoctor(project, 10)
    (f,) = doctor.observe(_readings(5e4, 1.0))
    assert f.rule == "exploding-gradients"
    assert f.message == "fc1: gradient norm 5.0e+04, 5.0e+04× larger than fc2's (1) since epoch 1"
    assert f.fix.title.startswith("Learning rate × 0.1")
    assert doctor.observe(_readings(1.0, 1.0)) == [] and doctor.findings == []


@pytest.mark.slow
def test_no_gradient_problem_on_a_healthy_run():
    doctor, first = train(load_project(EXAMPLES / "deep_relu_bn.netcanvas"), every=5)
    assert not {"vanishing-gradients", "exploding-gradients"} & set(first), doctor.findings


@pytest.mark.slow
def test_deep_sigmoid_lesson_finding_and_its_fix():
    project = load_project(EXAMPLES / "deep_sigmoid.netcanvas")
    doctor, first = train(project, epochs=1, every=5)
    assert first["vanishing-gradients"] == 1
    (f,) = [f for f in doctor.findings if f.rule == "vanishing-gradients"]
    assert f.message.startswith("fc1: gradient norm ")
    edit = f.fix.edit(project.graph)
    edit.apply(project.graph)
    assert not [n for n in project.graph.nodes.values() if n.type_id == "sigmoid"]
    doctor, first = train(project, epochs=1, every=5)
    assert "vanishing-gradients" not in first, doctor.findings
    edit.revert(project.graph)
    assert len([n for n in project.graph.nodes.values() if n.type_id == "sigmoid"]) == 9


def test_a_silenced_rule_stays_quiet():
    project = mlp()
    relu = next(n for n in project.graph.nodes.values() if n.type_id == "relu")
    relu.silenced = ("dead-relu",)
    _, first = train(project, lr=1.0, epochs=2)
    assert "dead-relu" not in first


def test_train_doctor_prints_findings(capsys):
    path = EXAMPLES / "deep_sigmoid.netcanvas"
    assert main(["train", str(path), "--epochs", "1", "--doctor", "--layer-stats", "10"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "[vanishing-gradients]" in x)
    assert line.startswith("doctor (epoch 1, step ")  # the step of the batched report
    assert "): warning [vanishing-gradients] fc1: gradient norm" in line
    assert "(fix: Use ReLU instead of sigmoid/tanh, with BatchNorm before each)" in out
    assert main(["train", str(path), "--doctor", "--layer-stats", "0"]) == 2
