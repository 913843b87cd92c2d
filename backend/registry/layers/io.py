"""Input and Output nodes: where data enters the graph and where the loss is taken."""

from __future__ import annotations

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import identity_build, no_macs, single
from netcanvas.backend.registry.spec import LayerSpec, Param, Port, ShapeError

LOSSES = ("cross_entropy", "mse", "l1", "bce_with_logits", "nll", "none")


def _input_shape(params: dict, inputs: dict) -> dict:
    return {"y": tuple(params["shape"])}


def _output_shape(params: dict, inputs: dict) -> dict:
    shape = single(inputs)
    if params["loss"] in ("cross_entropy", "nll") and len(shape) != 1:
        raise ShapeError(
            f"Output with {params['loss']} loss expects class scores (N, classes), got (N, "
            + ", ".join(map(str, shape)) + "); add a Flatten and a Linear before the Output"
        )
    return {"y": shape}


register(LayerSpec(
    type_id="input", title="Input", category="Input/Output",
    saves=(),
    doc="Where a batch of samples enters the network. `shape` is one sample's shape "
        "without the batch dimension: 1x8x8 for a grey 8x8 image, 2 for a point in the plane.",
    inputs=(), outputs=(Port("y", doc="one batch of samples from the dataset"),),
    params=(Param("shape", "ints", (1, 28, 28), "Shape of one sample, batch excluded.", min=1),),
    infer_shape=_input_shape, build=None, key_params=("shape",), module_prefix="input",
))

register(LayerSpec(
    type_id="output", title="Output", category="Input/Output",
    saves=("loss",), view=True,  # the Output aliases its input
    doc="A network output and the loss it is trained with. Cross-entropy takes raw class "
        "scores (logits) and applies softmax itself; label smoothing spreads a little "
        "probability over the wrong classes. Use `none` for an output that is not trained.",
    inputs=(Port("x", doc="the network's prediction; the loss compares it with the targets"),),
    outputs=(Port("y", doc="the prediction, unchanged: what inference and the exported model "
                          "return (wire it on to use it inside the graph)"),),
    params=(
        Param("loss", "choice", "cross_entropy", "Loss applied to this output.", choices=LOSSES),
        Param("label_smoothing", "float", 0.0, "Cross-entropy only.", min=0.0, max=0.99),
        Param("weight", "float", 1.0, "Weight of this loss when there are several.", min=0.0),
    ),
    infer_shape=_output_shape, build=identity_build, key_params=("loss",), module_prefix="output",
    macs=no_macs,  # passes its prediction on: a block's MACs are the sum of its layers
    example_inputs={"x": (10,)},
))
