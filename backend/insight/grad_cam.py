"""More ways to ask "why", with Captum, over a Predictor (backend/insight/predict.py):

- Grad-CAM of any convolutional node: the node's channels weighted by the mean gradient of
  the class's logit over each channel, summed, ReLU'd, and upsampled to the input's size;
- SmoothGrad (Captum's NoiseTunnel) over saliency or Integrated Gradients: the average map
  over noisy copies of the input, which removes the speckle of a single gradient;
- a per-class average map over the test set: what each class looks at on average.
"""

from __future__ import annotations

import numpy as np
import torch
from netcanvas.backend.insight.attribution import IG_STEPS, baseline
from netcanvas.backend.insight.predict import PredictError, Predictor

SMOOTH_METHODS = ("saliency", "integrated_gradients")
SMOOTH_SAMPLES = 16
SMOOTH_STDEV = 0.15  # of the input's range (pixels in [0, 1])


def conv_nodes(predictor: Predictor) -> list[str]:
    """Nodes whose output is an image-like map (C, H, W): where Grad-CAM can look."""
    from netcanvas.backend.shapes import analyze
    graph = predictor.project.graph
    analysis = analyze(graph)
    names = []
    for name, _ in predictor.model.module.named_children():
        node = graph.by_name(name)
        info = analysis.nodes.get(node.id) if node is not None else None
        shape = next(iter(info.output_shapes.values()), None) if info else None
        if shape is not None and len(shape) == 3 and node.type_id != "input":
            names.append(name)
    return names


def _sample(predictor: Predictor, x_raw) -> torch.Tensor:
    return torch.as_tensor(x_raw, dtype=torch.float32).reshape(1, *predictor.sample_shape)


def _target(forward, x: torch.Tensor, target: int | None) -> int:
    if target is not None:
        return int(target)
    with torch.no_grad():
        return int(forward(x).argmax(dim=-1)[0])


def grad_cam(predictor: Predictor, x_raw, node: str, target: int | None = None
             ) -> tuple[np.ndarray, int]:
    """(map (H, W) at the input's size, >= 0; the class explained) for one raw sample."""
    from captum.attr import LayerAttribution, LayerGradCam

    if not predictor.is_image:
        raise PredictError("Grad-CAM needs an image input")
    if node not in conv_nodes(predictor):
        raise PredictError(f"node '{node}' has no image-shaped output for Grad-CAM; choose one "
                           f"of {', '.join(conv_nodes(predictor))}")
    forward = predictor.raw_module()
    layer = dict(predictor.model.module.named_children())[node]
    x = _sample(predictor, x_raw)
    target = _target(forward, x, target)
    with torch.enable_grad():
        cam = LayerGradCam(forward, layer).attribute(x, target=target, relu_attributions=True)
    cam = LayerAttribution.interpolate(cam.detach(), tuple(predictor.sample_shape[1:]),
                                       interpolate_mode="bilinear")
    return cam[0, 0].numpy(), target


def smooth(predictor: Predictor, x_raw, method: str, target: int | None = None,
           samples: int = SMOOTH_SAMPLES, stdev: float = SMOOTH_STDEV, seed: int = 0
           ) -> tuple[np.ndarray, int]:
    """(SmoothGrad map shaped like the sample; the class explained): `method`'s attribution
    averaged over `samples` copies of the input with Gaussian noise of `stdev` (raw units)."""
    from captum.attr import IntegratedGradients, NoiseTunnel, Saliency

    if method not in SMOOTH_METHODS:
        raise ValueError(f"SmoothGrad works over {', '.join(SMOOTH_METHODS)}, not {method!r}")
    forward = predictor.raw_module()
    x = _sample(predictor, x_raw)
    target = _target(forward, x, target)
    torch.manual_seed(seed)
    with torch.enable_grad():
        if method == "saliency":
            tunnel = NoiseTunnel(Saliency(forward))
            values = tunnel.attribute(x, nt_type="smoothgrad", nt_samples=samples,
                                      stdevs=stdev, target=target, abs=False)
        else:
            tunnel = NoiseTunnel(IntegratedGradients(forward))
            values = tunnel.attribute(x, nt_type="smoothgrad", nt_samples=samples,
                                      nt_samples_batch_size=samples, stdevs=stdev,
                                      target=target, baselines=baseline(predictor)[None],
                                      n_steps=IG_STEPS // 4)
    return values.detach()[0].numpy(), target


def class_average_maps(predictor: Predictor, x_raw: torch.Tensor, labels: torch.Tensor,
                       per_class: int = 20, cancel=lambda: False) -> np.ndarray:
    """(classes, H, W): the mean |saliency| of each class's logit over up to `per_class`
    test samples of that class (all zeros for a class with none)."""
    from captum.attr import Saliency

    if not predictor.is_image or not predictor.classifies:
        raise PredictError("per-class maps need an image classifier")
    forward = predictor.raw_module()
    k = len(predictor.class_names)
    maps = np.zeros((k, *predictor.sample_shape[1:]), dtype=np.float32)
    saliency = Saliency(forward)
    for c in range(k):
        if cancel():
            break
        picked = (labels == c).nonzero().flatten()[:per_class]
        if not len(picked):
            continue
        with torch.enable_grad():
            xs = torch.as_tensor(x_raw[picked], dtype=torch.float32).clone()
            values = saliency.attribute(xs, target=c, abs=True)
        maps[c] = values.detach().sum(dim=1).mean(dim=0).numpy()
    return maps
