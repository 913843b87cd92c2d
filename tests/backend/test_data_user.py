"""The user's own data: image folders, CSV and NPZ files, and their error messages."""

import numpy as np
import pytest
import torch
from netcanvas.backend.data import DatasetError, load_dataset
from netcanvas.backend.project import DatasetConfig
from PIL import Image


def save(path, array, mode=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode).save(path)


def test_image_folder_rgb_one_class_per_subfolder(tmp_path):
    rng = np.random.default_rng(0)
    for cls in ("cat", "dog"):
        for i in range(5):
            save(tmp_path / cls / f"{i}.png", rng.integers(0, 256, (6, 4, 3), dtype=np.uint8))
    save(tmp_path / "dog" / "big.jpg", rng.integers(0, 256, (12, 8, 3), dtype=np.uint8))
    (tmp_path / "notes.txt").write_text("ignored")
    d = load_dataset(DatasetConfig(name="folder", path=str(tmp_path), normalize=False,
                                   val_fraction=0.0, test_fraction=0.0))
    assert d.class_names == ["cat", "dog"] and d.num_classes == 2
    assert d.sample_shape == (3, 6, 4)  # resized to the first image's size
    assert len(d.train) == 11 and d.train.y.bincount().tolist() == [5, 6]
    assert 0 <= d.train.x.min() and d.train.x.max() <= 1
    first = np.asarray(Image.open(tmp_path / "cat" / "0.png"), dtype=np.float32) / 255
    assert any(torch.allclose(x, torch.from_numpy(first).permute(2, 0, 1)) for x in d.train.x)


def test_image_folder_grey_and_size_options(tmp_path):
    for cls in ("a", "b"):
        for i in range(3):
            save(tmp_path / cls / f"{i}.png", np.full((10, 10), 40 * i, np.uint8), "L")
    d = load_dataset(DatasetConfig(name="folder", path=str(tmp_path), options={"size": [5, 7]}))
    assert d.sample_shape == (1, 5, 7) and d.mean.shape == (1,)
    rgb = load_dataset(DatasetConfig(name="folder", path=str(tmp_path),
                                     options={"channels": 3, "size": 4}))
    assert rgb.sample_shape == (3, 4, 4) and rgb.mean.shape == (3,)


def test_image_folder_errors(tmp_path):
    cfg = DatasetConfig(name="folder", path=str(tmp_path))
    with pytest.raises(DatasetError, match="one subfolder of images per class.*found 0"):
        load_dataset(cfg)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="class folder .*empty holds no images"):
        load_dataset(cfg)
    (tmp_path / "empty").rmdir()
    save(tmp_path / "a" / "0.png", np.zeros((4, 4), np.uint8), "L")
    save(tmp_path / "b" / "0.png", np.zeros((4, 4), np.uint8), "L")
    (tmp_path / "b" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DatasetError, match="cannot read image .*b/broken.png"):
        load_dataset(cfg)
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(DatasetConfig(name="folder", path=str(tmp_path / "missing")))
    with pytest.raises(DatasetError, match="choose a folder"):
        load_dataset(DatasetConfig(name="folder"))


def write_csv(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n")
    return str(path)


def test_csv_string_target_is_classification(tmp_path):
    rows = [(i, i * 2.5, "yes" if i % 3 else "no") for i in range(30)]
    d = load_dataset(DatasetConfig(name="csv", path=write_csv(tmp_path / "t.csv",
                                                              ["a", "b", "target"], rows)))
    assert d.task == "classification" and d.class_names == ["no", "yes"]
    assert d.sample_shape == (2,) and d.extra["feature_names"] == ["a", "b"]
    assert len(d.train) + len(d.val) + len(d.test) == 30


def test_csv_integer_and_float_targets(tmp_path):
    ints = write_csv(tmp_path / "i.csv", ["x", "label"], [(i, i % 4) for i in range(40)])
    d = load_dataset(DatasetConfig(name="csv", path=ints, options={"target": "label"}))
    assert d.task == "classification" and d.class_names == ["0", "1", "2", "3"]
    floats = write_csv(tmp_path / "f.csv", ["x", "y", "price"],
                       [(i, -i, i * 1.37) for i in range(40)])
    r = load_dataset(DatasetConfig(name="csv", path=floats))  # last column when no 'target'
    assert r.task == "regression" and r.target_shape == (1,) and r.train.y.dtype == torch.float32
    forced = load_dataset(DatasetConfig(name="csv", path=ints,
                                        options={"target": "label", "task": "regression"}))
    assert forced.task == "regression"


def test_csv_errors(tmp_path):
    path = write_csv(tmp_path / "e.csv", ["a", "b", "target"], [(1, 2, 0), (3, 4, 1)])
    with pytest.raises(DatasetError, match="no column 'label'; columns: a, b, target"):
        load_dataset(DatasetConfig(name="csv", path=path, options={"target": "label"}))
    bad = write_csv(tmp_path / "b.csv", ["a", "target"], [(1, 0), ("x", 1)])
    with pytest.raises(DatasetError, match="line 3: column 'a' is not a number: 'x'"):
        load_dataset(DatasetConfig(name="csv", path=bad))
    with pytest.raises(DatasetError, match="task must be one of"):
        load_dataset(DatasetConfig(name="csv", path=path, options={"task": "guess"}))


def test_npz_vectors_and_images(tmp_path):
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "v.npz", X=rng.normal(size=(50, 3)), y=rng.integers(0, 3, 50))
    d = load_dataset(DatasetConfig(name="npz", path=str(tmp_path / "v.npz")))
    assert d.sample_shape == (3,) and d.num_classes == 3 and d.task == "classification"
    np.savez(tmp_path / "i.npz", X=rng.integers(0, 255, (40, 5, 5)), y=rng.normal(size=40))
    r = load_dataset(DatasetConfig(name="npz", path=str(tmp_path / "i.npz")))
    assert r.sample_shape == (1, 5, 5) and r.task == "regression" and r.target_shape == (1,)


def test_npz_missing_array_names_those_present(tmp_path):
    np.savez(tmp_path / "m.npz", features=np.zeros((4, 2)), y=np.zeros(4))
    with pytest.raises(DatasetError, match="no array 'X'; arrays: features, y"):
        load_dataset(DatasetConfig(name="npz", path=str(tmp_path / "m.npz")))
    np.savez(tmp_path / "n.npz", X=np.zeros((4, 2)), y=np.array([0.5, 1.5, 2.7]))
    with pytest.raises(DatasetError, match="4 samples but 3 targets"):
        load_dataset(DatasetConfig(name="npz", path=str(tmp_path / "n.npz")))
