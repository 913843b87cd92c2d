"""Augmentation on device batches, and the dataset/model compatibility check."""

from dataclasses import dataclass, field

import pytest
import torch
from netcanvas.backend.data import DatasetMismatchError, augment, check_compatible, load_dataset
from netcanvas.backend.project import DatasetConfig


def batch(n=16):
    return torch.arange(n * 3 * 6 * 6, dtype=torch.float32).reshape(n, 3, 6, 6) + 1


def test_augment_is_deterministic_given_the_generator():
    cfg = DatasetConfig(augment_crop_padding=2, augment_flip=True)
    x = batch()
    a = augment(x, cfg, torch.Generator().manual_seed(5))
    b = augment(x, cfg, torch.Generator().manual_seed(5))
    c = augment(x, cfg, torch.Generator().manual_seed(6))
    assert a.shape == x.shape and a.dtype == x.dtype
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_crop_shifts_each_sample_within_zero_padding():
    cfg = DatasetConfig(augment_crop_padding=2)
    x = batch(64)
    out = augment(x, cfg, torch.Generator().manual_seed(0))
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    shifts = set()
    for i in range(64):  # every output is some 6x6 window of its own padded sample
        match = [(dy, dx) for dy in range(5) for dx in range(5)
                 if torch.equal(out[i], padded[i, :, dy:dy + 6, dx:dx + 6])]
        assert match, f"sample {i} is not a crop of itself"
        shifts.add(match[0])
    assert len(shifts) > 5  # offsets differ across the batch


def test_flip_mirrors_about_half_the_batch():
    x = batch(200)
    out = augment(x, DatasetConfig(augment_flip=True), torch.Generator().manual_seed(1))
    flipped = [torch.equal(out[i], x[i].flip(2)) for i in range(200)]
    kept = [torch.equal(out[i], x[i]) for i in range(200)]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 60 < sum(flipped) < 140


def test_augment_off_or_vectors_pass_unchanged():
    x = batch()
    assert augment(x, DatasetConfig(), torch.Generator()) is x
    v = torch.randn(8, 2)
    assert augment(v, DatasetConfig(augment_flip=True, augment_crop_padding=2),
                   torch.Generator()) is v


@dataclass
class Loss:
    output: str
    loss: str = "cross_entropy"
    label_smoothing: float = 0.0
    weight: float = 1.0


@dataclass
class Model:
    input_shapes: list
    output_shapes: list
    input_names: list = field(default_factory=lambda: ["image"])
    output_names: list = field(default_factory=lambda: ["out"])
    losses: list = field(default_factory=lambda: [Loss("out")])


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DatasetConfig())


def test_compatible_model_passes(digits):
    check_compatible(digits, Model([(1, 8, 8)], [(10,)]))


def test_input_shape_mismatch_names_both_shapes(digits):
    with pytest.raises(DatasetMismatchError,
                       match="dataset gives 1x8x8, Input 'image' expects 3x32x32"):
        check_compatible(digits, Model([(3, 32, 32)], [(10,)]))


def test_class_count_mismatch(digits):
    with pytest.raises(DatasetMismatchError, match="dataset has 10 classes, Output 'out' gives 5"):
        check_compatible(digits, Model([(1, 8, 8)], [(5,)]))


def test_untrained_output_and_several_inputs(digits):
    check_compatible(digits, Model([(1, 8, 8)], [(7,)], losses=[Loss("out", "none")]))
    with pytest.raises(DatasetMismatchError, match="2 Inputs: a, b"):
        check_compatible(digits, Model([(1, 8, 8), (1, 8, 8)], [(10,)], input_names=["a", "b"]))


def test_regression_target_shape_and_loss_kind():
    lin = load_dataset(DatasetConfig(name="linear", options={"n_features": 2}))
    check_compatible(lin, Model([(2,)], [(1,)], losses=[Loss("out", "mse")]))
    with pytest.raises(DatasetMismatchError, match="dataset targets are 1, Output 'out' gives 3"):
        check_compatible(lin, Model([(2,)], [(3,)], losses=[Loss("out", "mse")]))
    with pytest.raises(DatasetMismatchError, match="regression .* classification loss"):
        check_compatible(lin, Model([(2,)], [(1,)]))
    with pytest.raises(DatasetMismatchError, match="dataset gives 2, Input 'image' expects 3"):
        check_compatible(lin, Model([(3,)], [(1,)], losses=[Loss("out", "mse")]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("gen_device", ["cuda", "cpu"])
def test_augment_on_cuda_batches(gen_device):
    cfg = DatasetConfig(augment_crop_padding=2, augment_flip=True)
    x = batch(64).cuda()
    a = augment(x, cfg, torch.Generator(device=gen_device).manual_seed(3))
    b = augment(x, cfg, torch.Generator(device=gen_device).manual_seed(3))
    assert a.device == x.device and torch.equal(a, b)
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2)).cpu()
    a = a.cpu()
    for i in range(64):  # a crop of the sample itself, mirrored or not
        windows = [padded[i, :, dy:dy + 6, dx:dx + 6] for dy in range(5) for dx in range(5)]
        assert any(torch.equal(a[i], w) or torch.equal(a[i], w.flip(2)) for w in windows)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_dataset_moves_to_cuda(digits):
    train = digits.train.to("cuda", non_blocking=True)
    assert train.x.is_cuda and train.y.is_cuda and len(train) == len(digits.train)
    raw = load_dataset(DatasetConfig(normalize=False)).train.x.cuda()
    assert torch.allclose(digits.normalize_input(raw).cpu(), digits.train.x, atol=1e-5)
