"""Built-in datasets: shapes, splits, determinism, normalisation statistics."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from netcanvas.backend.data import DATASETS, DatasetError, load_dataset
from netcanvas.backend.data.assemble import split_indices
from netcanvas.backend.project import DatasetConfig

TOYS = ["moons", "circles", "spirals", "xor", "blobs"]


def test_digits_is_the_default_and_scaled():
    cfg = DatasetConfig()
    assert cfg.name == "digits"
    raw = load_dataset(DatasetConfig(normalize=False))
    assert raw.sample_shape == (1, 8, 8) and raw.num_classes == 10 and raw.task == "classification"
    assert raw.train.x.dtype == torch.float32 and raw.train.y.dtype == torch.int64
    assert raw.train.x.shape[1:] == (1, 8, 8)
    assert raw.train.x.min() >= 0 and raw.train.x.max() == 1.0  # 0..16 scaled to 0..1
    total = len(raw.train) + len(raw.val) + len(raw.test)
    assert total == 1797
    assert len(raw.test) == round(1797 * cfg.test_fraction)
    assert len(raw.val) == round(1797 * cfg.val_fraction)
    assert raw.mean is None and raw.std is None


def test_digits_normalised_with_training_statistics():
    raw = load_dataset(DatasetConfig(normalize=False))
    d = load_dataset(DatasetConfig())
    mean, std = raw.train.x.double().mean(), raw.train.x.double().std(correction=0)
    assert d.mean.shape == (1,) and d.std.shape == (1,)
    assert d.mean.item() == pytest.approx(mean.item(), rel=1e-5)
    assert d.std.item() == pytest.approx(std.item(), rel=1e-5)
    assert d.train.x.mean().item() == pytest.approx(0.0, abs=1e-5)
    assert d.train.x.std(correction=0).item() == pytest.approx(1.0, abs=1e-4)
    # the same transform on the other splits, not their own statistics
    assert torch.allclose(d.test.x, (raw.test.x - mean.float()) / std.float(), atol=1e-5)
    assert torch.allclose(d.normalize_input(raw.val.x), d.val.x, atol=1e-6)


@pytest.mark.parametrize("name", TOYS)
def test_toy_sets(name):
    d = load_dataset(DatasetConfig(name=name, options={"n_samples": 300}))
    assert d.sample_shape == (2,) and d.task == "classification"
    assert len(d.train) + len(d.val) + len(d.test) == 300
    assert set(d.train.y.tolist()) == set(range(d.num_classes))
    assert d.mean.shape == (2,)  # per feature
    assert torch.allclose(d.train.x.mean(0), torch.zeros(2), atol=1e-5)
    assert torch.allclose(d.train.x.std(0, correction=0), torch.ones(2), atol=1e-4)


@pytest.mark.parametrize("name", ["spirals", "blobs"])
def test_class_count_option(name):
    d = load_dataset(DatasetConfig(name=name, options={"classes": 5, "n_samples": 250}))
    assert d.num_classes == 5 and d.class_names == ["0", "1", "2", "3", "4"]


def test_noise_option_changes_data_and_seed_reproduces_it():
    a = load_dataset(DatasetConfig(name="moons", options={"noise": 0.0}, normalize=False))
    b = load_dataset(DatasetConfig(name="moons", options={"noise": 0.3}, normalize=False))
    c = load_dataset(DatasetConfig(name="moons", options={"noise": 0.3}, normalize=False))
    d = load_dataset(DatasetConfig(name="moons", options={"noise": 0.3, "seed": 1},
                                   normalize=False))
    assert not torch.equal(a.train.x, b.train.x)
    assert torch.equal(b.train.x, c.train.x) and torch.equal(b.train.y, c.train.y)
    assert not torch.equal(b.train.x, d.train.x)


def test_linear_regression_keeps_generating_weights():
    cfg = DatasetConfig(name="linear", normalize=False,
                        options={"n_samples": 400, "n_features": 3, "noise": 0.01, "seed": 4})
    d = load_dataset(cfg)
    assert d.task == "regression" and d.num_classes is None and d.class_names == []
    assert d.sample_shape == (3,) and d.target_shape == (1,)
    assert d.train.y.shape == (len(d.train), 1) and d.train.y.dtype == torch.float32
    x = torch.cat([d.train.x, torch.ones(len(d.train), 1)], 1).double()
    solution = torch.linalg.lstsq(x, d.train.y.double()).solution.flatten()
    assert solution[:3].tolist() == pytest.approx(d.extra["w"], abs=0.01)
    assert solution[3].item() == pytest.approx(d.extra["b"], abs=0.01)


def test_splits_are_deterministic_disjoint_and_stratified():
    labels = np.repeat(np.arange(4), [100, 50, 30, 20])
    tr, va, te = split_indices(200, 0.1, 0.25, seed=3, labels=labels)
    tr2, va2, te2 = split_indices(200, 0.1, 0.25, seed=3, labels=labels)
    assert (len(tr), len(va), len(te)) == (130, 20, 50)
    assert np.array_equal(tr, tr2) and np.array_equal(va, va2) and np.array_equal(te, te2)
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(200))
    for part in (tr, va, te):  # each class within one sample of its share
        counts = np.bincount(labels[part], minlength=4)
        assert np.all(np.abs(counts - len(part) * np.array([0.5, 0.25, 0.15, 0.1])) <= 1)
    other = split_indices(200, 0.1, 0.25, seed=4, labels=labels)[2]
    assert not np.array_equal(np.sort(te), np.sort(other))


def test_same_config_gives_identical_dataset():
    a, b = (load_dataset(DatasetConfig(val_fraction=0.15, test_fraction=0.15)) for _ in range(2))
    for s in ("train", "val", "test"):
        assert torch.equal(getattr(a, s).x, getattr(b, s).x)
        assert torch.equal(getattr(a, s).y, getattr(b, s).y)


@pytest.mark.parametrize("val, test", [(0.5, 0.5), (-0.1, 0.2), (0.2, 1.0)])
def test_bad_fractions_refused(val, test):
    with pytest.raises(DatasetError, match="fraction"):
        load_dataset(DatasetConfig(val_fraction=val, test_fraction=test))


def test_bad_option_and_unknown_name():
    with pytest.raises(DatasetError, match="n_samples"):
        load_dataset(DatasetConfig(name="moons", options={"n_samples": "many"}))
    with pytest.raises(DatasetError, match="unknown dataset 'nope'.*digits"):
        load_dataset(DatasetConfig(name="nope"))


def test_catalogue_lists_every_kind():
    kinds = {info.name: info.kind for info in DATASETS.values()}
    assert kinds["digits"] == "builtin" and kinds["mnist"] == "download"
    assert kinds["csv"] == "user"
    assert set(kinds) >= {"digits", "moons", "circles", "spirals", "xor", "blobs", "linear",
                          "mnist", "fashion_mnist", "cifar10", "folder", "csv", "npz"}
    assert all(info.title and info.doc for info in DATASETS.values())


def test_the_catalogue_imports_neither_torch_nor_scikit_learn():
    code = ("import sys, netcanvas.backend.catalogue as c; "
            "print(len(c.DATASETS), *(m in sys.modules for m in ('torch', 'sklearn')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == [str(len(DATASETS)), "False", "False"]


@pytest.mark.parametrize("name,options", [("digits", {}), ("moons", {}), ("blobs", {}),
                                          ("linear", {"n_features": 3})])
def test_the_catalogue_knows_each_builtin_sample_shape_without_loading(name, options):
    from netcanvas.backend.catalogue import sample_shape

    loaded = load_dataset(DatasetConfig(name=name, options=options | {"n_samples": 100}
                                        if name != "digits" else {}))
    assert sample_shape(name, options) == loaded.sample_shape


def test_normalization_stats_in_chunks_match_float64():
    from netcanvas.backend.data.assemble import normalization_stats

    x = torch.randn(50, 3, 4, 4) * torch.tensor([0.01, 2.0, 0.0])[None, :, None, None] + 1e4
    mean, std = normalization_stats(x, chunk=7)
    ref = x.double()
    assert torch.allclose(mean.double(), ref.mean((0, 2, 3)), rtol=1e-6)
    assert torch.allclose(std[:2].double(), ref.std((0, 2, 3), correction=0)[:2], rtol=1e-3)
    assert std[2] == 1.0  # a constant channel is left unscaled
