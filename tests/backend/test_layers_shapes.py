"""Property tests: for random params and input sizes, every layer's pure-Python shape
rule agrees with what torch computes on real tensors (batch 2).

- infer_shape accepts  -> torch runs and gives exactly those shapes; count_params matches.
- torch raises         -> infer_shape raised ShapeError too (it may be stricter, never laxer).
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from netcanvas.backend.registry import REGISTRY, ShapeError, get

torch.set_num_threads(2)
BATCH = 2
# Small caps keep tensors tiny while still crossing every edge case (kernel > input, ...).
INT_CAPS = {"out_channels": 8, "out_features": 8, "kernel_size": 5, "stride": 3,
            "padding": 3, "output_padding": 3, "dilation": 3, "groups": 4, "dims": 4,
            "output_size": 6}
FLOAT_CAPS = {"scale_factor": 3.0}
# Weighted towards values that usually fit, so both outcomes are well covered.
FAVOURED = {"groups": st.sampled_from([1, 1, 1, 2, 4]), "dilation": st.sampled_from([1, 1, 2, 3]),
            "stride": st.sampled_from([1, 1, 2, 3]), "out_channels": st.sampled_from([2, 4, 8, 3]),
            "dim": st.integers(-3, 3), "start_dim": st.integers(-3, 3),
            "end_dim": st.integers(-3, 3)}
CHANNELS = st.sampled_from([1, 2, 3, 4, 6, 8])
SIZE = st.integers(1, 14)
LAYERS = [tid for tid, spec in REGISTRY.items() if spec.build is not None]


def param_value(p):
    if p.kind == "bool":
        return st.booleans()
    if p.kind == "choice":
        return st.sampled_from(p.choices)
    if p.kind == "float":
        caps = [c for c in (p.max, FLOAT_CAPS.get(p.name), 10.0) if c is not None]
        return st.floats(p.min, min(caps), allow_nan=False, allow_infinity=False)
    low = -5 if p.min is None else max(p.min, -5)
    high = min(8 if p.max is None else p.max, INT_CAPS.get(p.name, 8))
    value = FAVOURED.get(p.name, st.integers(low, high))
    if p.kind == "ints":
        value = st.lists(value, min_size=p.length or 1, max_size=p.length or 3).map(tuple)
    return st.one_of(st.none(), value) if p.optional else value


def draw_params(data, spec, **fixed) -> dict:
    drawn = {p.name: data.draw(param_value(p), label=p.name)
             for p in spec.params if p.name not in fixed}
    return spec.validate_params({**drawn, **fixed})


def draw_shape(data, rank: int) -> tuple[int, ...]:
    """Mostly the layer's own rank, sometimes one less or more (which it may refuse)."""
    rank = data.draw(st.sampled_from([rank] * 5 + [max(rank - 1, 1), rank + 1]), label="rank")
    return (data.draw(CHANNELS), *data.draw(st.lists(SIZE, min_size=rank - 1,
                                                     max_size=rank - 1)))


def draw_many(data, base: tuple[int, ...], axis: int | None) -> list[tuple[int, ...]]:
    """2-3 shapes equal to `base` except, sometimes, along `axis` (or a random axis) or
    in rank."""
    shapes = []
    for _ in range(data.draw(st.integers(2, 3))):
        shape = list(base)
        change = data.draw(st.integers(0, 7))
        if change < 2:
            where = axis if axis is not None else data.draw(st.integers(0, len(base) - 1))
            shape[where] = data.draw(SIZE)
        elif change == 2:
            shape.append(1)
        shapes.append(tuple(shape))
    return shapes


def draw_reshape_target(data, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The input's dims permuted and partly merged, one maybe -1, rarely off by one."""
    dims = list(data.draw(st.permutations(shape)))
    while len(dims) > 1 and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(dims) - 2))
        dims[i:i + 2] = [dims[i] * dims[i + 1]]
    if data.draw(st.booleans()):
        dims[data.draw(st.integers(0, len(dims) - 1))] = -1
    if data.draw(st.integers(0, 5)) == 0:
        dims[0] += 1
    return tuple(dims)


def draw_case(data, spec) -> tuple[dict, dict]:
    """Random (params, inputs) for a layer, aimed to hit both valid and invalid cases."""
    if not spec.inputs:  # a source (Constant)
        return draw_params(data, spec), {}
    example = spec.example_inputs["x"]
    if spec.inputs[0].many:
        params = draw_params(data, spec)
        base = draw_shape(data, len(example[0]))
        axis = params["dim"] - 1 if params.get("dim", 0) > 0 else None
        return params, {"x": draw_many(data, base, axis if axis in range(len(base)) else None)}
    shape = draw_shape(data, len(example))
    if spec.type_id == "reshape":
        return spec.validate_params({"shape": draw_reshape_target(data, shape)}), {"x": shape}
    if spec.type_id == "max_unpool2d":
        return draw_unpool(data, spec, shape)
    if spec.input_port("other"):  # binary elementwise: the same shape, or sometimes not
        other = shape if data.draw(st.integers(0, 3)) else draw_shape(data, len(example))
        return draw_params(data, spec), {"x": shape, "other": other}
    return draw_params(data, spec), {"x": shape}


def draw_unpool(data, spec, shape):
    params = draw_params(data, spec, output_size=None)
    indices = shape if data.draw(st.integers(0, 5)) else draw_shape(data, 3)
    if len(shape) == 3 and data.draw(st.booleans()):  # near the default: some reachable
        default = [(n - 1) * s - 2 * p + k for n, s, p, k in zip(
            shape[1:], params["stride"], params["padding"], params["kernel_size"])]
        size = [max(1, d + data.draw(st.integers(-s, s)))
                for d, s in zip(default, params["stride"])]
        params = spec.validate_params({**params, "output_size": size})
    return params, {"x": shape, "indices": indices}


def make_tensors(spec, inputs: dict, outputs: dict | None) -> list[torch.Tensor]:
    limit = math.prod(outputs["y"][1:]) if outputs else 1
    args = []
    for port in spec.inputs:
        if port.optional and port.name not in inputs:
            continue
        for shape in inputs[port.name] if port.many else [inputs[port.name]]:
            if port.dtype == "index":
                args.append(torch.randint(0, max(limit, 1), (BATCH, *shape)))
            else:
                args.append(torch.randn(BATCH, *shape))
    return args


@pytest.mark.parametrize("type_id", LAYERS)
# torch only warns where Dropout2d gets (N, C, L) or 5-D input; the shape rule refuses them
@pytest.mark.filterwarnings("ignore:dropout2d. Received:UserWarning")
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_infer_shape_agrees_with_torch(type_id, data):
    spec = get(type_id)
    params, inputs = draw_case(data, spec)
    try:
        inferred = spec.infer_shape(params, inputs)
    except ShapeError as exc:
        assert str(exc).startswith(spec.title + " "), f"message must name the layer: {exc}"
        inferred = None
    try:
        module = spec.build(params, inputs)
        result = module(*make_tensors(spec, inputs, inferred))
    except Exception as exc:  # noqa: BLE001 - any torch refusal must have been predicted
        assert inferred is None, f"torch raised {type(exc).__name__}: {exc}\nbut infer_shape " \
                                 f"gave {inferred} for {params} on {inputs}"
        event("both refused")
        return
    if inferred is None:
        event("stricter than torch")  # allowed: no unbatched inputs, no empty outputs, ...
        return
    event("both accepted")
    result = result if isinstance(result, tuple) else (result,)
    got = {port.name: tuple(t.shape[1:]) for port, t in zip(spec.outputs, result)}
    assert got == inferred, f"{params} on {inputs}"
    assert all(t.shape[0] == (BATCH if spec.inputs else 1) for t in result)
    assert spec.count_params(params, inputs, inferred) == sum(
        p.numel() for p in module.parameters())
    if spec.macs is not None:
        assert spec.macs(params, inputs, inferred) >= 0
