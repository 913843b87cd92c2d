"""The declared augmentations: each deterministic under a seed and doing what it says,
applied to training batches only, mixup/cutmix with their mixed targets and loss."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F
from netcanvas.backend.augmentations import AUGMENTATIONS
from netcanvas.backend.data.augmentation import augment, blur, erasing, geometry, grayscale, mix
from netcanvas.backend.project import DatasetConfig
from netcanvas.backend.settings import DATASET
from netcanvas.backend.training import Trainer

ON = {"augment_resized_crop": 0.3, "augment_rotation": 30.0, "augment_affine": 0.2,
      "augment_color_jitter": 0.5, "augment_grayscale": 0.5, "augment_blur": 0.5,
      "augment_erasing": 0.5}


def batch(n=16, c=3, size=12):
    return torch.rand(n, c, size, size, generator=torch.Generator().manual_seed(0))


def test_every_augmentation_is_a_declared_dataset_field_off_by_default():
    fields = {f.name: f.default for f in dataclasses.fields(DatasetConfig)}
    for param in AUGMENTATIONS:
        assert param in DATASET and fields[param.name] == param.default
    assert set(ON) | {"augment_mix", "augment_mix_alpha"} == {p.name for p in AUGMENTATIONS}
    assert augment(batch(), DatasetConfig(), torch.Generator()) is not None


@pytest.mark.parametrize("name", sorted(ON))
def test_each_augmentation_is_reproducible_under_a_seed_and_changes_the_batch(name):
    cfg = DatasetConfig(**{name: ON[name]})
    x = batch()
    mean, std = torch.full((3,), 0.5), torch.full((3,), 0.25)
    a = augment(x, cfg, torch.Generator().manual_seed(1), mean, std)
    b = augment(x, cfg, torch.Generator().manual_seed(1), mean, std)
    c = augment(x, cfg, torch.Generator().manual_seed(2), mean, std)
    assert a.shape == x.shape and torch.equal(a, b)
    assert not torch.equal(a, x) and not torch.equal(a, c)


def test_geometry_off_is_the_identity_and_a_full_turn_of_180_degrees_mirrors():
    x = batch(4)
    assert torch.allclose(geometry(x, torch.Generator(), 0.0, 0.0, 0.0), x, atol=1e-5)
    g = torch.Generator().manual_seed(0)
    rotated = geometry(x, g, 0.0, 180.0, 0.0)
    assert rotated.shape == x.shape and torch.isfinite(rotated).all()


def test_grayscale_blur_and_erasing_do_what_they_say():
    x = batch(8)
    grey = grayscale(x, torch.Generator(), 1.0)
    assert torch.allclose(grey[:, 0], grey[:, 1]) and torch.allclose(grey[:, 1], grey[:, 2])
    flat = torch.full((2, 3, 9, 9), 0.7)
    assert torch.allclose(blur(flat, torch.Generator(), 1.0), flat)  # blur keeps a constant
    assert blur(x, torch.Generator(), 1.0).std() < x.std()
    erased = erasing(torch.ones(64, 1, 20, 20), torch.Generator().manual_seed(0), 1.0)
    share = 1 - erased.mean(dim=(1, 2, 3))
    assert (share >= 0.01).all() and (share <= 0.40).all()


@pytest.mark.parametrize("mode", ["mixup", "cutmix"])
def test_mixup_and_cutmix_mix_targets_by_the_share_of_each_image(mode):
    x = torch.stack([torch.full((1, 10, 10), float(i)) for i in range(8)])
    y = torch.arange(8)
    mixed, y1, y2, lam = mix(x, y, torch.Generator().manual_seed(3), mode, 1.0)
    assert torch.equal(y1, y) and sorted(y2.tolist()) == list(range(8))
    assert 0 <= float(lam) <= 1
    # every image is lam of its own value and (1 - lam) of its partner's, in mean
    expected = lam * y.float() + (1 - lam) * y2.float()
    assert torch.allclose(mixed.mean(dim=(1, 2, 3)), expected, atol=1e-5)


def test_the_mixed_loss_is_the_lam_weighted_sum_of_both_targets():
    from test_data_stream import cnn_project
    from test_training_support import Recorder

    project = cnn_project((1, 8, 8), classes=10, epochs=1)
    project.dataset = DatasetConfig(name="digits", augment_mix="mixup")
    trainer = Trainer(project, on_event=Recorder())
    loop, *_ = trainer.build()
    seen = {}
    real_mix = loop.mix

    def spy(x, y, g):
        seen["args"] = (x.clone(), y.clone())
        seen["out"] = real_mix(x, y, g)
        return seen["out"]

    loop.mix = spy
    state = {k: v.clone() for k, v in loop.model.state_dict().items()}
    _out, _y, loss, _parts = loop.train_step(torch.arange(16))
    mixed_x, y1, y2, lam = seen["out"]
    loop.model.load_state_dict(state)
    with torch.no_grad():
        logits = loop.model(mixed_x)
    want = lam * F.cross_entropy(logits, y1) + (1 - lam) * F.cross_entropy(logits, y2)
    assert torch.allclose(loss, want, atol=1e-5)


def test_augmentation_touches_training_batches_only_and_a_seeded_run_repeats():
    from test_data_stream import cnn_project

    def run():
        project = cnn_project((1, 8, 8), classes=10, epochs=1, seed=7)
        project.dataset = DatasetConfig(name="digits", augment_mix="cutmix", **ON)
        trainer = Trainer(project)
        loop, dataset, val, _test = trainer.build()
        calls = []
        real = loop.augment
        loop.augment = lambda x, g: calls.append(len(x)) or real(x, g)
        loop.evaluate(val)
        assert calls == []  # evaluation never augments
        loop.train_epoch(1)
        assert calls and sum(calls) == len(dataset.train)
        return [p.detach().clone() for p in loop.model.parameters()]

    assert all(torch.equal(a, b) for a, b in zip(run(), run()))


@pytest.mark.slow  # a CLI training run
def test_the_cli_sets_augmentations_from_their_declarations(tmp_path, capsys):
    from netcanvas.backend.cli import main
    from netcanvas.backend.project_io import save_project
    from test_data_stream import cnn_project

    path = tmp_path / "p.netcanvas"
    project = cnn_project((1, 8, 8), classes=10, epochs=1)
    project.dataset = DatasetConfig(name="digits")
    save_project(project, path)
    assert main(["train", str(path), "--augment-rotation", "999"]) == 2
    assert "--augment-rotation" in capsys.readouterr().err
    assert main(["train", str(path), "--augment-mix", "cutmix", "--augment-rotation", "15",
                 "--seed", "3"]) == 0
