"""Append-only numpy buffers for live curves: amortised O(1) appends, free views of the data."""

from __future__ import annotations

import numpy as np


class GrowingBuffer:
    """(x, y) float64 columns that double their capacity when full.

    A million-step run appends a few hundred points five times a second; re-allocating on every
    append (np.append) would make that quadratic, while doubling keeps it linear."""

    def __init__(self, capacity: int = 256) -> None:
        self._data = np.empty((2, capacity), dtype=np.float64)
        self.size = 0
        self.min, self.max = float("inf"), float("-inf")

    def extend(self, xs, ys) -> None:
        xs = np.asarray(xs, dtype=np.float64)
        ys = np.asarray(ys, dtype=np.float64)
        n = len(xs)
        if n == 0:
            return
        finite = ys[np.isfinite(ys)]
        if finite.size:
            self.min = min(self.min, float(finite.min()))
            self.max = max(self.max, float(finite.max()))
        if self.size + n > self._data.shape[1]:
            capacity = max(self._data.shape[1] * 2, self.size + n)
            grown = np.empty((2, capacity), dtype=np.float64)
            grown[:, : self.size] = self._data[:, : self.size]
            self._data = grown
        self._data[0, self.size : self.size + n] = xs
        self._data[1, self.size : self.size + n] = ys
        self.size += n

    def append(self, x: float, y: float) -> None:
        self.extend((x,), (y,))

    @property
    def x(self) -> np.ndarray:
        return self._data[0, : self.size]

    @property
    def y(self) -> np.ndarray:
        return self._data[1, : self.size]

    def value_at(self, x: float) -> tuple[float, float] | None:
        """The point nearest to x (x is sorted: steps and epochs only grow)."""
        if self.size == 0:
            return None
        xs = self.x
        i = int(np.searchsorted(xs, x))
        if i >= self.size or (i > 0 and x - xs[i - 1] < xs[i] - x):
            i -= 1
        return float(xs[i]), float(self.y[i])


class EmaBuffer(GrowingBuffer):
    """A debiased exponential moving average of what is appended (TensorBoard-style smoothing)."""

    def __init__(self, smoothing: float = 0.9, capacity: int = 256) -> None:
        super().__init__(capacity)
        self.smoothing = smoothing
        self._ema = 0.0
        self._count = 0

    def extend(self, xs, ys) -> None:
        ys = np.asarray(ys, dtype=np.float64)
        out = np.empty_like(ys)
        a, ema, count = self.smoothing, self._ema, self._count
        for i, y in enumerate(ys.tolist()):
            if not np.isfinite(y):
                out[i] = y
                continue
            count += 1
            ema = a * ema + (1.0 - a) * y
            out[i] = ema / (1.0 - a**count)
        self._ema, self._count = ema, count
        super().extend(xs, out)
