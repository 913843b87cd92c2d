"""Refuse a dataset that does not fit the compiled model's Input and Output nodes."""

from __future__ import annotations

from typing import Any

from netcanvas.backend.data.types import Dataset, DatasetMismatchError
from netcanvas.backend.shapes import format_shape

_CLASS_LOSSES = ("cross_entropy", "nll")
_REGRESSION_LOSSES = ("mse", "l1")


def fmt(shape) -> str:
    return format_shape(shape, sep="x", scalar="a scalar")


def _same(a, b) -> bool:
    """Shapes agree; a None or negative model dimension matches any size."""
    return len(a) == len(b) and all(m is None or m < 0 or m == d for d, m in zip(a, b))


def check_compatible(dataset: Dataset, compiled: Any) -> None:
    """Raise DatasetMismatchError naming both shapes when the data cannot feed the model.

    `compiled` is anything with input_names, input_shapes, output_names, output_shapes
    and losses (LossSpec-like: output, loss), e.g. a CompiledModel.
    """
    names, shapes = list(compiled.input_names), list(compiled.input_shapes)
    if len(names) != 1:
        raise DatasetMismatchError(f"dataset gives one input ({fmt(dataset.sample_shape)}), the "
                                   f"model has {len(names)} Inputs: {', '.join(names) or 'none'}")
    if not _same(dataset.sample_shape, tuple(shapes[0])):
        raise DatasetMismatchError(f"dataset gives {fmt(dataset.sample_shape)}, Input "
                                   f"'{names[0]}' expects {fmt(shapes[0])}")
    out_shapes = dict(zip(compiled.output_names, compiled.output_shapes))
    for spec in compiled.losses:
        if spec.loss != "none" and spec.output in out_shapes:
            _check_output(dataset, spec.output, spec.loss, tuple(out_shapes[spec.output]))


def _check_output(dataset: Dataset, output: str, loss: str, shape: tuple) -> None:
    gives = f"Output '{output}' gives {fmt(shape)}"
    if dataset.task == "classification":
        k = dataset.num_classes
        if loss in _CLASS_LOSSES:
            if len(shape) != 1 or not _same((k,), shape):
                raise DatasetMismatchError(f"dataset has {k} classes, Output '{output}' gives "
                                           f"{fmt(shape)} scores")
        elif loss == "bce_with_logits":
            if k != 2 or not _same((1,), shape):
                raise DatasetMismatchError(f"{loss} needs 2 classes and one score; dataset has "
                                           f"{k} classes, {gives}")
        elif loss in _REGRESSION_LOSSES:
            raise DatasetMismatchError(f"dataset '{dataset.name}' is classification ({k} classes) "
                                       f"but Output '{output}' uses regression loss {loss}")
    else:
        if loss in _CLASS_LOSSES + ("bce_with_logits",):
            raise DatasetMismatchError(f"dataset '{dataset.name}' is regression (target "
                                       f"{fmt(dataset.target_shape)}) but Output '{output}' uses "
                                       f"classification loss {loss}")
        if not _same(dataset.target_shape, shape):
            raise DatasetMismatchError(f"dataset targets are {fmt(dataset.target_shape)}, {gives}")
