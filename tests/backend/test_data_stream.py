"""Streamed image folders: index reuse, worker decoding, the decoded cache, corrupt files,
the resize policy, and a folder larger than a memory budget training batch by batch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from netcanvas.backend.data import load_dataset
from netcanvas.backend.data.images import EXTENSIONS
from netcanvas.backend.data.stream import StreamSplit, build_index
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import DatasetConfig
from netcanvas.backend.training import Trainer
from PIL import Image
from test_training_support import _project


@pytest.fixture(autouse=True)
def cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("NETCANVAS_DATA_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def make_folder(root, per_class=20, size=8, classes=2):
    """Class k's images are bright in channel k: learnable in a few steps."""
    rng = np.random.default_rng(0)
    for k in range(classes):
        (root / f"c{k}").mkdir(parents=True)
        for i in range(per_class):
            a = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
            a[..., k % 3] += 190
            Image.fromarray(a).save(root / f"c{k}" / f"{i:04d}.png")
    return root


def config(root, normalize=True, val_fraction=0.1, test_fraction=0.2, **options):
    return DatasetConfig(name="folder", path=str(root), normalize=normalize,
                         val_fraction=val_fraction, test_fraction=test_fraction,
                         options={"stream": True, **options})


def cnn_project(shape, classes=2, **training):
    g = Graph()
    nodes = [g.add("input", "x", shape=shape), g.add("flatten", "flat"),
             g.add("linear", "fc", out_features=classes), g.add("output", "out",
                                                                loss="cross_entropy")]
    for a, b in itertools.pairwise(nodes):
        g.connect(a, b)
    return _project(g, **{"lr": 0.05, "epochs": 2, "batch_size": 8, **training})


def test_index_is_built_once_and_rebuilt_when_a_class_folder_changes(tmp_path):
    root = make_folder(tmp_path / "data", per_class=3)
    seen = []
    first = build_index(root, EXTENSIONS, lambda done, total, msg: seen.append((done, total)))
    assert not first.reused and seen == [(1, 2), (2, 2)] and len(first.files) == 6
    again = build_index(root, EXTENSIONS, lambda *a: seen.append(a))
    assert again.reused and again.files == first.files and len(seen) == 2  # nothing listed
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "c1" / "new.png")
    changed = build_index(root, EXTENSIONS)
    assert not changed.reused and len(changed.files) == 7


def test_streamed_splits_hold_no_images_and_match_the_in_memory_loader(tmp_path):
    root = make_folder(tmp_path / "data", per_class=10)
    d = load_dataset(config(root, workers=0))
    assert isinstance(d.train, StreamSplit) and d.sample_shape == (3, 8, 8)
    memory = load_dataset(DatasetConfig(name="folder", path=str(root), normalize=False))
    raw = load_dataset(config(root, workers=0, normalize=False))
    split = raw.test.device_split(None, torch.device("cpu"))
    (x,), y = next(split.slices(100))
    assert torch.equal(y, memory.test.y) and torch.allclose(x, memory.test.x)
    assert torch.equal(raw.test.x, x)  # decoded on demand, for the views after training


@pytest.mark.parametrize("mode,expect", [("L", (1, 6, 5)), ("RGBA", (3, 6, 5)),
                                         ("P", (3, 6, 5))])
def test_resize_policy_for_grey_rgba_palette_and_odd_sizes(tmp_path, mode, expect):
    root = tmp_path / "data"
    for k, (h, w) in enumerate([(6, 5), (9, 13)]):
        (root / f"c{k}").mkdir(parents=True)
        for i in range(3):
            Image.new(mode, (w, h), 7 * i + k).save(root / f"c{k}" / f"{i}.png")
    d = load_dataset(config(root, workers=0, normalize=False))
    assert d.sample_shape == expect  # the first image's size and kind
    (x,), _ = next(d.train.device_split(None, torch.device("cpu")).slices(100))
    assert tuple(x.shape[1:]) == expect
    forced = load_dataset(config(root, workers=0, size=[4, 4], channels=1))
    assert forced.sample_shape == (1, 4, 4)


def test_a_corrupt_file_is_skipped_and_reported_once_with_its_path(tmp_path):
    root = make_folder(tmp_path / "data", per_class=12)
    bad = root / "c0" / "0003.png"
    bad.write_bytes(b"not a png")
    d = load_dataset(config(root, workers=0, test_fraction=0.0, val_fraction=0.0))
    reports = []
    d.train.report = reports.append
    Trainer(cnn_project((3, 8, 8), epochs=3), d).run()
    assert reports == [f"skipped {bad}: not a readable image"]


def test_decoded_cache_serves_later_epochs_without_decoding(tmp_path, monkeypatch):
    root = make_folder(tmp_path / "data", per_class=6)
    d = load_dataset(config(root, workers=0, cache=True, normalize=False))
    split = d.train.device_split(None, torch.device("cpu"))
    (first,), _ = next(split.slices(100))
    from netcanvas.backend.data import images
    monkeypatch.setattr(images, "read_image", lambda *a: pytest.fail("decoded again"))
    again = load_dataset(config(root, workers=0, cache=True, normalize=False))
    (second,), _ = next(again.train.device_split(None, torch.device("cpu")).slices(100))
    assert torch.equal(first, second)


@pytest.mark.slow
def test_worker_processes_decode_and_training_learns(tmp_path):
    root = make_folder(tmp_path / "data", per_class=24)
    d = load_dataset(config(root, workers=2))
    result = Trainer(cnn_project((3, 8, 8), epochs=4), d).run()
    assert result.test_metrics["accuracy"] > 0.9


def test_a_folder_larger_than_the_memory_budget_trains_batch_by_batch(tmp_path):
    """Counted budget: the decoded folder is 4x the budget; no batch held comes near it."""
    root = make_folder(tmp_path / "data", per_class=64, size=16)
    budget = 2 * 64 * 3 * 16 * 16 // 4  # bytes of uint8 pixels allowed in memory at once
    d = load_dataset(config(root, workers=0, val_fraction=0.0, test_fraction=0.0))
    assert len(d.train) * 3 * 16 * 16 > 3 * budget
    trainer = Trainer(cnn_project((3, 16, 16), epochs=1, batch_size=8), d)
    trainer.run()
    assert 0 < trainer._loop.train.peak_batch_bytes <= 8 * 3 * 16 * 16 < budget
    assert d.train._x is None  # training never asked for the whole split


@pytest.mark.parametrize("ext", ["jpg", "png"])
def test_a_large_image_shrunk_by_draft_and_reduce_stays_close_to_a_plain_resize(tmp_path, ext):
    from netcanvas.backend.data.images import read_image

    rows, cols = np.mgrid[0:240, 0:320]
    a = np.stack([cols * 255 // 320, rows * 255 // 240, (rows + cols) * 255 // 560], 2)
    Image.fromarray(a.astype(np.uint8)).save(tmp_path / f"big.{ext}")
    fast = read_image(tmp_path / f"big.{ext}", "RGB", (24, 32)).astype(int)
    with Image.open(tmp_path / f"big.{ext}") as img:
        plain = np.asarray(img.convert("RGB").resize((32, 24), Image.Resampling.BILINEAR),
                           dtype=int)
    assert fast.shape == plain.shape == (24, 32, 3)
    assert np.abs(fast - plain).max() <= 8 and np.abs(fast - plain).mean() < 1.0


def test_normalisation_statistics_are_kept_and_a_later_start_decodes_nothing(tmp_path,
                                                                             monkeypatch):
    root = make_folder(tmp_path / "data", per_class=6)
    first = load_dataset(config(root, workers=0))
    from netcanvas.backend.data import images
    monkeypatch.setattr(images, "read_image", lambda *a: pytest.fail("decoded at start"))
    again = load_dataset(config(root, workers=0))
    assert torch.equal(first.mean, again.mean) and torch.equal(first.std, again.std)


def test_the_preview_rate_is_timed_from_the_first_batch_leaving_the_worker_start_out(
        tmp_path, monkeypatch):
    from netcanvas.backend.data import preview

    root = make_folder(tmp_path / "data", per_class=20)
    d = load_dataset(config(root, workers=0, val_fraction=0.0, test_fraction=0.0))
    clock = iter([0.0, 50.0, 52.0])  # asked, first batch in (workers started), last batch in
    monkeypatch.setattr(preview.time, "perf_counter", lambda: next(clock))
    assert preview.pipeline_rate(d, batch_size=8, batches=5) == (40 - 8) / 2
