"""Every registered layer, built with its defaults on its example input, against torch:
shapes, parameter counts, MACs, a training step, and layer-specific behaviour."""

from __future__ import annotations

from math import prod as numel

import pytest
import torch
from netcanvas.backend.registry import REGISTRY, get
from torch.utils.flop_counter import FlopCounterMode

torch.set_num_threads(2)
BATCH = 2
BUILDABLE = [tid for tid, spec in REGISTRY.items() if spec.build is not None]


def tensors(spec, inputs: dict, index_limit: int = 1) -> list[torch.Tensor]:
    """Random batched tensors in port order; a many-port contributes several.
    Index ports get positions below `index_limit` (the unpooled map's H*W)."""
    out = []
    for port in spec.inputs:
        if port.name not in inputs:  # an optional port left unwired
            continue
        shapes = inputs[port.name] if port.many else [inputs[port.name]]
        for shape in shapes:
            if port.dtype == "index":
                out.append(torch.randint(0, index_limit, (BATCH, *shape)))
            else:
                out.append(torch.randn(BATCH, *shape, requires_grad=True))
    return out


def run(spec, params: dict, inputs: dict):
    shapes = spec.infer_shape(params, inputs)
    module = spec.build(params, inputs)
    args = tensors(spec, inputs, index_limit=numel(shapes["y"][1:]))
    result = module(*args)
    result = result if isinstance(result, tuple) else (result,)
    assert len(result) == len(spec.outputs)
    return module, args, dict(zip((p.name for p in spec.outputs), result))


def test_every_layer_but_input_has_a_builder():
    assert [tid for tid, s in REGISTRY.items() if s.build is None] == ["input"]


@pytest.mark.parametrize("type_id", BUILDABLE)
def test_defaults_build_and_match_inferred_shapes(type_id):
    spec = get(type_id)
    params, inputs = spec.defaults(), spec.example_inputs
    shapes = spec.infer_shape(params, inputs)
    module, _, outputs = run(spec, params, inputs)
    batch = BATCH if spec.inputs else 1  # a source (Constant) is one sample that broadcasts
    assert {k: tuple(v.shape) for k, v in outputs.items()} == {
        k: (batch, *s) for k, s in shapes.items()}
    assert spec.count_params(params, inputs, shapes) == sum(
        p.numel() for p in module.parameters())
    if spec.macs is not None:
        assert spec.macs(params, inputs, shapes) >= 0


@pytest.mark.parametrize("type_id", BUILDABLE)
def test_trains_a_step(type_id):
    spec = get(type_id)
    module, args, outputs = run(spec, spec.defaults(), spec.example_inputs)
    module.train()
    loss = sum(y.square().mean() for y in outputs.values() if y.is_floating_point())
    if not loss.requires_grad:  # a fixed Constant: nothing upstream, nothing to learn
        assert not spec.inputs and not list(module.parameters())
        return
    loss.backward()
    for name, p in module.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), f"{type_id}.{name}"
    ports = [port for port in spec.inputs if port.name in spec.example_inputs
             for _ in (spec.example_inputs[port.name] if port.many else [None])]
    for port, x in zip(ports, args):
        if x.is_floating_point() and not port.discrete:  # ids and masks pass no gradient
            assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("type_id, params, inputs", [
    ("linear", {"out_features": 7}, {"x": (5, 12)}),
    ("conv1d", {"out_channels": 6, "kernel_size": 5, "stride": 2, "groups": 2}, {"x": (4, 30)}),
    ("conv2d", {"out_channels": 8, "kernel_size": (3, 5), "padding": 2, "dilation": 2},
     {"x": (3, 17, 13)}),
    ("conv2d", {"out_channels": 4, "kernel_size": 3, "padding_mode": "same", "groups": 4},
     {"x": (4, 9, 9)}),
    ("conv_transpose2d", {"out_channels": 5, "kernel_size": 3, "stride": 2, "padding": 1,
                          "output_padding": 1}, {"x": (6, 7, 7)}),
])
def test_flops_are_the_macs_torch_counts(type_id, params, inputs):
    spec = get(type_id)
    params = spec.validate_params(params)
    module = spec.build(params, inputs)
    with FlopCounterMode(display=False) as counter:
        module(*tensors(spec, inputs))
    shapes = spec.infer_shape(params, inputs)
    assert spec.macs(params, inputs, shapes) == counter.get_total_flops() // 2 // BATCH


def test_max_pool_indices_feed_max_unpool_to_an_odd_size():
    pool, unpool = get("max_pool2d"), get("max_unpool2d")
    x = torch.randn(BATCH, 3, 7, 7)
    pool_params = pool.defaults()
    y, indices = pool.build(pool_params, {"x": (3, 7, 7)})(x)
    unpool_params = unpool.validate_params({"output_size": (7, 7)})
    shapes = {"x": (3, 3, 3), "indices": (3, 3, 3)}
    assert unpool.infer_shape(unpool_params, shapes) == {"y": (3, 7, 7)}
    restored = unpool.build(unpool_params, shapes)(y, indices)
    assert restored.shape == x.shape
    # Every maximum is back where it came from; everything else is zero.
    kept = restored != 0
    assert torch.equal(restored[kept], x[kept])
    assert int(kept.sum()) == y.numel()


def test_global_avg_pool_is_the_mean_over_height_and_width():
    spec = get("global_avg_pool2d")
    x = torch.randn(BATCH, 5, 3, 4)
    assert torch.allclose(spec.build({}, {"x": (5, 3, 4)})(x), x.mean(dim=(2, 3)))


def test_merge_layers_compute_sum_product_and_concatenation():
    a, b, c = (torch.randn(BATCH, 2, 3) for _ in range(3))
    shapes = {"x": [(2, 3)] * 3}
    assert torch.allclose(get("add").build({}, shapes)(a, b, c), a + b + c)
    assert torch.allclose(get("multiply").build({}, shapes)(a, b, c), a * b * c)
    concat = get("concat")
    params = concat.validate_params({"dim": -1})
    assert torch.equal(concat.build(params, shapes)(a, b, c), torch.cat([a, b, c], dim=-1))


def test_reshape_keeps_the_batch_and_fills_minus_one():
    spec = get("reshape")
    params = spec.validate_params({"shape": (4, -1)})
    x = torch.arange(BATCH * 24.0).reshape(BATCH, 2, 3, 4)
    assert spec.infer_shape(params, {"x": (2, 3, 4)}) == {"y": (4, 6)}
    assert torch.equal(spec.build(params, {"x": (2, 3, 4)})(x), x.reshape(BATCH, 4, 6))


@pytest.mark.parametrize("type_id", ["dropout", "dropout2d"])
def test_dropout_is_identity_in_eval_and_drops_in_training(type_id):
    spec = get(type_id)
    params = spec.validate_params({"p": 0.5})
    module = spec.build(params, {"x": (8, 4, 4)})
    x = torch.randn(BATCH, 8, 4, 4)
    assert (module(x) == 0).any()
    assert torch.equal(module.eval()(x), x)


def test_batch_norm_normalises_each_channel_over_the_batch():
    spec = get("batch_norm2d")
    x = 3 + 5 * torch.randn(16, 4, 5, 5)
    y = spec.build(spec.defaults(), {"x": (4, 5, 5)})(x)
    assert torch.allclose(y.mean(dim=(0, 2, 3)), torch.zeros(4), atol=1e-5)
    assert torch.allclose(y.var(dim=(0, 2, 3), unbiased=False), torch.ones(4), atol=1e-3)


# torch's note that an even kernel pads a copy of the input: the case under test
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
def test_same_padding_keeps_the_size_for_even_kernels_and_dilation():
    spec = get("conv2d")
    params = spec.validate_params({"kernel_size": (4, 2), "dilation": (2, 3),
                                   "padding_mode": "same"})
    out = spec.infer_shape(params, {"x": (3, 9, 10)})["y"]
    assert out == (16, 9, 10)
    assert spec.build(params, {"x": (3, 9, 10)})(torch.randn(1, 3, 9, 10)).shape[1:] == out


@pytest.mark.parametrize("type_id, params, inputs", [
    # ceil_mode: the last window must start inside the (left-padded) input
    ("max_pool2d", {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True},
     {"x": (1, 5, 5)}),
    ("avg_pool2d", {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True},
     {"x": (1, 5, 5)}),
    # ceil_mode lets a window hang over the border: a kernel larger than the input fits
    ("max_pool2d", {"kernel_size": 4, "stride": 3, "ceil_mode": True}, {"x": (1, 2, 3)}),
    ("conv1d", {"kernel_size": 4, "padding_mode": "same", "dilation": 3}, {"x": (2, 5)}),
    ("conv_transpose2d", {"kernel_size": 3, "stride": 3, "dilation": 2, "output_padding": 1,
                          "padding": 2}, {"x": (2, 4, 3)}),
    ("upsample", {"scale_factor": 1.7, "mode": "bilinear"}, {"x": (2, 7, 3)}),
    ("max_unpool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "output_size": (6, 5)},
     {"x": (2, 3, 3), "indices": (2, 3, 3)}),
])
def test_edge_cases_match_torch(type_id, params, inputs):
    spec = get(type_id)
    params = spec.validate_params(params)
    shapes = spec.infer_shape(params, inputs)
    _, _, outputs = run(spec, params, inputs)
    assert {k: tuple(v.shape[1:]) for k, v in outputs.items()} == shapes
