"""Sequence layers: token embedding, recurrent layers (LSTM, GRU), positional encodings,
a class token, patch embedding and sequence pooling. Sequences are batch-first: a sample
is (T, F), T steps of F features, shown on the canvas as T×F."""

from __future__ import annotations

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import (
    bias,
    dropout,
    fmt,
    no_macs,
    numel,
    only,
    single,
)
from netcanvas.backend.registry.spec import ImportForm, LayerSpec, Param, Port, ShapeError

SEQUENCE = "(N, T, F)"
MAX_SIZE = 1_000_000


def _sequence(title: str, inputs: dict, port: str = "x") -> tuple[int, int]:
    shape = single(inputs, port)
    if len(shape) != 2:
        raise ShapeError(f"{title} expects a sequence {SEQUENCE}, got {fmt(shape)}")
    return shape


def _mask(title: str, inputs: dict, steps: int, port: str = "mask") -> None:
    if port in inputs and tuple(inputs[port]) != (steps,):
        raise ShapeError(f"{title} {port} must be (N, {steps}), one value per step; got "
                         f"{fmt(tuple(inputs[port]))}")


def _modules():
    from netcanvas.backend.registry.layers import sequence_modules

    return sequence_modules


# ---- Embedding --------------------------------------------------------------------------

def _embedding_shape(params: dict, inputs: dict) -> dict:
    shape = single(inputs)
    if not shape:
        raise ShapeError("Embedding expects token ids (N, T), got (N,)")
    pad = params["padding_idx"]
    if pad is not None and not -params["num_embeddings"] <= pad < params["num_embeddings"]:
        raise ShapeError(f"Embedding padding_idx {pad} is not one of the "
                         f"{params['num_embeddings']} token ids")
    return {"y": shape + (params["embedding_dim"],)}


def _embedding_build(params: dict, inputs: dict):
    return _modules().TokenEmbedding(params["num_embeddings"], params["embedding_dim"],
                                     padding_idx=params["padding_idx"])


def _read_embedding(values: dict) -> dict:
    only("max_norm", values.get("max_norm"), (None,))
    only("sparse", values.get("sparse", False), (False,))
    return {k: values[k] for k in ("num_embeddings", "embedding_dim", "padding_idx")}


register(LayerSpec(
    type_id="embedding", title="Embedding", category="Sequence",
    doc="Looks up a learned vector for each token id: (N, T) whole numbers in 0 .. "
        "num_embeddings-1 become (N, T, embedding_dim). It is a Linear layer applied to a "
        "one-hot code, without building the one-hot. The vector of padding_idx stays zero "
        "and is never trained, so padding carries no information.",
    inputs=(Port("x", discrete=True, doc="token ids, whole numbers (ids outside the vocabulary are "
                          "clamped into it)"),),
    outputs=(Port("y"),),
    params=(Param("num_embeddings", "int", 16, "Vocabulary size: how many token ids.",
                  min=1, max=10_000_000),
            Param("embedding_dim", "int", 16, "Length of each token's vector.", min=1,
                  max=MAX_SIZE),
            Param("padding_idx", "int", None, "The id of the padding token, if any.",
                  optional=True, min=-10_000_000, max=10_000_000)),
    infer_shape=_embedding_shape, build=_embedding_build,
    count_params=lambda p, i, o: p["num_embeddings"] * p["embedding_dim"], macs=no_macs,
    key_params=("embedding_dim",), module_prefix="embed", example_inputs={"x": (6,)},
    saves=("ids",),
    imports=(ImportForm("nn.Embedding", read=_read_embedding),
             ImportForm("netcanvas.TokenEmbedding", read=_read_embedding)),
))


# ---- LSTM and GRU -----------------------------------------------------------------------

def _recurrent(type_id: str, title: str, cls: str, gates: int, doc: str) -> None:
    def infer(params: dict, inputs: dict) -> dict:
        steps, _ = _sequence(title, inputs)
        width = params["hidden_size"] * (2 if params["bidirectional"] else 1)
        return {"y": (steps, width), "h": (width,)}

    def layer_inputs(params: dict, features: int):
        width = params["hidden_size"] * (2 if params["bidirectional"] else 1)
        return [features] + [width] * (params["num_layers"] - 1)

    def count(params: dict, inputs: dict, outputs: dict) -> int:
        hidden, directions = params["hidden_size"], 2 if params["bidirectional"] else 1
        biases = 2 * gates * hidden if params["bias"] else 0
        return directions * sum(gates * hidden * (n + hidden) + biases
                                for n in layer_inputs(params, single(inputs)[-1]))

    def macs(params: dict, inputs: dict, outputs: dict) -> int:
        steps, features = single(inputs)
        hidden, directions = params["hidden_size"], 2 if params["bidirectional"] else 1
        return steps * directions * sum(gates * hidden * (n + hidden)
                                        for n in layer_inputs(params, features))

    def build(params: dict, inputs: dict, final_state: bool = True):
        return getattr(_modules(), cls)(
            single(inputs)[-1], params["hidden_size"], num_layers=params["num_layers"],
            bidirectional=params["bidirectional"], bias=params["bias"],
            dropout=params["dropout"] if params["num_layers"] > 1 else 0.0,
            final_state=final_state)

    def read(values: dict) -> dict:
        only("batch_first", values.get("batch_first", True), (True,))  # LSTMSequence's always is
        only("proj_size", values.get("proj_size", 0), (0,))
        return {k: values[k] for k in ("hidden_size", "num_layers", "bidirectional", "bias",
                                       "dropout")}

    register(LayerSpec(
        type_id=type_id, title=title, category="Sequence", doc=doc,
        inputs=(Port("x", doc=f"a batch-first sequence {SEQUENCE}"),),
        outputs=(Port("y", doc="the last layer's output at every step (N, T, H), both "
                               "directions side by side"),
                 Port("h", doc="the last layer's final hidden state (N, H): what a "
                               "classifier of whole sequences reads")),
        params=(Param("hidden_size", "int", 16, "Features of the hidden state.", min=1,
                      max=MAX_SIZE),
                Param("num_layers", "int", 1, "Recurrent layers stacked on each other.",
                      min=1, max=64),
                Param("bidirectional", "bool", False, "Also read the sequence backwards and "
                      "join both directions (doubles the output features)."),
                dropout("Dropout between stacked layers (training only; needs num_layers "
                        "> 1)."),
                bias("Learn the gates' biases.")),
        infer_shape=infer, build=build,
        build_first_output=lambda p, i: build(p, i, final_state=False),
        count_params=count, macs=macs, key_params=("hidden_size", "num_layers"),
        module_prefix=type_id, example_inputs={"x": (5, 4)}, saves=("recurrent",),
        imports=(ImportForm(f"nn.{title}", read=read), ImportForm(f"netcanvas.{cls}", read=read)),
    ))


_recurrent("lstm", "LSTM", "LSTMSequence", 4,
           "A long short-term memory layer reads a sequence step by step, carrying a hidden "
           "state and a cell state. Its input, forget and output gates decide what to keep, "
           "so gradients survive over many steps where a plain RNN's vanish. Sequences are "
           "batch-first (N, T, F). `y` is the output at every step (for tagging or another "
           "layer), `h` the final hidden state (for classifying the whole sequence).")
_recurrent("gru", "GRU", "GRUSequence", 3,
           "A gated recurrent unit: an LSTM simplified to two gates (update, reset) and one "
           "state, with a quarter fewer weights and usually as good. Sequences are "
           "batch-first (N, T, F). `y` is the output at every step, `h` the final hidden "
           "state (for forecasting or classifying the whole sequence).")


# ---- Positional encoding, class token, patch embedding -------------------------------------

def _positional_build(params: dict, inputs: dict):
    steps, features = single(inputs)
    return _modules().PositionalEncoding(steps, features, params["kind"])


register(LayerSpec(
    type_id="positional_encoding", title="PositionalEncoding", category="Sequence",
    doc="Adds a code for each position to a sequence (N, T, F). Attention by itself treats "
        "its input as a set: without positions a transformer cannot tell 'ab' from 'ba'. "
        "Learned: one trained vector per position (ViT, BERT). Sinusoidal: fixed sines and "
        "cosines of many frequencies (the original transformer), nothing to train.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("kind", "choice", "learned", "Learned vectors or fixed sinusoids.",
                  choices=("learned", "sinusoidal")),),
    infer_shape=lambda p, i: {"y": _sequence("PositionalEncoding", i)},
    build=_positional_build,
    count_params=lambda p, i, o: numel(single(i)) if p["kind"] == "learned" else 0,
    key_params=("kind",), module_prefix="pos", example_inputs={"x": (5, 4)}, saves=(),
    imports=(ImportForm("netcanvas.PositionalEncoding"),),
))


def _class_token_shape(params: dict, inputs: dict) -> dict:
    steps, features = _sequence("ClassToken", inputs)
    return {"y": (steps + params["count"], features)}


register(LayerSpec(
    type_id="class_token", title="ClassToken", category="Sequence",
    doc="Puts learned tokens (parameters) in front of a sequence: (N, T, F) becomes "
        "(N, count + T, F). With count 1 it is ViT's class token: it holds no data of its "
        "own, attends to every patch, and its final state is what the classifier reads "
        "(SequencePool 'first').",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("count", "int", 1, "How many tokens to prepend.", min=1, max=1024),),
    infer_shape=_class_token_shape,
    build=lambda p, i: _modules().ClassToken(single(i)[-1], p["count"]),
    count_params=lambda p, i, o: p["count"] * single(i)[-1], macs=no_macs,
    key_params=("count",), module_prefix="cls", example_inputs={"x": (5, 4)}, saves=(),
    imports=(ImportForm("netcanvas.ClassToken"),),
))


def _patch_shape(params: dict, inputs: dict) -> dict:
    shape = single(inputs)
    if len(shape) != 3:
        raise ShapeError(f"PatchEmbedding expects an image (N, C, H, W), got {fmt(shape)}")
    _, height, width = shape
    ph, pw = params["patch_size"]
    if height % ph or width % pw:
        raise ShapeError(f"PatchEmbedding patches of {ph}x{pw} do not tile a {height}x{width} "
                         f"image; pick a patch size that divides it")
    return {"y": ((height // ph) * (width // pw), params["embed_dim"])}


def _patch_params(params: dict, inputs: dict, outputs: dict) -> int:
    return (single(inputs)[0] * numel(params["patch_size"]) + 1) * params["embed_dim"]


register(LayerSpec(
    type_id="patch_embedding", title="PatchEmbedding", category="Sequence",
    doc="Cuts an image into non-overlapping patches and turns each into a token of `embed_dim` "
        "values with one shared linear map (a convolution whose stride is its size): an "
        "(N, C, H, W) image becomes (N, H/p · W/p, embed_dim), patches read row by row. The "
        "first layer of a vision transformer.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("patch_size", "ints", (2, 2), "Patch height and width.", length=2, min=1,
                  max=4096),
            Param("embed_dim", "int", 32, "Features of each token.", min=1, max=MAX_SIZE)),
    infer_shape=_patch_shape,
    build=lambda p, i: _modules().PatchEmbedding(single(i)[0], p["embed_dim"], p["patch_size"]),
    count_params=_patch_params,
    macs=lambda p, i, o: numel(o["y"]) * single(i)[0] * numel(p["patch_size"]),
    key_params=("patch_size", "embed_dim"), module_prefix="patch",
    example_inputs={"x": (3, 8, 8)}, saves=("input",),
    imports=(ImportForm("netcanvas.PatchEmbedding",
                        read=lambda v: {"patch_size": v["patch_size"], "embed_dim": v["dim"]}),),
))


# ---- Sequence pooling --------------------------------------------------------------------

def _pool_shape(params: dict, inputs: dict) -> dict:
    steps, features = _sequence("SequencePool", inputs)
    _mask("SequencePool", inputs, steps)
    return {"y": (features,)}


register(LayerSpec(
    type_id="sequence_pool", title="SequencePool", category="Sequence",
    doc="Turns a sequence (N, T, F) into one vector (N, F) for a classifier: the first "
        "step (a class token's state), the last step (an RNN's summary), or the mean or "
        "maximum over steps. Wire a mask (1 at real steps, 0 at padding) to pool padded "
        "sequences of different lengths correctly.",
    inputs=(Port("x"), Port("mask", optional=True, discrete=True,
                            doc="optional (N, T): 1 at real steps, 0 at padding")),
    outputs=(Port("y"),),
    params=(Param("mode", "choice", "mean", "Which steps make the vector.",
                  choices=("mean", "first", "last", "max")),),
    infer_shape=_pool_shape, build=lambda p, i: _modules().SequencePool(p["mode"]),
    key_params=("mode",), module_prefix="seqpool",
    example_inputs={"x": (5, 4)}, saves=(),  # the mean over all steps keeps no tensor
    imports=(ImportForm("netcanvas.SequencePool"),),
))
