"""Normalisation: BatchNorm1d/2d over the batch, LayerNorm within each sample."""

from __future__ import annotations

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import LAYOUTS, expect_rank, fmt, numel, only, single
from netcanvas.backend.registry.spec import ImportForm, LayerSpec, Param, Port, ShapeError

EPS = Param("eps", "float", 1e-5, "Added to the variance so it is never divided by zero.",
            min=1e-12, max=1.0)
MOMENTUM = Param("momentum", "float", 0.1, "Weight of each new batch in the running mean "
                 "and variance used at evaluation time.", min=0.0, max=1.0)
AFFINE = Param("affine", "bool", True, "Learn a per-channel scale and shift after normalising.")

BATCH_NORM_DOC = (
    "Normalises each channel to zero mean and unit variance using the statistics of the "
    "current batch{where}, then applies a learned scale and shift. This keeps activations "
    "in a healthy range as earlier layers change, so deeper networks train faster and "
    "tolerate larger learning rates. At evaluation time it uses running averages "
    "collected during training, so its output no longer depends on the batch. Place it "
    "between a {before} and its activation; the layer before can then drop its bias."
)


def _read_batch_norm(values: dict) -> dict:
    only("track_running_stats", values.get("track_running_stats", True), (True,))
    return {k: values[k] for k in ("eps", "momentum", "affine")}


def _read_layer_norm(values: dict) -> dict:
    only("bias", values.get("bias", True), (True,))
    return {"dims": len(values["normalized_shape"]), "eps": values["eps"],
            "elementwise_affine": values["elementwise_affine"]}


def _batch_norm(nd: int, ranks: tuple[int, ...], layout: str, where: str, before: str,
                example) -> None:
    title = f"BatchNorm{nd}d"

    def infer(params: dict, inputs: dict) -> dict:
        shape = single(inputs)
        expect_rank(title, shape, ranks, layout)
        return {"y": shape}

    def count(params: dict, inputs: dict, outputs: dict) -> int:
        return 2 * single(inputs)[0] if params["affine"] else 0

    def build(params: dict, inputs: dict):
        from torch import nn

        return getattr(nn, title)(single(inputs)[0], eps=params["eps"],
                                  momentum=params["momentum"], affine=params["affine"])

    register(LayerSpec(
        type_id=f"batch_norm{nd}d", title=title, category="Normalization",
        saves=("input",), roles=("batch_norm",),
        doc=BATCH_NORM_DOC.format(where=where, before=before),
        inputs=(Port("x"),), outputs=(Port("y"),), params=(EPS, MOMENTUM, AFFINE),
        infer_shape=infer, build=build, count_params=count, key_params=(),
        module_prefix="bn", aliases=("bn",), example_inputs={"x": example},
        imports=(ImportForm(f"nn.{title}", read=_read_batch_norm),),
    ))


_batch_norm(1, (2, 3), "(N, C) or (N, C, L)", " (and positions, for (C, L) input)",
            "Linear or Conv1d", (8,))
_batch_norm(2, (4,), LAYOUTS[2], " and of every position in the image", "Conv2d",
            (4, 6, 6))


def _layer_norm_shape(params: dict, inputs: dict) -> dict:
    shape = single(inputs)
    if params["dims"] > len(shape):
        raise ShapeError(f"LayerNorm cannot normalise the last {params['dims']} dims of "
                         f"{fmt(shape)}: a sample has only {len(shape)}")
    return {"y": shape}


def _normalized(params: dict, inputs: dict) -> tuple[int, ...]:
    return single(inputs)[-params["dims"]:]


def _layer_norm_params(params: dict, inputs: dict, outputs: dict) -> int:
    return 2 * numel(_normalized(params, inputs)) if params["elementwise_affine"] else 0


def _layer_norm_build(params: dict, inputs: dict):
    from torch import nn

    return nn.LayerNorm(_normalized(params, inputs), eps=params["eps"],
                        elementwise_affine=params["elementwise_affine"])


register(LayerSpec(
    type_id="layer_norm", title="LayerNorm", category="Normalization",
    saves=("input", "row_stats"),
    doc="Normalises each sample on its own to zero mean and unit variance over its last "
        "`dims` dimensions (1: the features of each position), then applies a learned "
        "scale and shift per element. Unlike BatchNorm it does not depend on the batch, so "
        "it behaves the same in training and evaluation and works with batches of one; "
        "transformers use it throughout.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("dims", "int", 1, "How many trailing dimensions to normalise over.",
                  min=1, max=8),
            EPS,
            Param("elementwise_affine", "bool", True, "Learn a scale and shift per element.")),
    infer_shape=_layer_norm_shape, build=_layer_norm_build, count_params=_layer_norm_params,
    key_params=("dims",), module_prefix="ln", example_inputs={"x": (4, 8)},
    imports=(ImportForm("nn.LayerNorm", read=_read_layer_norm),),
))
