"""ONNX values that are not tensors of the network, and the ops that compute them: constants,
sizes and shape arithmetic (`Shape -> Gather -> Concat -> Reshape` becomes one reshape), and
the markers the exporter's MaxUnpool decomposition leaves on the way. A mixin of onnx_fx's
converter, which supplies `env`, `shapes`, `fx` and the helpers (`_tensor`, `_const`, ...)."""

from __future__ import annotations

import operator
import re

import numpy as np
import torch
import torch.fx
from netcanvas.backend.registry import BATCH
from netcanvas.backend.registry.layers.modules import MaxUnpool2dTo


class _Skip(Exception):
    """An op (or an attribute of it) that has no NetCanvas form; `reason` says why."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class _Indices:
    """MaxPool's second output: torch's per-plane indices once the exporter's offset is
    subtracted (Sub(indices, Slice(1x1 MaxPool indices))), or as MaxUnpool consumes them."""

    def __init__(self, node: torch.fx.Node, pool: dict) -> None:
        self.node, self.pool = node, pool


class _Offsets:
    """The exporter's per-plane index offsets (a 1x1 MaxPool's indices, sliced)."""


class _Derived:
    """A value computed from the batch size alone (the exporter's arange over the batch)."""


class _Marked:
    """A step of the exporter's MaxUnpool decomposition: `what` is "indices" (pool indices
    made global), "zeros" (the output buffer), "flat" (a tensor flattened with its batch)
    or "scattered" (values written back to their places); `value` is the tensor or the
    pool's _Indices it carries."""

    def __init__(self, what: str, value=None, indices: _Indices | None = None) -> None:
        self.what, self.value, self.indices = what, value, indices


def _name(text: str) -> str:
    name = re.sub(r"\W", "_", text)
    return name if name and not name[0].isdigit() else f"_{name}"


class ShapeOps:
    """The handlers of constants and shape arithmetic (op_<OpType>(node, attributes))."""

    def op_Constant(self, node, a) -> None:
        from onnx import numpy_helper

        if "value" in a:
            self.env[node.output[0]] = numpy_helper.to_array(a["value"])
        elif a.keys() & {"value_int", "value_ints", "value_float", "value_floats"}:
            self.env[node.output[0]] = np.array(next(iter(a.values())))
        else:
            raise _Skip("a constant that is not a number or a tensor")

    def op_Shape(self, node, a) -> None:
        shape = self.shapes.get(node.input[0])
        if shape is None or None in shape[1:]:
            raise _Skip("the shape of a tensor of unknown size")
        full = [BATCH, *shape[1:]]
        self.env[node.output[0]] = full[a.get("start", 0):a.get("end", len(full))]

    def op_Gather(self, node, a) -> None:
        value = self.env.get(node.input[0])
        if isinstance(value, torch.fx.Node):
            self._pick(node, value, a.get("axis", 0))
            return
        if a.get("axis", 0) not in (0, -1):  # sizes and indices are 1-D
            raise _Skip(f"a gather along axis {a['axis']} of a size or an index")
        if isinstance(value, _Marked) and value.what == "flat":  # the exporter's as_strided
            index = self._const(node.input[1], "the index")
            if not np.array_equal(index.ravel(), np.arange(index.size)):
                raise _Skip("a gather that reorders the values of a tensor")
            if index.ndim == 1:
                self.env[node.output[0]] = value
                return
            if not (self.fixed_batch and index.shape[0] == 1):
                raise _Skip(f"a gather into shape {list(index.shape)} without the batch first")
            batch = self.fx.call_method("size", (value.value, 0))
            self._method(node, "reshape", value.value, batch, *(int(d) for d in index.shape[1:]))
            return
        shape = self._shape_value(node.input[0])
        index = self._const(node.input[1], "the index")
        picked = [shape[int(i)] for i in np.atleast_1d(index)]
        self.env[node.output[0]] = picked if index.ndim else picked[0]

    def _pick(self, node, x: torch.fx.Node, axis: int) -> None:
        """One position along a dimension after the batch (`x[:, 0]`, a class token)."""
        rank = len(self.shapes.get(node.input[0], ()))
        index = self._const(node.input[1], "the index")
        if not rank or axis % rank == 0 or index.ndim:
            raise _Skip(f"a gather of a tensor along axis {axis} with an index of shape "
                        f"{list(index.shape)} (one position along an axis after the batch "
                        "imports)")
        where = (slice(None),) * (axis % rank) + (int(index),)
        self._call(node, operator.getitem, x, where)

    def op_Range(self, node, a) -> None:
        if not any(self.env.get(n) is BATCH or isinstance(self.env.get(n), _Derived)
                   for n in node.input):
            raise _Skip("a range that does not count the batch")
        self.env[node.output[0]] = _Derived()

    def op_ConstantOfShape(self, node, a) -> None:
        from onnx import numpy_helper

        if "value" in a and numpy_helper.to_array(a["value"]).any():
            raise _Skip("a filled tensor that is not zeros")
        self._shape_value(node.input[0])
        self.env[node.output[0]] = _Marked("zeros")

    def op_ScatterND(self, node, a) -> None:
        data, indices, updates = (self.env.get(n) for n in node.input)
        if not (isinstance(data, _Marked) and data.what == "zeros" and isinstance(
                indices, _Marked) and indices.what == "indices" and isinstance(
                updates, _Marked) and updates.what == "flat"):
            raise _Skip("a scatter that is not a max-unpooling")
        self.env[node.output[0]] = _Marked("scattered", updates.value, indices.indices)

    def _unpool(self, node, scattered: _Marked, target: list) -> None:
        """The decomposed MaxUnpool, reshaped to its (N, C, H, W) output: one layer."""
        window = scattered.indices.pool
        size = tuple(int(d) for d in target[2:])
        args = (window["kernel_size"], window["stride"], window["padding"])
        module = MaxUnpool2dTo(*args, output_size=size)
        self.env[node.output[0]] = self._module("unpool", module, scattered.value,
                                                scattered.indices.node)

    def op_Unsqueeze(self, node, a) -> None:
        if list(a.get("axes", [0])) != [0]:
            raise _Skip(f"axes {list(a['axes'])} (only a size made a 1-element shape)")
        if isinstance(self.env.get(node.input[0]), _Marked):
            self.env[node.output[0]] = self.env[node.input[0]]
            return
        value = self._shape_value(node.input[0])
        self.env[node.output[0]] = value if isinstance(value, list) else [value]

    def op_Squeeze(self, node, a) -> None:
        if list(a.get("axes", [0])) != [0]:
            raise _Skip(f"axes {list(a['axes'])} (only a 1-element shape made a size)")
        value = self._shape_value(node.input[0])
        self.env[node.output[0]] = value[0] if len(value) == 1 else value

    def op_Cast(self, node, a) -> None:
        from onnx import TensorProto, helper

        value = self.env.get(node.input[0])
        target = helper.tensor_dtype_to_np_dtype(a["to"])
        if isinstance(value, np.ndarray):
            self.env[node.output[0]] = value.astype(target)
        elif isinstance(value, torch.fx.Node) and a["to"] == TensorProto.FLOAT:
            self.env[node.output[0]] = value  # the network computes in float32 already
        elif isinstance(value, torch.fx.Node):
            raise _Skip(f"a cast of the network's values to {target.name}")
        else:  # sizes stay sizes
            self.env[node.output[0]] = value

    def op_Slice(self, node, a) -> None:
        value = self.env.get(node.input[0])
        if isinstance(value, _Offsets):
            self.env[node.output[0]] = value
            return
        x = self._tensor(node.input[0])
        if len(node.input) < 3:
            raise _Skip("starts and ends as attributes (before opset 10)")
        shape = self.shapes.get(node.input[0], ())
        starts, ends = (self._const(n, what) for n, what in zip(node.input[1:3], ("starts", "ends")))
        axes = (self._const(node.input[3], "axes") if self._input(node, 3)
                else np.arange(len(starts)))
        steps = (self._const(node.input[4], "steps") if self._input(node, 4)
                 else np.ones(len(starts), np.int64))
        for start, end, axis, step in zip(starts, ends, axes, steps):
            axis = int(axis) % len(shape)
            if axis == 0 or step != 1 or shape[axis] is None:
                raise _Skip(f"a slice along axis {axis} with step {step} (only steps of 1 "
                            "after the batch)")
            size = shape[axis]
            start, end = (int(min(max(v + size if v < 0 else v, 0), size)) for v in (start, end))
            if end <= start:
                raise _Skip(f"an empty slice {start}:{end} of axis {axis}")
            if (start, end) != (0, size):
                x = self.fx.call_method("narrow", (x, axis, start, end - start))
        self.env[node.output[0]] = x

    def _shape_value(self, name: str) -> list:
        value = self.env.get(name)
        if isinstance(value, np.ndarray) and value.ndim <= 1:
            return [int(v) for v in np.atleast_1d(value)]
        if isinstance(value, list):
            return value
        if value is BATCH:
            return [BATCH]
        raise _Skip(f"'{name}' is not a shape computed from constants and sizes")
