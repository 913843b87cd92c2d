"""The nn.Modules of the sequence and attention layers (backend/registry/layers/sequence.py
and attention.py). Sequences are batch-first, (N, T, F), everywhere in NetCanvas.

Imported lazily inside `build`. Each class needs only torch and nn, so exported code
includes it verbatim; the recurrent and attention classes keep torch's parameter names
(`weight_ih_l0`, `in_proj_weight`, `out_proj`), so weights move to and from nn.LSTM,
nn.GRU and nn.MultiheadAttention unchanged.
"""

from __future__ import annotations

import torch
from torch import nn


class TokenEmbedding(nn.Embedding):
    """nn.Embedding fed token ids as numbers: a float tensor of whole numbers (as datasets
    hold them) is read as ids, and an id outside the vocabulary is clamped into it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ids = x.long().clamp(0, self.num_embeddings - 1)
        return super().forward(ids)


class RecurrentSequence(nn.Module):
    """The shared half of LSTMSequence and GRUSequence, put before nn.LSTM or nn.GRU: batch
    first, returning the output sequence and, unless `final_state` is off, the last layer's
    final hidden state with both directions side by side."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, bias: bool = True,
                 final_state: bool = True):
        super().__init__(input_size, hidden_size, num_layers=num_layers, bias=bias,
                         batch_first=True, dropout=dropout, bidirectional=bidirectional)
        self.final_state = final_state

    def forward(self, x: torch.Tensor):
        y, state = super().forward(x)
        if not self.final_state:
            return y
        h = state[0] if isinstance(state, tuple) else state  # an LSTM's is (h, c)
        directions = 2 if self.bidirectional else 1
        return y, h[-directions:].transpose(0, 1).reshape(x.shape[0], -1)


class LSTMSequence(RecurrentSequence, nn.LSTM):
    """A batch-first nn.LSTM whose final hidden state is a second output."""


class GRUSequence(RecurrentSequence, nn.GRU):
    """A batch-first nn.GRU whose final hidden state is a second output."""


class PositionalEncoding(nn.Module):
    """Adds a position code to each step of a (N, length, dim) sequence: learned (a
    parameter, as in ViT and BERT) or the fixed sinusoids of "Attention is all you need"."""

    def __init__(self, length: int, dim: int, kind: str = "learned"):
        super().__init__()
        self.length, self.dim, self.kind = length, dim, kind
        if kind == "learned":
            self.position = nn.Parameter(torch.randn(1, length, dim) * 0.02)
            return
        position = torch.arange(length, dtype=torch.float32)[:, None]
        frequency = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32)
                              * (-9.210340371976184 / dim))  # log(10000)
        table = torch.zeros(length, dim)
        table[:, 0::2] = torch.sin(position * frequency)
        table[:, 1::2] = torch.cos(position * frequency)[:, :dim // 2]
        self.register_buffer("position", table[None], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.position

    def extra_repr(self) -> str:
        return f"length={self.length}, dim={self.dim}, kind={self.kind!r}"


class ClassToken(nn.Module):
    """Puts `count` learned tokens in front of a (N, T, dim) sequence: (N, count + T, dim).
    One is ViT's class token, whose final state the classifier reads."""

    def __init__(self, dim: int, count: int = 1):
        super().__init__()
        self.dim, self.count = dim, count
        self.token = nn.Parameter(torch.randn(1, count, dim) * 0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.token.expand(x.shape[0], -1, -1), x], dim=1)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, count={self.count}"


class PatchEmbedding(nn.Module):
    """Cuts a (N, C, H, W) image into patch_size patches and projects each to `dim`
    values: the (N, patches, dim) token sequence of a vision transformer, row by row."""

    def __init__(self, in_channels: int, dim: int, patch_size: tuple[int, int]):
        super().__init__()
        self.in_channels, self.dim, self.patch_size = in_channels, dim, tuple(patch_size)
        self.proj = nn.Conv2d(in_channels, dim, self.patch_size, stride=self.patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


class SequencePool(nn.Module):
    """(N, T, F) -> (N, F): the first step (a class token), the last, the mean or the max.
    An optional mask (N, T), 1 at real steps and 0 at padding, keeps padding out: the mean
    and max skip it and "last" takes the last real step."""

    def __init__(self, mode: str = "mean"):
        super().__init__()
        self.mode = mode

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if self.mode == "first":
            return x[:, 0]
        if mask is None:
            if self.mode == "last":
                return x[:, -1]
            return x.mean(dim=1) if self.mode == "mean" else x.amax(dim=1)
        keep = (mask > 0.5).to(x.dtype)[:, :, None]
        if self.mode == "mean":
            return (x * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)
        if self.mode == "max":
            return x.masked_fill(keep == 0, torch.finfo(x.dtype).min).amax(dim=1)
        last = (keep.sum(dim=1).long() - 1).clamp(min=0)  # (N, 1)
        return x.gather(1, last[:, :, None].expand(-1, -1, x.shape[2]))[:, 0]

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}"


class Attention(nn.Module):
    """Multi-head scaled dot-product attention with nn.MultiheadAttention's parameters.
    Self-attention when no `context` is given, else cross-attention from x to context.
    `key_mask` (N, S) is 1 at real keys and 0 at padding; `causal` lets step t see only
    steps <= t. Returns the output and, when `return_weights`, the per-head attention
    weights (N, heads, T, S)."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0,
                 bias: bool = True, causal: bool = False, return_weights: bool = True):
        super().__init__()
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.causal, self.return_weights = causal, return_weights
        self.in_proj_weight = nn.Parameter(torch.empty(3 * embed_dim, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * embed_dim)) if bias else None
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias)
        nn.init.xavier_uniform_(self.in_proj_weight)
        if bias:
            nn.init.zeros_(self.out_proj.bias)

    @property
    def bias(self) -> bool:
        return self.in_proj_bias is not None

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None,
                key_mask: torch.Tensor | None = None):
        d, heads = self.embed_dim, self.num_heads
        w, b = self.in_proj_weight, self.in_proj_bias
        if context is None:
            q, k, v = nn.functional.linear(x, w, b).chunk(3, dim=-1)
        else:
            q = nn.functional.linear(x, w[:d], None if b is None else b[:d])
            kv = nn.functional.linear(context, w[d:], None if b is None else b[d:])
            k, v = kv.chunk(2, dim=-1)
        q, k, v = (t.reshape(t.shape[0], t.shape[1], heads, d // heads).transpose(1, 2)
                   for t in (q, k, v))
        scores = q @ k.transpose(-2, -1) * (d // heads) ** -0.5
        if self.causal:
            hidden = torch.ones(scores.shape[-2:], dtype=torch.bool, device=x.device).triu(1)
            scores = scores.masked_fill(hidden, float("-inf"))
        if key_mask is not None:  # -1e9, not -inf: a row of padding alone stays finite
            scores = scores.masked_fill((key_mask <= 0.5)[:, None, None, :], -1e9)
        weights = scores.softmax(dim=-1)
        mixed = nn.functional.dropout(weights, self.dropout, self.training) @ v
        y = self.out_proj(mixed.transpose(1, 2).reshape(x.shape[0], x.shape[1], d))
        return (y, weights) if self.return_weights else y

    def extra_repr(self) -> str:
        return (f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"dropout={self.dropout}, causal={self.causal}")
