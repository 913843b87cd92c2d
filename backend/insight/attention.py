"""The attention maps of one sample: for each MultiheadAttention in the model (inside
blocks too), the weights (heads, T, S) each query step gave each key, and for a vision
transformer where its patch tokens sit in the image, so Try it can lay a head's attention
over the picture."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass

import numpy as np
import torch
from netcanvas.backend.registry.layers.sequence_modules import (
    Attention,
    ClassToken,
    PatchEmbedding,
)


@dataclass(frozen=True)
class AttentionMap:
    layer: str  # the module's path: "encoder.0.attn"
    weights: np.ndarray  # (heads, T, S); each row sums to 1


@dataclass(frozen=True)
class PatchGrid:
    """Patch tokens laid out in the image: `rows` x `cols` patches of `patch` pixels,
    after `first` tokens that are not patches (class tokens)."""

    rows: int
    cols: int
    patch: tuple[int, int]
    first: int

    def overlay(self, weights: np.ndarray, query: int = 0) -> np.ndarray:
        """(heads, rows, cols): what `query` (0: the class token) gave each patch."""
        patches = weights[:, query, self.first:self.first + self.rows * self.cols]
        return patches.reshape(len(weights), self.rows, self.cols)


def has_attention(module: torch.nn.Module) -> bool:
    return any(isinstance(m, Attention) for m in module.modules())


def attention_maps(predictor, x_raw) -> list[AttentionMap]:
    """Every attention layer's weights for one raw sample, in the order they run. Safe on a
    worker thread while other threads run the model: the hooks and the weights switch go on
    a copy that shares the model's parameters, never on the model itself."""
    module = _sharing_copy(predictor.raw_module())
    found: list[AttentionMap] = []

    def keep(name: str, wanted: bool):
        def hook(_module, _inputs, output):
            found.append(AttentionMap(name, output[1][0].detach().float().numpy()))
            return None if wanted else output[0]
        return hook

    for name, m in module.module.named_modules():
        if isinstance(m, Attention):
            m.register_forward_hook(keep(name, m.return_weights))
            m.return_weights = True  # the hook hands back only y where only y was wired
    with torch.inference_mode():
        module(predictor._batch(x_raw))
    return found


def _sharing_copy(module: torch.nn.Module) -> torch.nn.Module:
    """A copy of `module`'s modules that shares its parameters and buffers (no tensor copied)."""
    tensors = itertools.chain(module.parameters(), module.buffers())
    return copy.deepcopy(module, {id(t): t for t in tensors})


def patch_grid(predictor) -> PatchGrid | None:
    """Where the patch tokens sit, for a model whose input image goes through one
    PatchEmbedding (ClassTokens may add tokens in front); None for other models."""
    if not predictor.is_image:
        return None
    modules = list(predictor.model.module.modules())
    patches = [m for m in modules if isinstance(m, PatchEmbedding)]
    if len(patches) != 1:
        return None
    _, height, width = predictor.sample_shape
    ph, pw = patches[0].patch_size
    first = sum(m.count for m in modules if isinstance(m, ClassToken))
    return PatchGrid(height // ph, width // pw, (ph, pw), first)
