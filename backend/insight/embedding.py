"""Embeddings of any node: its outputs for the test set projected to 2-D (PCA, or t-SNE from
scikit-learn), one point per sample, coloured by class by the viewer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from netcanvas.backend.insight.attribution_methods import EMBEDDINGS
from netcanvas.backend.insight.predict import PredictError, Predictor

METHODS = EMBEDDINGS
LIMIT = 600  # samples projected: t-SNE is quadratic


@dataclass
class Embedding:
    node: str
    method: str
    points: np.ndarray  # (N, 2)
    labels: np.ndarray  # (N,) int
    indices: np.ndarray  # (N,) the test samples' indices, for "show this sample"
    explained: float | None = None  # PCA: share of the variance the two axes keep


def node_outputs(predictor: Predictor, node: str, x_raw: torch.Tensor,
                 batch: int = 256) -> np.ndarray:
    """(N, features): `node`'s output for raw samples, flattened per sample."""
    module = dict(predictor.model.module.named_children()).get(node)
    if module is None:
        raise PredictError(f"no layer named '{node}' in the model")
    forward = predictor.raw_module()
    rows: list[torch.Tensor] = []

    def keep(_m, _a, out):
        out = out[0] if isinstance(out, (tuple, list)) else out
        rows.append(out.detach().float().flatten(1))

    handle = module.register_forward_hook(keep)
    try:
        with torch.inference_mode():
            for i in range(0, len(x_raw), batch):
                forward(torch.as_tensor(x_raw[i:i + batch], dtype=torch.float32))
    finally:
        handle.remove()
    return torch.cat(rows).numpy()


def embed(predictor: Predictor, node: str, x_raw: torch.Tensor, labels: torch.Tensor,
          method: str = "pca", limit: int = LIMIT, seed: int = 0) -> Embedding:
    if method not in METHODS:
        raise ValueError(f"unknown projection {method!r}; choose one of {', '.join(METHODS)}")
    picked = np.arange(min(limit, len(x_raw)))
    features = node_outputs(predictor, node, x_raw[picked])
    features = features - features.mean(axis=0)
    explained = None
    if method == "pca" or features.shape[1] <= 2:
        from sklearn.decomposition import PCA
        n = min(2, *features.shape)
        pca = PCA(n_components=n, random_state=seed).fit(features)
        points = pca.transform(features)
        explained = float(pca.explained_variance_ratio_.sum())
    else:
        from sklearn.manifold import TSNE
        perplexity = float(min(30, max(2, (len(features) - 1) // 3)))
        points = TSNE(n_components=2, init="pca", random_state=seed,
                      perplexity=perplexity).fit_transform(features)
    if points.shape[1] < 2:
        points = np.concatenate([points, np.zeros((len(points), 2 - points.shape[1]))], 1)
    return Embedding(node, method, points.astype(np.float32),
                     np.asarray(labels[picked]).astype(int), picked, explained)
