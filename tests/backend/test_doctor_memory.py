"""The memory-fit predictor against a real training step measured on the CPU (saved
tensors + parameter, gradient and optimizer-state bytes), and its largest-batch answer."""

from __future__ import annotations

from pathlib import Path

import pytest
from netcanvas.backend.doctor.measure import measure_memory
from netcanvas.backend.doctor.memory import (
    GiB,
    describe,
    estimate_memory,
    fit_summary,
    largest_batch,
)
from netcanvas.backend.project_io import load_project

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.mark.parametrize("name", ["lenet_digits", "residual_cnn", "segmentation_unpool",
                                  "inception_block", "mlp_moons", "vit_digits"])
@pytest.mark.parametrize("batch", [1, 32])
def test_prediction_matches_a_measured_step(name, batch):
    project = load_project(EXAMPLES / f"{name}.netcanvas")
    predicted = estimate_memory(project, batch, device="cpu")
    measured = measure_memory(project, batch, "cpu")
    assert predicted.weights == measured.weights
    assert predicted.gradients == measured.gradients
    assert 0.95 < predicted.activations / measured.activations < 1.05
    assert 0.95 < predicted.measured_part / measured.total < 1.05


@pytest.mark.parametrize("optimizer, momentum, slots", [("sgd", 0.0, 0), ("sgd", 0.9, 1),
                                                        ("adam", 0.9, 2), ("rmsprop", 0.0, 1)])
def test_optimizer_state_per_optimizer(optimizer, momentum, slots):
    project = load_project(EXAMPLES / "lenet_digits.netcanvas")
    project.training.optimizer, project.training.momentum = optimizer, momentum
    predicted = estimate_memory(project, 4, device="cpu")
    assert predicted.optimizer_state == slots * predicted.gradients
    measured = measure_memory(project, 4, "cpu")
    assert abs(measured.optimizer_state - predicted.optimizer_state) < 1024  # step counters


def test_meta_device_measures_the_same_as_the_cpu():
    project = load_project(EXAMPLES / "residual_cnn.netcanvas")
    assert measure_memory(project, 8, "meta") == measure_memory(project, 8, "cpu")


def test_largest_batch_is_the_edge_of_fitting():
    project = load_project(EXAMPLES / "resnet18.netcanvas")
    n = largest_batch(project, 8 * GiB)
    assert 100 < n < 1000
    assert estimate_memory(project, n).total <= 8 * GiB < estimate_memory(project, n + 1).total
    assert largest_batch(project, GiB // 4) == 0
    assert "3 GB: batch" in fit_summary(project) and "24 GB: batch" in fit_summary(project)


def test_workspace_allowance_is_stated_and_per_layer_sums_up():
    project = load_project(EXAMPLES / "lenet_digits.netcanvas")
    e = estimate_memory(project, 64)
    assert e.workspace >= GiB // 2 and e.total == e.measured_part + e.workspace
    assert sum(layer.saved_bytes for layer in e.layers) == e.activations
    assert "workspace allowance" in describe(e)


def test_a_graph_with_errors_has_no_estimate():
    project = load_project(EXAMPLES / "lenet_digits.netcanvas")
    out = next(n for n in project.graph.nodes.values() if n.type_id == "output")
    project.graph.remove_edge(project.graph.edges_into(out.id)[0])
    with pytest.raises(ValueError, match="errors"):
        estimate_memory(project, 8)


@pytest.mark.parametrize("name", ["lstm_digit_rows", "gru_forecast"])
def test_recurrent_layers_activations_are_predicted_at_training_batch_sizes(name):
    """torch's CPU LSTM/GRU kernels also keep copies of their weights (not per sample), so
    the per-sample estimate is checked where samples dominate."""
    project = load_project(EXAMPLES / f"{name}.netcanvas")
    predicted = estimate_memory(project, 32, device="cpu")
    measured = measure_memory(project, 32, "cpu")
    assert 0.9 < predicted.activations / measured.activations < 1.1
