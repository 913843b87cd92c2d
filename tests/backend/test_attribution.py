"""Attribution (backend/insight/attribution.py, Captum) against the methods' definitions:
a linear model's saliency is its weights, Integrated Gradients are complete, occlusion is
the logit's drop."""

from __future__ import annotations

import pytest
import torch
from insight_support import linear_predictor, trained_digits_run
from netcanvas.backend.insight.attribution import attribute, baseline, occlusion_window
from netcanvas.backend.insight.predict import from_run


@pytest.mark.parametrize("target", [0, 2])
def test_saliency_of_a_linear_model_is_its_weights(target):
    predictor = linear_predictor()
    weights = predictor.model.module.fc.weight.detach()
    result = attribute(predictor, torch.randn(4), "saliency", target)
    assert result.target == target
    assert torch.allclose(torch.from_numpy(result.values), weights[target], atol=1e-6)


def test_saliency_is_taken_in_raw_units_through_the_normalisation():
    mean, std, scale = [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 0.5, 1.0], 0.5
    predictor = linear_predictor(4, mean, std, scale)
    weights = predictor.model.module.fc.weight.detach()
    result = attribute(predictor, torch.randn(4), "saliency", 1)
    expected = weights[1] / (torch.tensor(std) * scale)  # d/dx of w·(x − m·s)/(σ·s)
    assert torch.allclose(torch.from_numpy(result.values), expected, atol=1e-5)


def test_occlusion_of_a_linear_model_is_each_values_contribution():
    predictor = linear_predictor(4, [0.5] * 4, [2.0] * 4)
    x = torch.randn(4)
    weights = predictor.model.module.fc.weight.detach()
    result = attribute(predictor, x, "occlusion", 0)
    base = baseline(predictor)  # the training mean, in raw units
    assert torch.allclose(base, torch.full((4,), 0.5))
    expected = weights[0] * (x - base) / 2.0
    assert torch.allclose(torch.from_numpy(result.values), expected, atol=1e-5)


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    return trained_digits_run(tmp_path_factory.mktemp("runs"))


def test_integrated_gradients_are_complete_on_a_trained_lenet(digits):
    run, data = digits
    predictor = from_run(run)
    x, _ = predictor.test_samples(data)
    forward = predictor.raw_module()
    for sample in x[:4]:
        result = attribute(predictor, sample, "integrated_gradients")
        with torch.no_grad():
            gap = float(forward(sample[None])[0, result.target]
                        - forward(baseline(predictor)[None])[0, result.target])
        total = float(result.values.sum())
        assert abs(total - gap) <= 0.01 * abs(gap), (total, gap)
        assert result.map().shape == (8, 8)


def test_every_method_explains_the_predicted_class_unless_told(digits):
    run, data = digits
    predictor = from_run(run)
    x, _ = predictor.test_samples(data)
    predicted = int(predictor.probabilities(x[0]).argmax())
    for method in ("saliency", "integrated_gradients", "occlusion"):
        assert attribute(predictor, x[0], method).target == predicted
        chosen = attribute(predictor, x[0], method, target=(predicted + 1) % 10)
        assert chosen.target == (predicted + 1) % 10 and chosen.values.shape == (1, 8, 8)
    with pytest.raises(ValueError, match="unknown attribution method"):
        attribute(predictor, x[0], "lime")


def test_occlusion_windows_scale_with_the_image():
    assert occlusion_window((1, 8, 8)) == ((1, 2, 2), (1, 1, 1))
    assert occlusion_window((3, 32, 32)) == ((3, 4, 4), (3, 2, 2))
    assert occlusion_window((2,)) == ((1,), (1,))
