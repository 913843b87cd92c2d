"""Reductions over chosen dimensions: the mean, max, min or sum of each sample's values
along some dims (a squeeze-excitation's spatial mean with keepdim, a mean over a sequence)."""

from __future__ import annotations

from netcanvas.backend.registry import register
from netcanvas.backend.registry.layers.common import fmt, forms, numel, resolve_dim, single
from netcanvas.backend.registry.spec import LayerSpec, Param, ParamError, Port, ShapeError

OPS = ("mean", "amax", "amin", "sum")


def _dims(params: dict, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The reduced dims as positive torch indices (>= 1), sorted; refuses repeats."""
    dims = sorted(resolve_dim("Reduce", "dim", d, shape) for d in params["dims"])
    if len(set(dims)) != len(dims):
        raise ShapeError(f"Reduce dims {params['dims']} name one dimension twice for a "
                         f"{fmt(shape)} input")
    return tuple(dims)


def _reduce_shape(params: dict, inputs: dict) -> dict:
    shape = single(inputs)
    dims = _dims(params, shape)
    if params["keepdim"]:
        return {"y": tuple(1 if i + 1 in dims else n for i, n in enumerate(shape))}
    out = tuple(n for i, n in enumerate(shape) if i + 1 not in dims)
    if not out:
        raise ShapeError(f"Reduce over every dim of {fmt(shape)} leaves no per-sample value; "
                         "keep the dims (keepdim) or reduce fewer")
    return {"y": out}


def _reduce_build(params: dict, inputs: dict):
    from netcanvas.backend.registry.layers.modules import Reduce

    return Reduce(params["op"], _dims(params, single(inputs)), params["keepdim"])


def _reduce_macs(params: dict, inputs: dict, outputs: dict) -> int:
    return numel(single(inputs))


def _reader(op: str):
    def read(values: dict) -> dict:
        dim = values.get("dim")
        if dim is None:
            raise ParamError(f"a {op} over every dimension, the batch included")
        dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
        if values.get("dtype") is not None:
            raise ParamError(f"dtype={values['dtype']!r} has no NetCanvas equivalent")
        return {"op": op, "dims": dims, "keepdim": bool(values.get("keepdim", False))}
    return read


register(LayerSpec(
    type_id="reduce", title="Reduce", category="Pooling",
    doc="The mean, max (amax), min (amin) or sum of each sample's values over the chosen "
        "dims, counted as in torch with the batch as 0 (which cannot be reduced). keepdim "
        "keeps them as size 1, so the result still broadcasts against the input: dims 2, 3 "
        "with keepdim is a squeeze-excitation's (C, 1, 1) summary of a (C, H, W) map.",
    inputs=(Port("x"),), outputs=(Port("y"),),
    params=(Param("op", "choice", "mean", "What each reduction computes.", choices=OPS),
            Param("dims", "ints", (2, 3), "The dims reduced, counted as in torch (the batch "
                  "is 0).", min=-8, max=8),
            Param("keepdim", "bool", False, "Keep the reduced dims as size 1.")),
    infer_shape=_reduce_shape, build=_reduce_build, macs=_reduce_macs,
    key_params=("op", "dims"), module_prefix="reduce", example_inputs={"x": (4, 5, 5)},
    saves=(),  # the default mean and a sum need only the shape (amax/amin keep their input)
    imports=(*(form for op in OPS for form in forms(
        f"Tensor.{op}", f"torch.{op}", args=("x", "dim", "keepdim"), read=_reader(op))),),
))
