"""Checkpoints: no pickle, atomic, and resume continues exactly (bit-identical on CPU)."""

from __future__ import annotations

import json

import torch
from netcanvas.backend.training import Trainer
from netcanvas.backend.training.checkpoint import load_checkpoint, prefixed
from safetensors.torch import load_file
from test_training_support import blobs, cnn_project, images, mlp_project


def _project(epochs: int):
    # Dropout (global RNG), shuffling (generator), Adam state, a step schedule and warm-up:
    # everything resume has to carry.
    return mlp_project(dropout=0.2, epochs=epochs, optimizer="adam", schedule="step",
                       step_size=1, gamma=0.7, warmup_epochs=1, seed=7, device="cpu")


def test_two_plus_two_epochs_equal_four(tmp_path):
    data = blobs()
    straight = Trainer(_project(4), data, checkpoint_dir=tmp_path / "a").run()
    first = Trainer(_project(2), data, checkpoint_dir=tmp_path / "b").run()
    assert first.failed is None and len(first.history) == 2
    resumed = Trainer(_project(4), data, checkpoint_dir=tmp_path / "b",
                      resume_from=tmp_path / "b").run()
    assert resumed.failed is None
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3, 4]
    a, b = straight.model.module.state_dict(), resumed.model.module.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    # The live weights of epoch 4 (before restoring the best epoch) match too.
    _, ta = load_checkpoint(tmp_path / "a")
    _, tb = load_checkpoint(tmp_path / "b" / "checkpoint.json")
    wa, wb = prefixed(ta, "model/"), prefixed(tb, "model/")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert straight.best_epoch == resumed.best_epoch
    strip = [{k: v for k, v in h.items() if k != "seconds"} for h in straight.history]
    assert strip == [{k: v for k, v in h.items() if k != "seconds"} for h in resumed.history]
    assert straight.test_metrics == resumed.test_metrics


def test_checkpoint_is_json_plus_safetensors(tmp_path):
    result = Trainer(_project(2), blobs(), checkpoint_dir=tmp_path).run()
    assert result.checkpoint == str(tmp_path / "checkpoint.json")
    meta = json.loads((tmp_path / "checkpoint.json").read_text())
    assert meta["epoch"] == 2 and meta["step"] == 2 * meta["steps_per_epoch"]
    assert len(meta["history"]) == 2 and "schedule" in meta and "optimizer" in meta
    # Only the latest tensor file is left; no temporary files.
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["checkpoint-e0002.safetensors", "checkpoint.json"]
    tensors = load_file(str(tmp_path / meta["tensors"]))
    assert "rng/cpu" in tensors and "rng/shuffle" in tensors
    assert any(k.startswith("optim/") and k.endswith("/exp_avg") for k in tensors)
    assert set(prefixed(tensors, "model/")) == set(result.model.module.state_dict())


def test_resume_refuses_another_batch_size(tmp_path):
    Trainer(_project(1), blobs(), checkpoint_dir=tmp_path).run()
    project = _project(2)
    project.training.batch_size = 32
    result = Trainer(project, blobs(), resume_from=tmp_path).run()
    assert result.failed is not None and "batch size" in result.failed.message


def test_seeded_runs_with_augmentation_repeat_exactly():
    def run(seed):
        project = cnn_project(seed=seed, epochs=2, device="cpu")
        project.dataset.augment_flip = True
        project.dataset.augment_crop_padding = 1
        return Trainer(project, images()).run()
    a, b, c = run(3), run(3), run(4)
    sa, sb, sc = (r.model.module.state_dict() for r in (a, b, c))
    assert a.failed is None
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_augmentation_is_applied_to_training_batches(monkeypatch):
    from netcanvas.backend.data import augmentation as augment

    seen = []
    real = augment.augmenter

    def spy(config, mean, std):
        apply = real(config, mean, std)
        return lambda x, generator: seen.append(x.shape) or apply(x, generator)
    monkeypatch.setattr(augment, "augmenter", spy)
    project = cnn_project(epochs=1, device="cpu")
    project.dataset.augment_flip = True
    assert Trainer(project, images()).run().failed is None
    assert len(seen) == 8 and seen[0] == (16, 1, 8, 8)
