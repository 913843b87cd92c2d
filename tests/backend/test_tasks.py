"""Datasets declared once, typed targets matched to Output nodes by name, the generated
course datasets, and each task metric against an independent plain-numpy function."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from netcanvas.backend.catalogue import DATASETS, TARGET_KINDS, TARGET_METRICS, sample_shape
from netcanvas.backend.data import DatasetError, DatasetMismatchError, load_dataset
from netcanvas.backend.data.matching import match
from netcanvas.backend.data.preview import pipeline_rate
from netcanvas.backend.data.types import TargetInfo
from netcanvas.backend.project import DatasetConfig
from netcanvas.backend.settings import DATASET, DATASET_OPTIONS, validate_options
from netcanvas.backend.training import task_metrics as tm

GENERATED = ("digit_masks", "find_digit", "moving_digits", "colourise", "denoise")


# ---- one declaration per dataset -----------------------------------------------------
@pytest.mark.parametrize("name", list(DATASETS))
def test_every_declared_dataset_is_complete(name):
    """What the settings, the Data tab, the loader table and lint read comes from one entry."""
    import importlib

    spec = DATASETS[name]
    assert spec.title and spec.doc and spec.kind in ("builtin", "download", "user")
    assert name in DATASET[0].choices and DATASET_OPTIONS[name] == spec.options
    defaults = {p.name: p.default for p in spec.options if p.default is not None}
    assert validate_options(name, defaults) == defaults
    module, function = spec.loader.split(":")
    assert callable(getattr(importlib.import_module(f"netcanvas.backend.data.{module}"),
                            function))
    assert all(t.kind in TARGET_KINDS for t in spec.targets)
    assert spec.inputs and len(set(spec.inputs)) == len(spec.inputs)
    if spec.kind != "user":
        assert spec.shape(defaults) is not None, "a built-in's shape is known without loading"


@pytest.mark.parametrize("name", [n for n, s in DATASETS.items() if s.kind == "builtin"])
def test_every_builtin_loads_as_declared(name):
    spec = DATASETS[name]
    options = {"n_samples": 60} if any(p.name == "n_samples" for p in spec.options) else {}
    ds = load_dataset(DatasetConfig(name=name, options=options))
    assert ds.inputs == list(spec.inputs) or spec.inputs == ("x",)
    assert [(t.name, t.kind) for t in ds.targets] == [(t.name, t.kind) for t in spec.targets]
    declared = spec.shape({p.name: p.default for p in spec.options} | options)
    assert tuple(tuple(x.shape[1:]) for x in ds.train.xs()) == declared
    assert tuple(ds.input_shapes) == declared
    assert sample_shape(name, options) == declared[0]
    assert pipeline_rate(ds, batches=1) > 0  # the Data tab's preview batches every input
    for t, y in zip(ds.targets, ds.train.ys()):
        assert tuple(y.shape[1:]) == t.shape
        assert (y.dtype == torch.int64) == (t.kind in ("class", "mask"))


@pytest.mark.parametrize("name", GENERATED)
def test_generated_data_is_seeded(name):
    a = load_dataset(DatasetConfig(name=name, normalize=False))
    b = load_dataset(DatasetConfig(name=name, normalize=False))
    c = load_dataset(DatasetConfig(name=name, normalize=False, options={"seed": 1}))
    for u, v in zip(a.train.xs() + a.train.ys(), b.train.xs() + b.train.ys()):
        assert torch.equal(u, v)
    assert not torch.equal(a.train.xs()[0], c.train.xs()[0])
    assert len(a.train) + len(a.val) + len(a.test) == 1797


def test_generated_targets_describe_their_images():
    from netcanvas.backend.data import generated as g

    x, masks, labels = g.make_digit_masks({"canvas": 16, "copies": 1, "clutter": 6,
                                           "digit_classes": True, "seed": 0})
    assert set(np.unique(masks)) <= set(range(11))
    assert np.all(x[:, 0][masks > 0] >= g.MASK_LEVEL)  # masked pixels are bright digit pixels
    assert np.all(masks.max(axis=(1, 2)) == labels + 1)
    x, labels, boxes = g.make_find_digit({"canvas": 16, "copies": 1, "max_scale": 1.5,
                                          "seed": 0})
    side = 16
    for img, box in zip(x[:50, 0], boxes[:50]):
        x0, y0, x1, y1 = np.round(box * side).astype(int)
        inside = np.zeros_like(img, bool)
        inside[y0:y1, x0:x1] = True
        assert np.all(img[~inside] < g.MASK_LEVEL) and img[inside].max() >= g.MASK_LEVEL
    f1, f2, flow = g.make_moving_digits({"canvas": 12, "copies": 1, "max_shift": 1.5,
                                         "rotation": 0.0, "seed": 0})
    shift = flow[:, :, 0, 0]  # a pure shift moves every pixel alike
    assert np.allclose(flow, shift[:, :, None, None]) and np.abs(shift).max() <= 1.5
    i = int(np.argmax(np.abs(shift).sum(1)))  # frame2 = frame1 moved by the flow
    dx, dy = np.round(shift[i]).astype(int)
    if abs(shift[i] - (dx, dy)).max() < 0.05:
        moved = np.roll(np.roll(f1[i, 0], dy, 0), dx, 1)
        assert np.allclose(moved[3:-3, 3:-3], f2[i, 0, 3:-3, 3:-3], atol=1e-5)
    _, _, turned = g.make_moving_digits({"canvas": 12, "copies": 1, "max_shift": 0.0,
                                         "rotation": 10.0, "seed": 0})
    assert np.abs(turned[:, :, 6, 6]).max() < np.abs(turned[:, :, 0, 0]).max()


# ---- Output nodes matched to targets by name --------------------------------------------
class _Loss:
    def __init__(self, output, loss):
        self.output, self.loss = output, loss


class _Model:
    def __init__(self, inputs, outputs):
        self.input_names = [n for n, _ in inputs]
        self.input_shapes = [s for _, s in inputs]
        self.output_names = [n for n, _, _ in outputs]
        self.output_shapes = [s for _, s, _ in outputs]
        self.losses = [_Loss(n, loss) for n, _, loss in outputs]


@pytest.fixture(scope="module")
def masks():
    return load_dataset(DatasetConfig(name="digit_masks", options={"clutter": 0}))


def test_outputs_match_targets_by_name(masks):
    plan = match(masks, _Model([("image", (1, 16, 16))],
                               [("digit", (10,), "cross_entropy"),
                                ("mask", (2, 16, 16), "cross_entropy"),
                                ("extra", (5,), "none")]))
    assert plan.inputs == (0,) and plan.targets == (1, 0, None)
    plan = match(masks, _Model([("image", (1, 16, 16))], [("mask", (1, 16, 16),
                                                          "bce_with_logits")]))
    assert plan.targets == (0,)


@pytest.mark.parametrize("outputs,message", [
    ([("mask", (1, 16, 16), "cross_entropy")],
     ("Output 'mask' gives (N, 1, 16, 16); the dataset's mask target is (N, 16, 16) classes "
      "0–1: cross_entropy needs one score per class: (N, 2, 16, 16)")),
    ([("logits", (10,), "cross_entropy")],
     ("Output 'logits': the dataset has no target of that name; its targets: mask (mask "
      "target (N, 16, 16) classes 0–1); digit (class target (N) classes 0–9). Rename the "
      "Output or set its loss to none")),
    ([("mask", (2, 16, 16), "mse")], "Output 'mask' uses mse, a loss for numbers"),
    ([("mask", (2, 16, 16), "none")], "no Output node has a loss"),
])
def test_a_mismatch_is_one_line_naming_the_output(masks, outputs, message):
    with pytest.raises(DatasetMismatchError) as info:
        match(masks, _Model([("image", (1, 16, 16))], outputs))
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_inputs_match_by_name():
    flow = load_dataset(DatasetConfig(name="moving_digits"))
    outputs = [("flow", (2, 12, 12), "mse")]
    plan = match(flow, _Model([("frame2", (1, 12, 12)), ("frame1", (1, 12, 12))], outputs))
    assert plan.inputs == (1, 0)
    with pytest.raises(DatasetMismatchError, match="Input 'a': the dataset has no input of "
                       r"that name; it gives frame1 \(N, 1, 12, 12\), frame2"):
        match(flow, _Model([("a", (1, 12, 12)), ("frame2", (1, 12, 12))], outputs))
    with pytest.raises(DatasetMismatchError, match=r"Output 'flow' gives \(N, 1, 12, 12\); the "
                       r"dataset's flow target is \(N, 2, 12, 12\)"):
        match(flow, _Model([("frame1", (1, 12, 12)), ("frame2", (1, 12, 12))],
                           [("flow", (1, 12, 12), "mse")]))


# ---- metrics against plain numpy -------------------------------------------------------
def np_confusion(true, pred, k):
    m = np.zeros((k, k), np.int64)
    for t, p in zip(true.ravel(), pred.ravel()):
        m[t, p] += 1
    return m


def np_mean_iou(true, pred, k):
    ious = []
    for c in range(k):
        inter = np.sum((true == c) & (pred == c))
        union = np.sum((true == c) | (pred == c))
        if union:
            ious.append(inter / union)
    return float(np.mean(ious))


def np_box_iou(a, b):
    out = []
    for p, t in zip(a, b):
        w = max(0.0, min(p[2], t[2]) - max(p[0], t[0]))
        h = max(0.0, min(p[3], t[3]) - max(p[1], t[1]))
        area = lambda r: max(0.0, r[2] - r[0]) * max(0.0, r[3] - r[1])
        union = area(p) + area(t) - w * h
        out.append(w * h / union if union > 0 else 0.0)
    return float(np.mean(out))


def np_epe(pred, true):
    return float(np.mean(np.sqrt(((pred - true) ** 2).sum(axis=1))))


def np_psnr(pred, true):
    mse = ((pred - true) ** 2).reshape(len(pred), -1).mean(axis=1)
    return float(np.mean(10 * np.log10(1.0 / mse)))


def _scored(kind, outs, ys, classes=None, shape=()):
    metrics = tm.TaskMetrics(["out"], [TargetInfo("out", kind, shape, classes)], "cpu")
    half = len(ys) // 2  # two batches: the sums must accumulate
    metrics.add([outs[:half]], [ys[:half]])
    metrics.add([outs[half:]], [ys[half:]])
    return metrics.result()


def test_mask_metrics_match_numpy():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(6, 3, 5, 7)).astype(np.float32)
    true = rng.integers(0, 3, (6, 5, 7))
    got = _scored("mask", torch.from_numpy(scores), torch.from_numpy(true), 3)
    pred = scores.argmax(1)
    assert got["pixel_accuracy"] == pytest.approx(np.mean(pred == true))
    assert got["mean_iou"] == pytest.approx(np_mean_iou(true, pred, 3))
    conf = np_confusion(true, pred, 3)
    assert conf.trace() / conf.sum() == pytest.approx(got["pixel_accuracy"])
    # one score channel: a binary (BCE) mask, positive logits are class 1
    logit = rng.normal(size=(4, 1, 5, 5)).astype(np.float32)
    binary = rng.integers(0, 2, (4, 5, 5))
    got = _scored("mask", torch.from_numpy(logit), torch.from_numpy(binary), 2)
    assert got["mean_iou"] == pytest.approx(np_mean_iou(binary, (logit[:, 0] > 0) * 1, 2))


def test_box_iou_epe_psnr_accuracy_match_numpy():
    rng = np.random.default_rng(1)
    true = np.sort(rng.uniform(0, 1, (8, 2, 2)), axis=1).transpose(0, 2, 1).reshape(8, 4)
    true = true[:, [0, 2, 1, 3]]  # (x0, y0, x1, y1)
    pred = np.clip(true + rng.normal(0, 0.15, true.shape), 0, 1).astype(np.float32)
    pred[0] = (0.9, 0.9, 0.1, 0.1)  # inverted: empty
    got = _scored("boxes", torch.from_numpy(pred), torch.from_numpy(true.astype(np.float32)),
                  shape=(4,))
    assert got["box_iou"] == pytest.approx(np_box_iou(pred, true), abs=1e-6)
    flow_true = rng.normal(size=(5, 2, 4, 6)).astype(np.float32)
    flow_pred = rng.normal(size=(5, 2, 4, 6)).astype(np.float32)
    got = _scored("flow", torch.from_numpy(flow_pred), torch.from_numpy(flow_true),
                  shape=(2, 4, 6))
    assert got["epe"] == pytest.approx(np_epe(flow_pred, flow_true), rel=1e-6)
    img_true = rng.uniform(0, 1, (6, 3, 8, 8)).astype(np.float32)
    img_pred = np.clip(img_true + rng.normal(0, 0.1, img_true.shape), 0, 1).astype(np.float32)
    got = _scored("image", torch.from_numpy(img_pred), torch.from_numpy(img_true),
                  shape=(3, 8, 8))
    assert got["psnr"] == pytest.approx(np_psnr(img_pred, img_true), rel=1e-5)
    scores = rng.normal(size=(10, 4)).astype(np.float32)
    labels = rng.integers(0, 4, 10)
    got = _scored("class", torch.from_numpy(scores), torch.from_numpy(labels), 4)
    assert got["accuracy"] == pytest.approx(np.mean(scores.argmax(1) == labels))


def test_every_kind_has_its_metrics():
    assert set(TARGET_METRICS) == set(TARGET_KINDS)
    for kind, names in TARGET_METRICS.items():
        shape = {"mask": (3, 3), "boxes": (4,), "flow": (2, 3, 3), "image": (1, 3, 3),
                 "vector": (2,)}.get(kind, ())
        classes = 2 if kind in ("class", "mask") else None
        out = torch.rand(4, *((2,) if kind == "class" else (2, 3, 3) if kind == "mask"
                              else shape))
        y = (torch.randint(0, 2, (4, *shape)) if classes else torch.rand(4, *shape))
        if kind == "boxes":
            y = torch.tensor([[0.1, 0.1, 0.5, 0.5]] * 4)
        got = _scored(kind, out, y, classes, shape)
        assert set(names) <= set(got), kind


def test_a_bad_target_is_refused_naming_it():
    from netcanvas.backend.data.tasks import make_task_dataset

    x = np.zeros((10, 1, 4, 4), np.float32)
    with pytest.raises(DatasetError, match=r"data: target 'mask' \(mask\) is 5x4 but the "
                       "images are 4x4"):
        make_task_dataset("data", {"x": x}, [("mask", "mask", np.zeros((10, 5, 4)))],
                          DatasetConfig())
    boxes = np.tile([0.1, 0.1, 0.5, 0.5], (10, 1))
    boxes[3] = (0.2, 0.2, 1.4, 0.5)
    with pytest.raises(DatasetError, match=r"target 'box' \(boxes\): sample 3's box"):
        make_task_dataset("data", {"x": x}, [("box", "boxes", boxes)], DatasetConfig())
