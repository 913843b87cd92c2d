"""The sequence layers' shape rules against what torch computes, on random shapes and
settings (test_layers.py checks each on one example input)."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from netcanvas.backend.registry import get
from test_layers import tensors

torch.set_num_threads(2)
SIZES = st.integers(1, 7)


def case(data, type_id: str) -> tuple[dict, dict]:
    """(params, inputs) for `type_id`, drawn at random."""
    steps, features = data.draw(SIZES), data.draw(SIZES)
    draw = data.draw
    if type_id == "embedding":
        return ({"num_embeddings": draw(SIZES), "embedding_dim": draw(SIZES)}, {"x": (steps,)})
    if type_id in ("lstm", "gru"):
        return ({"hidden_size": draw(SIZES), "num_layers": draw(st.integers(1, 3)),
                 "bidirectional": draw(st.booleans())}, {"x": (steps, features)})
    if type_id == "positional_encoding":
        return {"kind": draw(st.sampled_from(["learned", "sinusoidal"]))}, {"x": (steps, features)}
    if type_id == "class_token":
        return {"count": draw(st.integers(1, 3))}, {"x": (steps, features)}
    if type_id == "patch_embedding":
        ph, pw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        image = (draw(st.integers(1, 3)), ph * draw(SIZES), pw * draw(SIZES))
        return {"patch_size": (ph, pw), "embed_dim": draw(SIZES)}, {"x": image}
    if type_id == "sequence_pool":
        inputs = {"x": (steps, features)}
        if draw(st.booleans()):
            inputs["mask"] = (steps,)
        return {"mode": draw(st.sampled_from(["mean", "first", "last", "max"]))}, inputs
    heads = draw(st.integers(1, 3))
    inputs = {"x": (steps, heads * features)}
    keys = steps
    if draw(st.booleans()):
        keys = draw(SIZES)
        inputs["context"] = (keys, heads * features)
    if draw(st.booleans()):
        inputs["key_mask"] = (keys,)
    return {"num_heads": heads, "causal": draw(st.booleans()) and keys == steps}, inputs


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_inferred_shapes_are_what_torch_computes(data):
    type_id = data.draw(st.sampled_from(["embedding", "lstm", "gru", "positional_encoding",
                                         "class_token", "patch_embedding", "sequence_pool",
                                         "multihead_attention"]))
    spec = get(type_id)
    params, inputs = case(data, type_id)
    params = spec.validate_params(params)
    shapes = spec.infer_shape(params, inputs)
    module = spec.build(params, inputs).eval()
    wired = [port.name for port in spec.inputs if port.name in inputs]
    first, *rest = tensors(spec, inputs)
    with torch.no_grad():  # optional ports by name, as compiled graphs pass them
        out = module(first, **dict(zip(wired[1:], rest)))
    out = out if isinstance(out, tuple) else (out,)
    got = {port.name: tuple(y.shape[1:]) for port, y in zip(spec.outputs, out)}
    assert got == shapes, (type_id, params, inputs)
    params_count = spec.count_params(params, inputs, shapes)
    assert params_count == sum(p.numel() for p in module.parameters())
