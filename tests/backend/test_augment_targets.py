"""Geometric augmentations move a sample's mask and box with its image (the course-task
datasets: masks by nearest neighbour, boxes transformed and clipped, a box that leaves the
image drops its sample); photometric ones touch the image only; flow targets are refused."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from netcanvas.backend.data import load_dataset
from netcanvas.backend.data.augment_geometry import Warp
from netcanvas.backend.data.tasks import make_task_dataset
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import DatasetConfig
from netcanvas.backend.training import Trainer
from netcanvas.backend.training.loop import Loop
from test_training_support import _project

GEOMETRIC = {"augment_crop_padding": 3, "augment_flip": True, "augment_resized_crop": 0.5,
             "augment_rotation": 40.0, "augment_affine": 0.15}
SIZE = 16


def seen_batches(monkeypatch) -> list:
    """Record the (inputs, targets) of every training step."""
    seen, step = [], Loop._step

    def record(self, xs, y, *a, **kw):
        seen.append(([x.clone() for x in xs], y.clone() if torch.is_tensor(y) else
                     tuple(t.clone() for t in y)))
        return step(self, xs, y, *a, **kw)

    monkeypatch.setattr(Loop, "_step", record)
    return seen


def train(dataset, head, target: str, loss: str, on_event=None, **augment):
    g = Graph()
    nodes = [g.add("input", "image", shape=(3, SIZE, SIZE)), *head(g),
             g.add("output", target, loss=loss)]
    for a, b in itertools.pairwise(nodes):
        g.connect(a, b)
    project = _project(g, epochs=1, batch_size=16, lr=0.01, seed=3)
    for key, value in augment.items():
        setattr(project.dataset, key, value)
    failed = Trainer(project, dataset, on_event=on_event).run().failed
    assert failed is None, failed


def mask_dataset(n=48):
    """Blocky class maps (0 to 3); the image's channel 1 is the mask, the others noise."""
    rng = np.random.default_rng(0)
    masks = np.kron(rng.integers(0, 4, (n, 4, 4)), np.ones((4, 4), np.int64))
    x = rng.uniform(0, 3, (n, 3, SIZE, SIZE)).astype(np.float32)
    x[:, 1] = masks
    return make_task_dataset("blocks", {"image": x}, [("mask", "mask", masks)],
                             DatasetConfig(normalize=False, val_fraction=0.0, test_fraction=0.0))


def box_dataset(n=48):
    """A bright rectangle on a dark image, its box the target (fractions)."""
    rng = np.random.default_rng(1)
    x = np.zeros((n, 3, SIZE, SIZE), np.float32)
    boxes = np.zeros((n, 4), np.float32)
    for i in range(n):
        r0, c0 = rng.integers(2, 8, 2)
        r1, c1 = r0 + rng.integers(3, 7), c0 + rng.integers(3, 7)
        x[i, :, r0:r1, c0:c1] = 1.0
        boxes[i] = (c0 / SIZE, r0 / SIZE, c1 / SIZE, r1 / SIZE)
    return make_task_dataset("rects", {"image": x}, [("box", "boxes", boxes)],
                             DatasetConfig(normalize=False, val_fraction=0.0, test_fraction=0.0))


def conv_head(g):
    return [g.add("conv2d", "c", out_channels=4, kernel_size=1)]


def linear_head(g):
    return [g.add("flatten", "f"), g.add("linear", "fc", out_features=4)]


def test_a_mask_equal_to_an_image_channel_stays_equal_after_augmentation(monkeypatch):
    seen = seen_batches(monkeypatch)
    train(mask_dataset(), conv_head, "mask", "cross_entropy", **GEOMETRIC)
    assert seen
    moved = 0
    for (x,), mask in seen:
        channel = x[:, 1]
        # where bilinear sampling read one class only, the image shows that class exactly
        clear = (channel - channel.round()).abs() < 1e-4
        assert clear.float().mean() > 0.6
        assert torch.equal(mask[clear], channel[clear].round().long())
        moved += int((x[:, 0] == 0).any())  # padding / rotation brought in the outside
    assert moved  # the geometry did move the batches


def test_a_box_still_encloses_its_drawn_rectangle_after_augmentation(monkeypatch):
    seen = seen_batches(monkeypatch)
    train(box_dataset(), linear_head, "box", "mse", **GEOMETRIC)
    assert seen
    for (x,), boxes in seen:
        assert ((boxes >= 0) & (boxes <= 1)).all()
        rows = torch.arange(SIZE).view(1, SIZE, 1) + 0.5  # pixel centres, in pixels
        cols = torch.arange(SIZE).view(1, 1, SIZE) + 0.5
        b = boxes.view(-1, 4, 1, 1) * SIZE
        tol = 1.0  # bilinear sampling spreads an edge over one pixel
        inside = ((cols[:, None] >= b[:, 0:1] - tol) & (cols[:, None] <= b[:, 2:3] + tol) &
                  (rows[:, None] >= b[:, 1:2] - tol) & (rows[:, None] <= b[:, 3:4] + tol))
        bright = x[:, :1] > 0.05
        assert not (bright & ~inside).any()
        assert bright.flatten(1).any(1).all()  # every kept sample shows its rectangle


def test_the_train_loss_weighs_each_step_by_the_samples_it_kept(monkeypatch):
    from netcanvas.backend.training.events import EpochEnded, Steps

    seen, events = seen_batches(monkeypatch), []
    train(box_dataset(96), linear_head, "box", "mse", on_event=events.append,
          augment_crop_padding=8, augment_affine=0.3)
    rows = [len(boxes) for _xs, boxes in seen]
    assert min(rows) < 16, f"no sample was dropped: {rows}"  # else the test shows nothing
    losses = [loss for e in events if isinstance(e, Steps) for loss in e.losses]
    (ended,) = [e for e in events if isinstance(e, EpochEnded)]
    per_sample = sum(loss * n for loss, n in zip(losses, rows)) / sum(rows)
    assert ended.metrics["train_loss"] == pytest.approx(per_sample, rel=1e-6)


def test_a_box_moved_out_of_the_image_drops_its_sample_and_boxes_are_clipped():
    warp = Warp(padding=4, offsets=(torch.tensor([4, 4]), torch.tensor([8, 6])))
    boxes = torch.tensor([[0.0, 0.0, 0.25, 0.5], [0.5, 0.5, 1.0, 1.0]])
    out, inside = warp.boxes(boxes, (16, 16))  # shifted 4 and 2 pixels left
    assert inside.tolist() == [False, True]
    assert torch.allclose(out[1], torch.tensor([6 / 16, 0.5, 14 / 16, 1.0]))
    flipped, _ = Warp(flip=torch.tensor([True])).boxes(boxes[:1], (16, 16))
    assert torch.allclose(flipped, torch.tensor([[0.75, 0.0, 1.0, 0.5]]))


def test_photometric_augmentations_leave_masks_alone(monkeypatch):
    seen = seen_batches(monkeypatch)
    data = mask_dataset()
    train(data, conv_head, "mask", "cross_entropy", augment_color_jitter=0.5,
          augment_blur=1.0, augment_erasing=1.0)
    masks = torch.cat([y for _, y in seen])
    assert sorted(map(tuple, masks.flatten(1).tolist())) == \
        sorted(map(tuple, data.train.ys()[0].flatten(1).tolist()))


def test_geometric_augmentation_with_flow_targets_is_refused_by_name():
    project = _project(Graph(), epochs=1)
    project.dataset = DatasetConfig(name="moving_digits", augment_rotation=10.0)
    dataset = load_dataset(project.dataset)
    g = Graph()
    nodes = [g.add("input", name, shape=dataset.sample_shape) for name in dataset.inputs]
    conv = g.add("conv2d", "c", out_channels=2, kernel_size=1)
    for node in nodes[:1]:
        g.connect(node, conv)
    out = g.add("output", dataset.targets[0].name, loss="mse")
    g.connect(conv, out)
    project.graph = g
    failed = Trainer(project, dataset).run().failed
    assert failed.kind == "data" and "but not the flow target 'flow'" in failed.message
