"""The block library: the course's "Lego pieces" built in, and the user's own blocks in a
file in the user data directory.

A library entry is a "blocks" section (`{name: definition dict, ...}`, the definition and
every block it contains), what `AddBlock` copies into a project, so a project file stays
self-contained.
"""

from __future__ import annotations

import functools
import json
import os
import random
import uuid
from pathlib import Path
from typing import Any

from netcanvas.backend.blocks.definition import BlockDef, BlockSet, Branch, Exposed, Test
from netcanvas.backend.blocks.io import blocks_from_dict, blocks_to_dict
from netcanvas.backend.graph import BLOCK, Graph, Node
from netcanvas.backend.graph.layout import MAX_COLUMNS, folded, layered_layout
from netcanvas.backend.registry import Param
from netcanvas.backend.registry.layers.common import dropout

CARD = (152.0, 117.0)  # the editor's card size, for laying out inner graphs
LIBRARY_FILE = "blocks.json"
_BIG = 1 << 16


class _Def:
    """An inner graph under construction, with seeded ids so the library is stable."""

    def __init__(self, name: str, blocks: BlockSet) -> None:
        self.name, self.blocks = name, blocks
        self.graph = Graph(blocks=blocks, owner=name)
        self._rng = random.Random(name)

    def add(self, type_id: str, *inputs: Node | tuple[Node, str], name: str | None = None,
            **params) -> Node:
        stem = self.graph.resolve(type_id, params).module_prefix or type_id
        node = self.graph.add_node(Node(uuid.UUID(int=self._rng.getrandbits(128), version=4).hex,
                                        type_id, name or self.graph.unique_name(stem), params))
        for src in inputs:
            src, port = src if isinstance(src, tuple) else (src, None)
            self.graph.connect(src, node, src_port=port)
        return node

    def conv(self, x: Node, name: str, channels: int, k: int = 3, **params) -> Node:
        return self.add("conv2d", x, name=name, out_channels=channels, kernel_size=k,
                        padding=k // 2, **params)

    def done(self, exposed: list[Exposed], branches: list[Branch] = (), doc: str = "") -> None:
        edges = [(e.src, e.dst) for e in self.graph.edges]
        sizes = dict.fromkeys(self.graph.nodes, CARD)
        spots = layered_layout(list(self.graph.nodes), edges, sizes)
        for nid, spot in folded(spots, sizes, max_columns=MAX_COLUMNS).items():
            self.graph.move(nid, spot)
        self.blocks.add(BlockDef(self.name, self.graph, list(exposed), list(branches), doc))


def _int(name: str, default: int, doc: str, lo: int = 1) -> Param:
    return Param(name, "int", default, doc, min=lo, max=_BIG)


def _channels(default: int, *targets: str, doc: str = "Output channels.") -> Exposed:
    return Exposed(_int("channels", default, doc), tuple((t, "out_channels") for t in targets))


def _stride(*targets: str) -> Exposed:
    return Exposed(_int("stride", 1, "Stride of the first repetition (2 halves the size); later "
                                     "repetitions use 1."),
                   tuple((t, "stride") for t in targets), later=1)


SHORTCUT_WHEN = (Test("stride", "!=", 1), Test("x.channels", "!=", "channels"))


def _conv_relu(blocks: BlockSet) -> None:
    d = _Def("ConvReLU", blocks)
    x = d.add("input", name="x", shape=(3, 32, 32))
    y = d.add("relu", d.conv(x, "conv", 64), name="relu")
    d.add("output", y, name="y", loss="none")
    d.done([_channels(64, "conv")], doc="A 3x3 convolution (padding 1) and a ReLU: VGG's unit.")


def _vgg_block(blocks: BlockSet) -> None:
    d = _Def("VGGBlock", blocks)
    x = d.add("input", name="x", shape=(3, 32, 32))
    y = d.add(BLOCK, x, name="convs", block="ConvReLU", repeat=2, channels=64)
    y = d.add("max_pool2d", y, name="pool")
    d.add("output", y, name="y", loss="none")
    d.done([Exposed(_int("channels", 64, "Channels of every convolution."),
                    (("convs", "channels"),)),
            Exposed(_int("convs", 2, "How many conv-ReLU pairs before the pool."),
                    (("convs", "repeat"),))],
           doc="VGG stage: n x (3x3 conv + ReLU), then 2x2 max-pool halving the size.")


def _conv_bn(d: _Def, x: Node, i: int, channels: int, k: int = 3, relu: bool = True) -> Node:
    """conv<i> (no bias) -> bn<i> [-> relu<i>]."""
    y = d.add("batch_norm2d", d.conv(x, f"conv{i}", channels, k, bias=False), name=f"bn{i}")
    return d.add("relu", y, name=f"relu{i}") if relu else y


def _shortcut_sum(d: _Def, x: Node, y: Node, channels: int, relu: str) -> list[Branch]:
    """y + the input (through the optional 1x1 conv-BN downsample), ReLU, the output;
    returns the downsample's branch."""
    down = d.add("batch_norm2d", d.conv(x, "down_conv", channels, 1, bias=False), name="down_bn")
    y = d.add("relu", d.add("add", y, down, name="add"), name=relu)
    d.add("output", y, name="y", loss="none")
    return [Branch(("down_conv", "down_bn"), SHORTCUT_WHEN)]


def _basic_block(blocks: BlockSet) -> None:
    d = _Def("BasicBlock", blocks)
    x = d.add("input", name="x", shape=(64, 56, 56))
    y = _conv_bn(d, _conv_bn(d, x, 1, 64), 2, 64, relu=False)
    shortcut = _shortcut_sum(d, x, y, 64, "relu2")
    d.done([_channels(64, "conv1", "conv2", "down_conv"), _stride("conv1", "down_conv")],
           shortcut, doc="ResNet basic block: two 3x3 conv-BN, plus the input (through a 1x1 conv-BN "
               "downsample when the stride or the channels change), then ReLU.")


def _bottleneck(blocks: BlockSet) -> None:
    d = _Def("Bottleneck", blocks)
    x = d.add("input", name="x", shape=(256, 56, 56))
    y = _conv_bn(d, _conv_bn(d, _conv_bn(d, x, 1, 64, 1), 2, 64), 3, 256, 1, relu=False)
    shortcut = _shortcut_sum(d, x, y, 256, "relu3")
    d.done([Exposed(_int("width", 64, "Channels of the inner 1x1 and 3x3 convolutions."),
                    (("conv1", "out_channels"), ("conv2", "out_channels"))),
            _channels(256, "conv3", "down_conv", doc="Output channels (4 x width in ResNet-50)."),
            _stride("conv2", "down_conv")],
           shortcut, doc="ResNet bottleneck: 1x1 conv narrows, 3x3 conv, 1x1 conv widens, each with BN; "
               "plus the input (1x1 downsample when the stride or the channels change).")


def _inception(blocks: BlockSet) -> None:
    d = _Def("Inception", blocks)
    x = d.add("input", name="x", shape=(32, 8, 8))
    b1 = d.add("relu", d.conv(x, "b1_conv", 16, 1), name="b1_relu")
    b3 = d.add("relu", d.conv(x, "b3_reduce", 16, 1), name="b3_relu1")
    b3 = d.add("relu", d.conv(b3, "b3_conv", 24), name="b3_relu2")
    b5 = d.add("relu", d.conv(x, "b5_reduce", 8, 1), name="b5_relu1")
    b5 = d.add("relu", d.conv(b5, "b5_conv", 8, 5), name="b5_relu2")
    bp = d.add("max_pool2d", x, name="pool", kernel_size=3, stride=1, padding=1)
    bp = d.add("relu", d.conv(bp, "pool_proj", 8, 1), name="pool_relu")
    y = d.add("concat", b1, b3, b5, bp, name="concat", dim=1)
    d.add("output", y, name="y", loss="none")

    def width(name: str, default: int, target: str, doc: str) -> Exposed:
        return Exposed(_int(name, default, doc), ((target, "out_channels"),))

    d.done([width("c1", 16, "b1_conv", "1x1 branch channels."),
            width("c3_reduce", 16, "b3_reduce", "1x1 reduction before the 3x3."),
            width("c3", 24, "b3_conv", "3x3 branch channels."),
            width("c5_reduce", 8, "b5_reduce", "1x1 reduction before the 5x5."),
            width("c5", 8, "b5_conv", "5x5 branch channels."),
            width("pool_proj", 8, "pool_proj", "Pooling branch channels.")],
           doc="Inception (v1): 1x1, 3x3 and 5x5 convolutions and a pooling branch side by "
               "side, joined by Concat along the channels.")


def _two_stream(blocks: BlockSet) -> None:
    d = _Def("TwoStreamStem", blocks)
    streams = []
    for s in ("a", "b"):
        x = d.add("input", name=s, shape=(1, 8, 8))
        x = d.add("relu", d.conv(x, f"{s}_conv", 16), name=f"{s}_relu")
        streams.append(d.add("max_pool2d", x, name=f"{s}_pool"))
    d.add("output", d.add("concat", *streams, name="concat", dim=1), name="y", loss="none")
    d.done([_channels(16, "a_conv", "b_conv", doc="Channels of each stream.")],
           doc="FlowNet-style stem: two inputs, each through its own conv-ReLU-pool, joined "
               "by Concat.")


def _encoder_decoder(blocks: BlockSet) -> None:
    d = _Def("EncoderDecoder", blocks)
    x = d.add("input", name="x", shape=(1, 8, 8))
    x = d.add("relu", d.conv(x, "enc_conv", 16), name="enc_relu")
    pool = d.add("max_pool2d", x, name="pool")
    code = d.add("relu", d.conv(pool, "mid_conv", 32), name="mid_relu")
    y = d.add("relu", d.conv(code, "mid_out", 16), name="mid_out_relu")
    y = d.add("max_unpool2d", y, (pool, "indices"), name="unpool")
    y = d.add("relu", d.conv(y, "dec_conv", 16), name="dec_relu")
    d.add("output", y, name="y", loss="none")
    d.add("output", code, name="features", loss="none")
    d.done([_channels(16, "enc_conv", "mid_out", "dec_conv", doc="Encoder/decoder channels."),
            Exposed(_int("mid_channels", 32, "Channels at the bottom (the features output)."),
                    (("mid_conv", "out_channels"),))],
           doc="Encoder-decoder stage: conv, max-pool keeping its indices, a middle conv, "
               "max-unpool back to the pooled positions, conv. Outputs the decoded map and "
               "the middle features.")


def _encoder(blocks: BlockSet, name: str, pre_norm: bool, masked: bool = False) -> None:
    """A transformer encoder layer on (T, d_model) sequences: attention and an MLP, each
    with a residual connection, normalised before (pre-norm) or after (post-norm); `masked`
    adds a second input, the padding mask, for the attention's key_mask."""
    d = _Def(name, blocks)
    x = d.add("input", name="x", shape=(16, 64))
    y = d.add("layer_norm", x, name="ln1") if pre_norm else x
    attn = d.add("multihead_attention", y, name="attn", num_heads=4)
    if masked:
        d.graph.connect(d.add("input", name="mask", shape=(16,)), attn, dst_port="key_mask")
    y = d.add("dropout", attn, name="drop1", p=0.0)
    y = d.add("add", x, y, name="add1")
    mid = y if pre_norm else d.add("layer_norm", y, name="ln1")
    y = d.add("layer_norm", mid, name="ln2") if pre_norm else mid
    y = d.add("gelu", d.add("linear", y, name="fc1", out_features=128), name="gelu")
    y = d.add("dropout", d.add("linear", y, name="fc2", out_features=64), name="drop2", p=0.0)
    y = d.add("add", mid, y, name="add2")
    d.add("output", y if pre_norm else d.add("layer_norm", y, name="ln2"), name="y", loss="none")
    where = ("LayerNorm before each (pre-norm: ViT, GPT-2; trains stably without warm-up)"
             if pre_norm else "LayerNorm after each sum (post-norm: the original transformer, "
             "BERT)")
    stack = ("Its second input `mask` (N, T), 1 at real steps and 0 at padding, hides the "
             "padded steps from the attention. Stack these as separate blocks, each fed the "
             "same mask (Repeat takes one input)." if masked else
             "A transformer is a stack of these: set Repeat to N.")
    d.done([Exposed(_int("d_model", 64, "Features of each token; must match the input's."),
                    (("fc2", "out_features"),)),
            Exposed(_int("heads", 4, "Attention heads; d_model must divide by it."),
                    (("attn", "num_heads"),)),
            Exposed(_int("mlp_dim", 128, "Hidden units of the MLP (mlp ratio x d_model; "
                         "usually 2 to 4 times d_model)."), (("fc1", "out_features"),)),
            Exposed(dropout("Dropout after attention and after the MLP (training only)."),
                    (("drop1", "p"), ("drop2", "p")))],
           doc=f"Transformer encoder layer: self-attention and a two-layer GELU MLP, each "
               f"added back to its input, with {where}. {stack}")


def _transformer_encoder(blocks: BlockSet) -> None:
    _encoder(blocks, "TransformerEncoder", pre_norm=True)


def _transformer_encoder_post_norm(blocks: BlockSet) -> None:
    _encoder(blocks, "TransformerEncoderPostNorm", pre_norm=False)


def _masked_transformer_encoder(blocks: BlockSet) -> None:
    _encoder(blocks, "MaskedTransformerEncoder", pre_norm=True, masked=True)


def _vit_stem(blocks: BlockSet) -> None:
    d = _Def("ViTStem", blocks)
    x = d.add("input", name="x", shape=(1, 8, 8))
    y = d.add("patch_embedding", x, name="patch", patch_size=(2, 2), embed_dim=64)
    y = d.add("positional_encoding", d.add("class_token", y, name="cls"), name="pos")
    d.add("output", y, name="y", loss="none")
    d.done([Exposed(Param("patch_size", "ints", (2, 2), "Patch height and width; they must "
                          "tile the image.", length=2, min=1, max=4096),
                    (("patch", "patch_size"),)),
            Exposed(_int("d_model", 64, "Features of each token."),
                    (("patch", "embed_dim"),))],
           doc="Vision transformer stem: the image cut into patches, each projected to a "
               "token; a learned class token in front; learned positions added. (N, C, H, W) "
               "becomes (N, 1 + patches, d_model) for TransformerEncoder blocks.")


def _squeeze_excitation(blocks: BlockSet) -> None:
    d = _Def("SqueezeExcitation", blocks)
    x = d.add("input", name="x", shape=(64, 16, 16))
    gate = d.add("relu", d.conv(d.add("adaptive_avg_pool2d", x, name="pool",
                                                      output_size=(1, 1)), "fc1", 16, 1),
                 name="relu")
    gate = d.add("sigmoid", d.conv(gate, "fc2", 64, 1), name="gate")
    d.add("output", d.add("broadcast_mul", x, name="scale"), name="y", loss="none")
    d.graph.connect(gate, d.graph.by_name("scale"), dst_port="other")
    d.done([_channels(64, "fc2", doc="Channels of the input (the gate has one per channel)."),
            Exposed(_int("squeeze", 16, "Channels of the bottleneck between the two 1x1 "
                         "convolutions (input channels / 4 in MobileNetV3, / 16 in SENet)."),
                    (("fc1", "out_channels"),))],
           doc="Squeeze-and-excitation: the input averaged over its positions, squeezed by a "
               "1x1 conv and ReLU, widened back by a 1x1 conv and a sigmoid, then multiplies "
               "each channel of the input by its gate (torchvision's SqueezeExcitation).")


def _depthwise(d: _Def, x: Node, name: str, channels: int, k: int = 3, **params) -> Node:
    return d.conv(x, name, channels, k, groups=channels, **params)


def _inverted_residual(blocks: BlockSet) -> None:
    d = _Def("InvertedResidual", blocks)
    x = d.add("input", name="x", shape=(32, 16, 16))
    y = d.add("relu6", d.add("batch_norm2d", d.conv(x, "expand", 192, 1, bias=False),
                             name="expand_bn"), name="expand_relu")
    y = d.add("relu6", d.add("batch_norm2d", _depthwise(d, y, "depthwise", 192, bias=False),
                             name="depthwise_bn"), name="depthwise_relu")
    y = d.add("batch_norm2d", d.conv(y, "project", 32, 1, bias=False), name="project_bn")
    d.add("output", d.add("add", x, y, name="add"), name="y", loss="none")
    d.done([_channels(32, "project", doc="Output channels: the input's (the block adds its "
                      "input back)."),
            Exposed(_int("hidden", 192, "Channels of the expanded middle (expand ratio x input "
                         "channels: 6x in MobileNetV2); the depthwise conv has one group each."),
                    (("expand", "out_channels"), ("depthwise", "out_channels"),
                     ("depthwise", "groups")))],
           doc="MobileNetV2 inverted residual: a 1x1 conv widens, a 3x3 depthwise conv filters "
               "each channel alone, a 1x1 conv narrows back without an activation, each with "
               "BN (ReLU6 after the first two); the input is added back. This is the stride-1 "
               "form with as many channels out as in; a stage's first block, which strides or "
               "widens, has no residual.")


def _convnext(blocks: BlockSet) -> None:
    d = _Def("ConvNeXtBlock", blocks)
    x = d.add("input", name="x", shape=(96, 16, 16))
    y = d.add("layer_norm_channels", _depthwise(d, x, "depthwise", 96, 7), name="norm",
              eps=1e-6)
    y = d.add("gelu", d.conv(y, "fc1", 384, 1), name="gelu")
    y = _depthwise(d, d.conv(y, "fc2", 96, 1), "layer_scale", 96, 1, bias=False)
    y = d.add("stochastic_depth", y, name="drop_path", p=0.0)
    d.add("output", d.add("add", x, y, name="add"), name="y", loss="none")
    d.done([Exposed(_int("channels", 96, "Channels of the input and the output."),
                    (("depthwise", "out_channels"), ("depthwise", "groups"),
                     ("fc2", "out_channels"), ("layer_scale", "out_channels"),
                     ("layer_scale", "groups"))),
            Exposed(_int("hidden", 384, "Channels of the MLP's middle (4x the channels)."),
                    (("fc1", "out_channels"),)),
            Exposed(Param("drop_path", "float", 0.0, "Stochastic depth: the chance a sample "
                          "skips the block in training.", min=0.0, max=0.99),
                    (("drop_path", "p"),))],
           doc="ConvNeXt block: a 7x7 depthwise conv, LayerNorm over the channels, a 1x1 conv "
               "MLP (4x wider, GELU), a learned per-channel layer scale (a depthwise 1x1 conv "
               "without bias), stochastic depth, and the input added back (torchvision's "
               "CNBlock, its Linear layers as 1x1 convolutions).")


BUILTIN = (_conv_relu, _vgg_block, _basic_block, _bottleneck, _inception, _two_stream,
           _encoder_decoder, _transformer_encoder, _transformer_encoder_post_norm,
           _masked_transformer_encoder, _vit_stem, _squeeze_excitation, _inverted_residual,
           _convnext)


@functools.cache
def _builtin_json() -> str:
    blocks = BlockSet()
    for make in BUILTIN:
        make(blocks)
    return json.dumps(blocks_to_dict(blocks))


def builtin_blocks() -> dict[str, dict[str, Any]]:
    """Each built-in block by name, as the "blocks" section it needs (itself and the
    blocks inside it). A fresh copy on every call."""
    everything = json.loads(_builtin_json())
    return {name: section(everything, name) for name in everything}


def section(raw_blocks: dict[str, Any], name: str) -> dict[str, Any]:
    """`name` and every definition it contains, at any depth, from a "blocks" section."""
    out, stack = {}, [name]
    while stack:
        current = stack.pop()
        if current in out:
            continue
        out[current] = raw_blocks[current]
        stack += [n["params"]["block"] for n in raw_blocks[current]["graph"]["nodes"]
                  if n["type"] == BLOCK]
    return dict(reversed(list(out.items())))


def add_builtin(blocks: BlockSet, name: str) -> None:
    """Copy built-in block `name` (and what it contains) into `blocks` where missing."""
    missing = {k: v for k, v in builtin_blocks()[name].items() if k not in blocks}
    blocks_from_dict(missing, into=blocks)


# ---- the user's library ---------------------------------------------------------------
def user_library_path() -> Path:
    """$NETCANVAS_DATA_DIR/blocks.json, else the user data directory's."""
    from netcanvas.backend.runs import data_dir
    return data_dir() / LIBRARY_FILE


def load_user_library(path: str | os.PathLike | None = None) -> dict[str, dict[str, Any]]:
    """The user's blocks by name, each as its "blocks" section; {} when there is no file.
    A damaged file raises ProjectFileError naming it and the field."""
    from netcanvas.backend.project_io import ProjectFileError, read_json
    path = Path(path) if path is not None else user_library_path()
    if not path.exists():
        return {}
    raw = read_json(path)
    try:
        if not isinstance(raw, dict) or not isinstance(raw.get("blocks"), dict):
            raise ProjectFileError("expected {\"blocks\": {...}}", "blocks")
        blocks_from_dict(raw["blocks"])  # every definition checked
    except ProjectFileError as exc:
        exc.path = path
        raise
    return {name: section(raw["blocks"], name) for name in raw["blocks"]}


def save_to_user_library(blocks: BlockSet, name: str,
                         path: str | os.PathLike | None = None) -> Path:
    """Add (or replace) block `name` of a project, with the blocks inside it, in the
    user's library file; returns the file."""
    from netcanvas.backend.project_io import write_atomic
    path = Path(path) if path is not None else user_library_path()
    current = {}
    for entry in load_user_library(path).values():
        current.update(entry)
    current.update(section(blocks_to_dict(blocks), name))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps({"blocks": current}, indent=2, ensure_ascii=False) + "\n")
    return path
