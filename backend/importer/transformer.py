"""Hand-written nn.TransformerEncoderLayer and nn.TransformerEncoder on the PyTorch path.

torch.fx cannot trace them (their fast path branches on the data), so the tracer keeps
each as one call, and it becomes the library's TransformerEncoder block (norm_first: pre-norm)
or TransformerEncoderPostNorm, with Repeat x the stack's depth, the weights of every layer,
and the stack's final norm as a LayerNorm after it. A ReLU MLP (torch's default) uses a copy
of the block named "...ReLU" whose GELU is a ReLU. Outputs agree in eval mode; for training,
the block's dropout is torch's dropout1/dropout2 (after attention, after the MLP) and the
attention's own dropout; torch's dropout inside the MLP has no place in the block and is not
kept. What the block cannot express (masks, batch_first=False, no bias, another activation or
eps, unlike layers in one stack) is refused by name.
"""

from __future__ import annotations

from torch import nn

ENCODERS = (nn.TransformerEncoderLayer, nn.TransformerEncoder)
BLOCK_EPS = 1e-5  # the library block's LayerNorm eps
_WEIGHTS = {"self_attn.in_proj_weight": "attn.in_proj_weight",
            "self_attn.in_proj_bias": "attn.in_proj_bias",
            "self_attn.out_proj.weight": "attn.out_proj.weight",
            "self_attn.out_proj.bias": "attn.out_proj.bias",
            "linear1.weight": "fc1.weight", "linear1.bias": "fc1.bias",
            "linear2.weight": "fc2.weight", "linear2.bias": "fc2.bias",
            "norm1.weight": "ln1.weight", "norm1.bias": "ln1.bias",
            "norm2.weight": "ln2.weight", "norm2.bias": "ln2.bias"}


class EncoderProblem(ValueError):
    """What keeps a transformer encoder from mapping onto the block (a one-line reason)."""


def _layers(module: nn.Module) -> tuple[list[nn.TransformerEncoderLayer], nn.LayerNorm | None]:
    if isinstance(module, nn.TransformerEncoderLayer):
        return [module], None
    return list(module.layers), module.norm


def _config(layer: nn.TransformerEncoderLayer) -> dict:
    """The block settings of one torch layer; raises EncoderProblem for what it cannot hold."""
    attn = layer.self_attn
    if not attn.batch_first:
        raise EncoderProblem("batch_first=False: NetCanvas sequences are (N, T, F); "
                             "build the layer with batch_first=True")
    if layer.linear1.bias is None or attn.in_proj_bias is None:
        raise EncoderProblem("bias=False has no TransformerEncoder block form")
    activation = {1: "relu", 2: "gelu"}.get(layer.activation_relu_or_gelu)
    if activation is None:
        raise EncoderProblem(f"activation {layer.activation!r}: the block's MLP uses GELU or ReLU")
    if {layer.norm1.eps, layer.norm2.eps} != {BLOCK_EPS}:
        raise EncoderProblem(f"layer_norm_eps={layer.norm1.eps}: the block's LayerNorms use "
                             f"{BLOCK_EPS}")
    if layer.dropout1.p != layer.dropout2.p:
        raise EncoderProblem("dropout1 and dropout2 differ: the block has one dropout")
    return {"pre_norm": layer.norm_first, "activation": activation,
            "heads": attn.num_heads, "mlp_dim": layer.linear1.out_features,
            "d_model": layer.linear2.out_features, "dropout": float(layer.dropout1.p),
            "attention_dropout": float(attn.dropout)}


def check_call(module: nn.Module, args: tuple, kwargs: dict) -> None:
    """Masks and causality passed to the call have no block form: refused by name."""
    names = ("src", "mask" if isinstance(module, nn.TransformerEncoder) else "src_mask",
             "src_key_padding_mask", "is_causal")
    call = dict(zip(names, args)) | dict(kwargs)
    for name in names[1:]:
        if call.get(name) not in (None, False):
            raise EncoderProblem(f"{name} has no TransformerEncoder block form on import")


def encoder_block(module: nn.Module) -> tuple[str, dict, dict, dict, nn.LayerNorm | None]:
    """(block name, instance params, inner params to set, weights by path under the instance,
    the final norm or None) for a torch encoder layer or stack."""
    layers, norm = _layers(module)
    configs = [_config(layer) for layer in layers]
    if any(c != configs[0] for c in configs):
        raise EncoderProblem("the stack's layers are configured differently: a block "
                             "repeats one definition")
    config = configs[0]
    name = "TransformerEncoder" + ("" if config["pre_norm"] else "PostNorm")
    if config["activation"] == "relu":
        name += "ReLU"
    params = {"block": name, "repeat": len(layers), "d_model": config["d_model"],
              "heads": config["heads"], "mlp_dim": config["mlp_dim"],
              "dropout": config["dropout"]}
    weights = {}
    for i, layer in enumerate(layers):
        prefix = f"{i}." if len(layers) > 1 else ""
        state = layer.state_dict()
        for theirs, ours in _WEIGHTS.items():
            weights[prefix + ours] = state[theirs].detach().cpu().contiguous()
    return name, params, {"attn": {"dropout": config["attention_dropout"]}}, weights, norm


def add_definition(blocks, name: str, inner: dict) -> None:
    """The library's encoder block (or its ReLU copy) with `inner` params set, under `name`,
    into `blocks`, where missing; one already there must hold the same `inner` params."""
    from netcanvas.backend.blocks.io import blocks_from_dict
    from netcanvas.backend.blocks.library import builtin_blocks

    if name in blocks:
        inner_graph = blocks[name].graph
        for node, params in inner.items():
            held = inner_graph.by_name(node).params
            if any(held[k] != v for k, v in params.items()):
                raise EncoderProblem(f"its {node} settings {params} differ from an earlier "
                                     f"encoder's, which share the block {name}")
        return
    base = name.removesuffix("ReLU")
    raw = builtin_blocks()[base][base]
    for node in raw["graph"]["nodes"]:
        node["params"].update(inner.get(node["name"], {}))
        if name != base and node["type"] == "gelu":
            node["type"], node["params"], node["name"] = "relu", {}, "relu"
    if name != base:
        raw["doc"] = raw["doc"].replace("GELU", "ReLU")
    blocks_from_dict({name: raw}, into=blocks)
