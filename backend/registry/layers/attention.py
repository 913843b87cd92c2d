"""Multi-head attention, self or cross, with optional padding and causal masks and the
attention weights as an output of their own (Try it draws them)."""

from __future__ import annotations

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import bias, dropout, fmt, only, single
from netcanvas.backend.registry.layers.sequence import SEQUENCE, _mask, _sequence
from netcanvas.backend.registry.spec import ImportForm, LayerSpec, Param, Port, ShapeError

TITLE = "MultiheadAttention"


def _keys(params: dict, inputs: dict) -> tuple[int, int, int]:
    """(T, S, D): query steps, key steps, features; checks heads and the context."""
    steps, features = _sequence(TITLE, inputs)
    if features % params["num_heads"]:
        raise ShapeError(f"{TITLE} needs features divisible by num_heads: {features} "
                         f"features do not split into {params['num_heads']} heads")
    keys = steps
    if "context" in inputs:
        keys, width = _sequence(TITLE, inputs, "context")
        if width != features:
            raise ShapeError(f"{TITLE} context must have the query's {features} features, "
                             f"got {fmt(tuple(inputs['context']))}")
    _mask(TITLE, inputs, keys, "key_mask")
    return steps, keys, features


def _shape(params: dict, inputs: dict) -> dict:
    steps, keys, features = _keys(params, inputs)
    return {"y": (steps, features), "weights": (params["num_heads"], steps, keys)}


def _count(params: dict, inputs: dict, outputs: dict) -> int:
    d = single(inputs)[-1]
    return 4 * d * d + (4 * d if params["bias"] else 0)


def _macs(params: dict, inputs: dict, outputs: dict) -> int:
    steps, keys, d = _keys(params, inputs)
    projections = steps * d * d * 2 + keys * d * d * 2  # q and output; k and v
    return projections + 2 * steps * keys * d  # scores, weighted sum


def _build(params: dict, inputs: dict, return_weights: bool = True):
    from netcanvas.backend.registry.layers.sequence_modules import Attention

    return Attention(single(inputs)[-1], params["num_heads"], dropout=params["dropout"],
                     bias=params["bias"], causal=params["causal"],
                     return_weights=return_weights)


def _read(values: dict) -> dict:
    """nn.MultiheadAttention keeps no `bias` attribute: its in_proj_bias comes with the
    weights (a model without it fails to load them, by name)."""
    only("batch_first", values.get("batch_first"), (True,))
    only("add_bias_kv", values.get("add_bias_kv", False), (False,))
    only("add_zero_attn", values.get("add_zero_attn", False), (False,))
    only("kdim", values.get("kdim"), (None, values["embed_dim"]))
    return {"num_heads": values["num_heads"], "dropout": values["dropout"]}


register(LayerSpec(
    type_id="multihead_attention", title=TITLE, category="Sequence",
    doc="Each step of the sequence asks a question (query) of every step (keys) and takes a "
        "weighted mix of their values; num_heads such mixes run side by side on slices of "
        "the features. Unwired `context` means self-attention (the transformer encoder); "
        "wired, the queries attend to the context instead (cross-attention, as a decoder "
        "reads the encoder). `key_mask` (1 = real, 0 = padding) hides padded keys; `causal` "
        "lets step t see only steps up to t. `weights` (heads, T, S) is what each step "
        "looked at: Try it draws it.",
    inputs=(Port("x", doc=f"the queries {SEQUENCE}"),
            Port("context", optional=True, doc="optional keys and values (N, S, F) for "
                                               "cross-attention"),
            Port("key_mask", optional=True, discrete=True,
                 doc="optional (N, S): 1 at real keys, 0 at padding")),
    outputs=(Port("y", doc="the attended sequence (N, T, F)"),
             Port("weights", doc="attention weights (N, heads, T, S); each row sums to 1")),
    params=(Param("num_heads", "int", 2, "Heads; the features must divide by it.", min=1,
                  max=1024),
            Param("causal", "bool", False, "Step t attends only to steps <= t (a language "
                  "model's mask)."),
            dropout("Dropout on the attention weights (training only)."),
            bias("Learn biases in the projections.")),
    infer_shape=_shape, build=_build,
    build_first_output=lambda p, i: _build(p, i, return_weights=False),
    count_params=_count, macs=_macs, key_params=("num_heads",), module_prefix="attn",
    saves=("attention",),
    example_inputs={"x": (5, 8), "context": (3, 8), "key_mask": (3,)},
    imports=(ImportForm("nn.MultiheadAttention", read=_read),
             ImportForm("netcanvas.Attention")),
))
