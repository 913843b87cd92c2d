"""Splits batched on the device: training batches by index, evaluation batches in order."""

from __future__ import annotations

from types import SimpleNamespace

import torch
from netcanvas.backend.runtime.batches import DeviceSplit


def test_evaluation_slices_are_views_in_order_with_every_sample():
    x, y = torch.randn(10, 3), torch.arange(10)
    split = DeviceSplit(SimpleNamespace(x=x, y=y), [(3,)], torch.device("cpu"))
    batches = list(split.slices(4))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    assert torch.equal(torch.cat([b[1] for b in batches]), y)
    assert torch.equal(torch.cat([b[0][0] for b in batches]), x)
    xs, ys = batches[1]
    assert xs[0].data_ptr() == split.xs[0][4:].data_ptr()  # no copy per evaluation batch
    by_index = split.batch(torch.arange(4, 8))
    assert torch.equal(by_index[0][0], xs[0]) and torch.equal(by_index[1], ys)


def test_several_targets_come_as_a_tuple():
    x = torch.randn(5, 2)
    split = DeviceSplit(SimpleNamespace(x=x, y=(torch.arange(5), torch.ones(5))), [(2,)],
                        torch.device("cpu"))
    (_xs, ys), = split.slices(8)
    assert isinstance(ys, tuple) and len(ys) == 2 and torch.equal(ys[0], torch.arange(5))
