"""Output previews of every node before training, Grad-CAM, SmoothGrad, per-class maps and
embeddings (PCA, t-SNE) over a trained LeNet."""

from __future__ import annotations

import numpy as np
import pytest
from insight_support import LENET, trained_digits_run
from netcanvas.backend.insight import embedding, grad_cam
from netcanvas.backend.insight.predict import PredictError, from_run
from netcanvas.backend.insight.previews import MAX_MAPS, previews
from netcanvas.backend.project_io import load_project


def test_previews_of_every_node_before_training():
    project = load_project(LENET)
    shown = previews(project.graph)
    assert set(shown) == set(project.graph.nodes)  # every node, the Output its source's
    by = {n.name: shown[n.id] for n in project.graph.nodes.values()}
    assert by["conv1"].kind == "image" and by["conv1"].values.shape == (MAX_MAPS, 8, 8)
    assert by["conv1"].shape == (16, 8, 8)
    assert by["relu1"].low >= 0 and by["relu1"].high > 0
    assert by["fc2"].kind == "vector" and by["fc2"].values.shape == (10,)
    np.testing.assert_array_equal(by["logits"].values, by["fc2"].values)
    again = previews(project.graph)  # seeded: the same random weights and sample
    np.testing.assert_array_equal(again[project.graph.by_name("fc2").id].values,
                                  by["fc2"].values)


@pytest.fixture(scope="module")
def lenet(tmp_path_factory):
    run, data = trained_digits_run(tmp_path_factory.mktemp("runs"), epochs=2)
    predictor = from_run(run)
    x, y = predictor.test_samples(data)
    return predictor, x, y


@pytest.mark.slow
def test_grad_cam_of_a_conv_node(lenet):
    predictor, x, _ = lenet
    assert grad_cam.conv_nodes(predictor)[:2] == ["conv1", "relu1"]
    heat, target = grad_cam.grad_cam(predictor, x[0], "relu2")
    assert heat.shape == (8, 8) and (heat >= 0).all() and heat.max() > 0
    assert target == int(predictor.outputs(x[0]).argmax())
    with pytest.raises(PredictError, match="node 'fc1' has no image-shaped output"):
        grad_cam.grad_cam(predictor, x[0], "fc1")


@pytest.mark.slow
def test_smoothgrad_averages_noisy_saliency_and_ig(lenet):
    predictor, x, _ = lenet
    plain, t = grad_cam.smooth(predictor, x[0], "saliency", samples=1, stdev=0.0)
    from netcanvas.backend.insight.attribution import attribute
    np.testing.assert_allclose(plain, attribute(predictor, x[0], "saliency", t).values,
                               rtol=1e-4, atol=1e-6)
    noisy, _ = grad_cam.smooth(predictor, x[0], "saliency", target=t)
    assert noisy.shape == (1, 8, 8) and not np.allclose(noisy, plain)
    ig, _ = grad_cam.smooth(predictor, x[0], "integrated_gradients", target=t, samples=4)
    assert ig.shape == (1, 8, 8) and np.isfinite(ig).all()
    with pytest.raises(ValueError, match="SmoothGrad works over"):
        grad_cam.smooth(predictor, x[0], "occlusion")


@pytest.mark.slow
def test_class_average_maps(lenet):
    predictor, x, y = lenet
    maps = grad_cam.class_average_maps(predictor, x, y, per_class=5)
    assert maps.shape == (10, 8, 8) and (maps >= 0).all() and (maps.sum(axis=(1, 2)) > 0).all()


@pytest.mark.slow
def test_embeddings_separate_classes_deeper(lenet):
    predictor, x, y = lenet
    pca = embedding.embed(predictor, "fc1", x, y, "pca", limit=200)
    assert pca.points.shape == (200, 2) and 0 < pca.explained <= 1
    assert (pca.labels == np.asarray(y[:200])).all()
    tsne = embedding.embed(predictor, "relu3", x, y, "tsne", limit=120)
    assert tsne.points.shape == (120, 2) and np.isfinite(tsne.points).all()

    def separation(e):  # between-class over within-class spread
        centres = np.stack([e.points[e.labels == c].mean(0) for c in np.unique(e.labels)])
        within = np.mean([e.points[e.labels == c].std(0).mean() for c in np.unique(e.labels)])
        return centres.std(0).mean() / within
    raw = embedding.embed(predictor, "conv1", x, y, "pca", limit=200)
    assert separation(embedding.embed(predictor, "fc2", x, y, "pca", limit=200)) > \
        separation(raw)
    with pytest.raises(ValueError, match="unknown projection"):
        embedding.embed(predictor, "fc1", x, y, "umap")


@pytest.mark.slow
def test_receptive_lens_uses_the_runs_weights_and_a_drawing(tmp_path):
    import torch
    from netcanvas.backend.insight.effective_field import effective_field, run_field
    run, data = trained_digits_run(tmp_path, epochs=1)
    project = load_project(LENET)  # the document: the run's weights load by name and shape
    conv2 = project.graph.by_name("conv2").id
    sample = data.test.x[0]
    trained = run_field(project, conv2, None, sample, run)
    weights = from_run(run).model.module.state_dict()
    np.testing.assert_allclose(trained.heat, effective_field(project, conv2, None, sample,
                                                             weights).heat)
    assert not np.allclose(trained.heat, run_field(project, conv2, None, sample).heat)
    raw, _ = from_run(run).test_samples(data)  # a drawing is raw pixels, normalised inside
    drawn = run_field(project, conv2, (1, 1), data.test.x[5], run, raw[3].numpy())
    np.testing.assert_allclose(drawn.image, data.test.x[3].numpy(), atol=1e-5)
    assert drawn.cell == (1, 1) and not torch.equal(data.test.x[3], data.test.x[5])
