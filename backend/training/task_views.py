"""Pictures of typed targets and predictions, as uint8 RGB arrays (no Qt): the Data tab's
preview (each sample with its target drawn on it) and the evaluation view (prediction beside
truth, worst sample first).

mask: the input with the mask tinted over it; boxes: the input with the true box (green) and
the predicted one (red); flow: frame 1 beside the flow as colour (hue = direction, strength =
length); image: input, output, target side by side.
"""

from __future__ import annotations

import colorsys
import math

import numpy as np
import torch
from netcanvas.backend.training import task_metrics as tm
from netcanvas.backend.training.task_samples import TaskSamples

SIDE = 64  # pixels a panel is scaled up to (nearest), so boxes and masks stay crisp
TRUE, PREDICTED = np.array([60, 200, 90]), np.array([235, 70, 60])
GAP = 3


def _raw(x: torch.Tensor, dataset) -> np.ndarray:
    """Samples (N, C, H, W) back to 0..1 (the training statistics undone), as numpy."""
    if dataset.mean is not None and x.shape[1] == dataset.mean.numel():
        x = x * dataset.std.reshape(1, -1, 1, 1) + dataset.mean.reshape(1, -1, 1, 1)
    scale = dataset.extra.get("input_scale", 1.0)
    x = x.numpy()
    if x.max(initial=0) > 1.5 and scale == 1.0:
        x = x / max(float(x.max()), 1e-9)
    return np.clip(x, 0, 1)


def _rgb(image: np.ndarray) -> np.ndarray:
    """(C, H, W) 0..1 -> (S, S', 3) uint8, scaled up by a whole factor."""
    rgb = np.repeat(image, 3, 0) if image.shape[0] == 1 else image[:3]
    k = max(1, SIDE // max(rgb.shape[1:]))
    rgb = rgb.transpose(1, 2, 0).repeat(k, 0).repeat(k, 1)
    return (rgb * 255).astype(np.uint8)


def _scale(image: np.ndarray, like: np.ndarray) -> int:
    return like.shape[0] // image.shape[-2]


def _tint(rgb: np.ndarray, mask: np.ndarray, colour: np.ndarray) -> np.ndarray:
    k = rgb.shape[0] // mask.shape[0]
    m = mask.repeat(k, 0).repeat(k, 1) > 0
    out = rgb.astype(np.float32)
    out[m] = 0.45 * out[m] + 0.55 * colour
    return out.astype(np.uint8)


def _box(rgb: np.ndarray, box, colour: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = (np.clip(np.asarray(box, np.float64), 0, 1) * [w, h, w, h]).round().astype(int)
    x1, y1 = max(x1 - 1, x0), max(y1 - 1, y0)
    out = rgb.copy()
    out[y0, x0:x1 + 1] = out[y1, x0:x1 + 1] = colour
    out[y0:y1 + 1, x0] = out[y0:y1 + 1, x1] = colour
    return out


def flow_colour(flow: np.ndarray, most: float | None = None) -> np.ndarray:
    """(2, H, W) -> (H, W, 3) 0..1: hue the direction, saturation the length (of `most`)."""
    dx, dy = flow
    length = np.hypot(dx, dy)
    most = most or max(float(length.max()), 1e-9)
    hue = (np.arctan2(dy, dx) / (2 * np.pi)) % 1.0
    sat = np.clip(length / most, 0, 1)
    rgb = np.vectorize(colorsys.hsv_to_rgb)(hue, sat, np.ones_like(hue))
    return np.stack(rgb, -1)


def _side_by_side(panels: list[np.ndarray]) -> np.ndarray:
    h = max(p.shape[0] for p in panels)
    gap = np.full((h, GAP, 3), 128, np.uint8)
    parts = []
    for p in panels:
        parts += [p, gap]
    return np.concatenate(parts[:-1], axis=1)


def _image_panel(t: np.ndarray) -> np.ndarray:
    return _rgb(np.clip(t, 0, 1))


def draw(kind: str, image: np.ndarray, truth, predicted=None) -> np.ndarray:
    """One sample's picture: `image` (C, H, W) 0..1 with its target (and prediction) drawn."""
    base = _rgb(image)
    if kind == "mask":
        panels = [_tint(base, truth, TRUE)]
        if predicted is not None:
            panels = [_tint(base, predicted, PREDICTED), *panels]
        return _side_by_side(panels)
    if kind == "boxes":
        out = _box(base, truth, TRUE)
        return out if predicted is None else _box(out, predicted, PREDICTED)
    if kind == "flow":
        most = max(float(np.hypot(*truth).max()), 1e-9)
        panels = [base, _rgb(flow_colour(truth, most).transpose(2, 0, 1))]
        if predicted is not None:
            panels.insert(1, _rgb(flow_colour(predicted, most).transpose(2, 0, 1)))
        return _side_by_side(panels)
    if kind == "image":
        panels = [base, _image_panel(truth)]
        if predicted is not None:
            panels.insert(1, _image_panel(predicted))
        return _side_by_side(panels)
    return base


def pictured(dataset) -> int | None:
    """The index of the first target that has a picture (mask, boxes, flow, image)."""
    return next((i for i, t in enumerate(dataset.targets)
                 if t.kind in ("mask", "boxes", "flow", "image")), None)


def preview(dataset, count: int) -> tuple[list[np.ndarray], list[str]] | None:
    """The first `count` training samples with their targets drawn; None when the dataset has
    no pictured target."""
    index = pictured(dataset)
    if index is None or len(dataset.sample_shape) != 3:
        return None
    target = dataset.targets[index]
    split = dataset.train
    x = _raw(split.xs()[0][:count], dataset)
    ys = [y[:count].numpy() for y in split.ys()]
    labels = next((y for t, y in zip(dataset.targets, ys) if t.kind == "class"), None)
    images = [draw(target.kind, x[i], ys[index][i]) for i in range(len(x))]
    names = dataset.class_names
    captions = [target.name if labels is None else names[labels[i]] if names
                else str(labels[i]) for i in range(len(x))]
    return images, captions


def _per_sample(kind: str, pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """The per-sample score the view sorts by (worst first)."""
    if kind == "mask":
        p, t = tm.predicted_mask(pred), true
        inter = ((p > 0) & (t > 0)).flatten(1).sum(1).double()
        union = ((p > 0) | (t > 0)).flatten(1).sum(1).double()
        return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))
    if kind == "boxes":
        return tm.box_iou(pred, true)
    if kind == "flow":
        return -tm.end_point_error(pred, true).flatten(1).mean(1)
    return tm.psnr(pred, true)


def evaluation(model, dataset, count: int = 24) -> TaskSamples | None:
    """The test split's worst `count` samples, prediction beside truth; None for a dataset
    whose targets have no picture."""
    from netcanvas.backend.data.matching import match, ordered_split
    from netcanvas.backend.runtime.predict import predict

    index = pictured(dataset)
    if index is None or len(dataset.sample_shape) != 3 or not len(dataset.test):
        return None
    plan = match(dataset, model)
    if index not in plan.targets:
        return None
    out_index = plan.targets.index(index)
    split = ordered_split(dataset.test, plan)
    outs = predict(model, split.x, "cpu")
    outs = outs if isinstance(outs, tuple) else (outs,)
    target = dataset.targets[index]
    pred, true = outs[out_index].float(), dataset.test.ys()[index]
    pred = pred.reshape(true.shape) if target.kind != "mask" else pred
    score = _per_sample(target.kind, pred, true)
    order = torch.argsort(score)[:count].tolist()
    x = _raw(dataset.test.xs()[0][order], dataset)
    shown_pred = (tm.predicted_mask(pred) if target.kind == "mask" else pred)[order].numpy()
    shown_true = true[order].numpy()
    unit = {"mask": "IoU", "boxes": "IoU", "flow": "EPE", "image": "PSNR"}[target.kind]
    captions = []
    class_index = next((i for i, t in enumerate(dataset.targets) if t.kind == "class"), None)
    for k, i in enumerate(order):
        value = float(-score[i]) if target.kind == "flow" else float(score[i])
        text = f"{unit} {value:.2f}" + (" dB" if unit == "PSNR" else "")
        if class_index is not None and class_index in plan.targets:
            guess = outs[plan.targets.index(class_index)][i].argmax().item()
            truth = int(dataset.test.ys()[class_index][i])
            text += f"\n{truth} → {guess}"
        captions.append(text)
    images = [draw(target.kind, x[k], shown_true[k], shown_pred[k]) for k in range(len(order))]
    return TaskSamples(images, captions, _note(target, pred, true, score))


def _note(target, pred, true, score) -> str:
    if target.kind == "mask":
        k = target.classes
        cells = torch.bincount(true.reshape(-1) * k + tm.predicted_mask(pred).reshape(-1),
                               minlength=k * k)[:k * k].view(k, k)
        acc, miou, per_class = tm.mask_scores(cells)
        table = " · ".join(f"class {c}: {v:.3f}" for c, v in enumerate(per_class)
                           if not math.isnan(v))
        return (f"Pixel accuracy {acc:.2%}, mean IoU {miou:.3f}. IoU per class: {table}. "
                "Red: predicted, green: true; worst samples first.")
    if target.kind == "boxes":
        return (f"Mean box IoU {float(score.mean()):.3f}. Green: true box, red: predicted; "
                "worst first.")
    if target.kind == "flow":
        return (f"End-point error {float(-score.mean()):.3f} px (predicting no motion: "
                f"{float(true.pow(2).sum(1).sqrt().mean()):.3f}). Frame 1, predicted flow, true "
                "flow (hue = direction); worst first.")
    return f"PSNR {float(score.mean()):.2f} dB. Input, output, target; worst first."


class TaskTry:
    """Try it for typed targets: the model's answer to a raw first input (pixels 0..1, drawn
    or loaded), the other inputs taken from a test sample (the second frame of a flow pair),
    drawn as the evaluation view draws it."""

    def __init__(self, model, dataset) -> None:
        from netcanvas.backend.data.matching import match

        self.model, self.dataset = model, dataset
        index = pictured(dataset)
        if index is None or len(dataset.sample_shape) != 3:
            raise ValueError(f"{dataset.name} has no pictured target")
        self.plan = match(dataset, model)
        if index not in self.plan.targets:
            raise ValueError(f"no Output learns the {dataset.targets[index].name} target")
        self.target = dataset.targets[index]
        self.output = self.plan.targets.index(index)

    def __len__(self) -> int:
        return len(self.dataset.test)

    def raw_sample(self, i: int) -> np.ndarray:
        """Test sample `i`'s first input, raw (C, H, W) 0..1."""
        return _raw(self.dataset.test.xs()[0][i:i + 1], self.dataset)[0]

    def answer(self, raw: np.ndarray, i: int) -> np.ndarray:
        """The picture of the prediction for first input `raw`, other inputs from sample i."""
        from netcanvas.backend.data.matching import ordered_split
        from netcanvas.backend.data.types import Split
        from netcanvas.backend.runtime.predict import predict

        ds = self.dataset
        x = torch.as_tensor(raw, dtype=torch.float32)[None]
        if ds.mean is not None:
            x = (x - ds.mean.reshape(1, -1, 1, 1)) / ds.std.reshape(1, -1, 1, 1)
        xs = tuple(x if k == 0 else t[i:i + 1] for k, t in enumerate(ds.test.xs()))
        one = Split(xs if len(xs) > 1 else xs[0], tuple(y[i:i + 1] for y in ds.test.ys()))
        ordered = ordered_split(one, self.plan)
        outs = predict(self.model, ordered.x, "cpu")
        pred = (outs if isinstance(outs, tuple) else (outs,))[self.output].float()
        if self.target.kind == "mask":
            pred = tm.predicted_mask(pred)
        else:
            pred = pred.reshape(1, *self.target.shape)
        truth = ds.test.ys()[self.dataset.targets.index(self.target)][i].numpy()
        if self.target.kind == "flow":  # the colour scale of the sample's true motion
            return draw("flow", raw, truth, pred[0].numpy())
        return draw(self.target.kind, raw, pred[0].numpy())
