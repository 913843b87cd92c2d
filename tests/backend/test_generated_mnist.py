"""The generated course datasets with option source = mnist: made from MNIST digits in the data
cache (downloaded here from small MNIST-format files served on 127.0.0.1), never downloading
by themselves."""

import numpy as np
import pytest
import torch
from netcanvas.backend.data import DatasetError, load_dataset
from netcanvas.backend.data import generated as g
from netcanvas.backend.project import DatasetConfig
from test_data_download import cache, config, mnist  # noqa: F401 (fixtures)

GENERATED = ("digit_masks", "find_digit", "moving_digits", "colourise", "denoise")


def _block_means(image: np.ndarray) -> np.ndarray:
    """A 28x28 digit on a 32x32 field, each 4x4 block's mean (plain loops)."""
    field = np.zeros((32, 32))
    field[2:30, 2:30] = image / 255.0
    return np.array([[field[4 * r:4 * r + 4, 4 * c:4 * c + 4].mean() for c in range(8)]
                     for r in range(8)])


@pytest.mark.parametrize("name", GENERATED)
def test_mnist_not_downloaded_is_one_line_saying_what_to_do(cache, name):
    with pytest.raises(DatasetError) as info:
        load_dataset(DatasetConfig(name=name, options={"source": "mnist"}))
    message = str(info.value)
    assert message.startswith("option source: MNIST is not downloaded") and "\n" not in message
    assert str(cache / "mnist") in message and "choose source digits" in message


def test_the_digits_are_the_cached_mnist_digits_averaged_to_8x8(mnist, cache):
    server, arrays = mnist
    load_dataset(config(server))  # MNIST downloaded once, as the user would
    requests = len(server.requests)
    images, labels = g.mnist_digits()
    served = arrays["train-images-idx3-ubyte.gz"]
    assert images.shape == (len(served), 8, 8)  # fewer than 1,797 here: all of them
    for i in range(0, len(served), 37):
        np.testing.assert_allclose(images[i], _block_means(served[i]), atol=1e-6)
    assert labels.tolist() == arrays["train-labels-idx1-ubyte.gz"].tolist()
    grey, _colour = g.make_colourise({"copies": 2, "seed": 0, "source": "mnist"})
    np.testing.assert_array_equal(grey[:len(served), 0], images)
    assert len(grey) == 2 * len(served)
    assert len(server.requests) == requests  # the generator never downloads


@pytest.mark.parametrize("name", GENERATED)
def test_each_generated_dataset_is_made_from_mnist_and_seeded(mnist, cache, name):
    server, arrays = mnist
    load_dataset(config(server))
    made = [load_dataset(DatasetConfig(name=name, normalize=False,
                                       options={"source": "mnist", "seed": seed}))
            for seed in (0, 0)]
    bundled = load_dataset(DatasetConfig(name=name, normalize=False))
    a, b = made
    assert len(a.train) + len(a.val) + len(a.test) == len(arrays["train-labels-idx1-ubyte.gz"])
    for u, v in zip(a.train.xs() + a.train.ys(), b.train.xs() + b.train.ys()):
        assert torch.equal(u, v)
    assert a.input_shapes == bundled.input_shapes  # the same task, from other digits
    assert [t.shape for t in a.targets] == [t.shape for t in bundled.targets]


def test_a_damaged_cached_mnist_is_refused_naming_the_file(mnist, cache):
    server, _arrays = mnist
    load_dataset(config(server))
    damaged = cache / "mnist" / "train-images-idx3-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-10])
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte.gz"):
        load_dataset(DatasetConfig(name="find_digit", options={"source": "mnist"}))
