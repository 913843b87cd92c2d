"""The ONNX ops that become layers of the network (weighted layers, activations, pooling,
reshapes, element-wise arithmetic), and `HONOURED`: the attributes each op's handler honours
exactly. A mixin of onnx_fx's converter, which supplies `env`, `fx`, `root` and the helpers
(`_tensor`, `_const`, `_module`, `_padding`, ...)."""

from __future__ import annotations

import operator

import numpy as np
import torch
import torch.fx
from netcanvas.backend.importer.onnx_shapes import (
    _Derived,
    _Indices,
    _Marked,
    _name,
    _Offsets,
    _Skip,
)
from netcanvas.backend.registry import BATCH
from netcanvas.backend.registry.layers.modules import MaxUnpool2dTo
from torch import nn
from torch.nn import functional as F

# The attributes each op's handler honours exactly; any other attribute a node sets to
# something but its default is refused by name (tests/backend/test_onnx_attributes.py walks
# this table against the ONNX spec and ONNX Runtime).
HONOURED = {
    "Conv": {"kernel_shape", "strides", "pads", "auto_pad", "dilations", "group"},
    "ConvTranspose": {"kernel_shape", "strides", "pads", "auto_pad", "dilations",
                      "output_padding"},
    "Gemm": {"alpha", "beta", "transB"},
    "MatMul": set(),
    "BatchNormalization": {"epsilon", "momentum"},
    "Relu": set(), "Sigmoid": set(), "Tanh": set(), "Identity": set(),
    "LeakyRelu": {"alpha"}, "Elu": {"alpha"}, "Gelu": {"approximate"},
    "Softmax": {"axis"}, "LogSoftmax": {"axis"},
    "Clip": {"min", "max"}, "HardSwish": set(), "HardSigmoid": {"alpha", "beta"},
    "Dropout": {"ratio", "seed"},  # the seed only draws masks in training
    "MaxPool": {"kernel_shape", "strides", "pads", "auto_pad", "ceil_mode", "dilations"},
    "MaxUnpool": {"kernel_shape", "strides", "pads"},
    "AveragePool": {"kernel_shape", "strides", "pads", "auto_pad", "ceil_mode",
                    "count_include_pad"},
    "GlobalAveragePool": set(),
    "ReduceMean": {"axes", "keepdims"}, "ReduceMax": {"axes", "keepdims"},
    "ReduceMin": {"axes", "keepdims"}, "ReduceSum": {"axes", "keepdims"},
    "Resize": {"mode", "coordinate_transformation_mode", "nearest_mode"},
    "Flatten": {"axis"}, "Reshape": {"allowzero"}, "Concat": {"axis"},
    "Transpose": {"perm"}, "Expand": set(), "Split": {"axis", "split", "num_outputs"},
    "LayerNormalization": {"axis", "epsilon"},
    "Add": set(), "Sub": set(), "Mul": set(), "Div": set(),
    "Constant": {"value", "value_float", "value_floats", "value_int", "value_ints"},
    "Shape": {"start", "end"}, "Gather": {"axis"}, "Range": set(), "ConstantOfShape": {"value"},
    "ScatterND": set(), "Unsqueeze": {"axes"}, "Squeeze": {"axes"}, "Cast": {"to"}, "Slice": set(),
}
# Values that leave an op unchanged for attributes the spec gives no default.
_NEUTRAL = {"dilations": 1, "strides": 1, "pads": 0}


class LayerOps:
    """The handlers of the ops that become layers (op_<OpType>(node, attributes))."""

    # ---- weighted layers ----------------------------------------------------------------
    def op_Conv(self, node, a) -> None:
        w = self._const(node.input[1], "the weight")
        bias = self._input(node, 2)
        nd = w.ndim - 2
        if nd not in (1, 2):
            raise _Skip(f"{nd}-D convolution{_NO_3D if nd == 3 else ''}")
        kernel = tuple(a.get("kernel_shape", w.shape[2:]))
        groups = a.get("group", 1)
        conv = (nn.Conv1d, nn.Conv2d)[nd - 1](
            w.shape[1] * groups, w.shape[0], kernel, stride=tuple(a.get("strides", [1] * nd)),
            padding=self._padding(a, nd, kernel), dilation=tuple(a.get("dilations", [1] * nd)),
            groups=groups, bias=bias is not None)
        self._load(conv, weight=w, **({"bias": self._const(bias, "the bias")} if bias else {}))
        rules = _rules(node)
        if "FuseBatchNorm" in rules:  # onnxscript's rewrite
            self.folded.append(w.shape[0] * (1 if bias else 2))  # parameters gone
        elif "RemoveOptionalBias" in rules and not bias:
            self.dropped.append(w.shape[0])
        self.env[node.output[0]] = self._module(self._stem(node, node.input[1]), conv,
                                                self._tensor(node.input[0]))

    def op_ConvTranspose(self, node, a) -> None:
        w = self._const(node.input[1], "the weight")
        bias = self._input(node, 2)
        if w.ndim != 4:
            raise _Skip(f"{w.ndim - 2}-D transposed convolution")
        kernel = tuple(a.get("kernel_shape", w.shape[2:]))
        padding = self._padding(a, 2, kernel)
        if padding == "same":
            raise _Skip("auto_pad SAME")
        deconv = nn.ConvTranspose2d(
            w.shape[0], w.shape[1], kernel, stride=tuple(a.get("strides", [1, 1])),
            padding=padding, output_padding=tuple(a.get("output_padding", [0, 0])),
            dilation=tuple(a.get("dilations", [1, 1])), bias=bias is not None)
        self._load(deconv, weight=w, **({"bias": self._const(bias, "the bias")} if bias else {}))
        self.env[node.output[0]] = self._module(self._stem(node, node.input[1]), deconv,
                                                self._tensor(node.input[0]))

    def op_Gemm(self, node, a) -> None:
        w = self._const(node.input[1], "B") * a.get("alpha", 1.0)
        w = w if a.get("transB", 0) else w.T
        bias = self._input(node, 2)
        b = self._const(bias, "C") * a.get("beta", 1.0) if bias else None
        if b is not None and (b.size not in (1, w.shape[0]) or b.ndim > 1 and b.shape[0] != 1):
            raise _Skip(f"bias of shape {b.shape}")
        linear = nn.Linear(w.shape[1], w.shape[0], bias=b is not None)
        if b is None and "RemoveOptionalBias" in _rules(node):
            self.dropped.append(w.shape[0])
        self._load(linear, weight=w, **({"bias": np.broadcast_to(b.reshape(-1), w.shape[:1])}
                                        if b is not None else {}))
        self.env[node.output[0]] = self._module(self._stem(node, node.input[1]), linear,
                                                self._tensor(node.input[0]))

    def op_MatMul(self, node, a) -> None:
        w = self._const(node.input[1], "the second operand")
        if w.ndim != 2:
            raise _Skip("a matrix product with a tensor that is not a 2-D weight")
        linear = self._load(nn.Linear(w.shape[0], w.shape[1], bias=False), weight=w.T)
        self.env[node.output[0]] = self._module(self._stem(node, node.input[1]), linear,
                                                self._tensor(node.input[0]))
        self.linear_of[node.output[0]] = linear

    def op_BatchNormalization(self, node, a) -> None:
        if len([o for o in node.output if o]) > 1:
            raise _Skip("the running statistics are outputs (training mode)")
        scale, bias, mean, var = (self._const(n, "the statistics") for n in node.input[1:5])
        rank = len(self.shapes.get(node.input[0], ()))
        if rank not in (2, 3, 4):
            raise _Skip(f"a {rank or 'unknown'}-D input")
        bn = (nn.BatchNorm2d if rank == 4 else nn.BatchNorm1d)(
            scale.shape[0], eps=a.get("epsilon", 1e-5), momentum=1 - a.get("momentum", 0.9))
        self._load(bn, weight=scale, bias=bias, running_mean=mean, running_var=var)
        self.env[node.output[0]] = self._module(self._stem(node, node.input[1]), bn,
                                                self._tensor(node.input[0]))

    def op_LayerNormalization(self, node, a) -> None:
        scale = self._const(node.input[1], "the scale")
        bias = self._input(node, 2)
        rank = len(self.shapes.get(node.input[0], ()))
        axis = a.get("axis", -1) % max(rank, 1)
        if rank < 2 or axis < 1:
            raise _Skip(f"axis {a.get('axis', -1)} normalises over the batch")
        if len([o for o in node.output if o]) > 1:
            raise _Skip("its mean and inverse deviation are outputs")
        norm = nn.LayerNorm(tuple(self.shapes[node.input[0]][axis:]), eps=a.get("epsilon", 1e-5))
        self._load(norm, weight=np.broadcast_to(scale, norm.normalized_shape),
                   bias=np.broadcast_to(self._const(bias, "the bias") if bias else
                                        np.zeros(1, np.float32), norm.normalized_shape))
        self.env[node.output[0]] = self._module(self._stem(node, node.input[1]), norm,
                                                self._tensor(node.input[0]))

    # ---- activations, dropout, identity -------------------------------------------------
    def op_Relu(self, node, a) -> None:
        self._call(node, F.relu, self._tensor(node.input[0]))

    def op_LeakyRelu(self, node, a) -> None:
        self._call(node, F.leaky_relu, self._tensor(node.input[0]), a.get("alpha", 0.01))

    def op_Elu(self, node, a) -> None:
        self._call(node, F.elu, self._tensor(node.input[0]), a.get("alpha", 1.0))

    def op_Gelu(self, node, a) -> None:
        approximate = a.get("approximate", b"none")
        self._call(node, F.gelu, self._tensor(node.input[0]),
                   approximate=approximate.decode() if isinstance(approximate, bytes) else approximate)

    def op_Clip(self, node, a) -> None:
        low, high = a.get("min", -np.inf), a.get("max", np.inf)
        if self._input(node, 1):
            low = float(self._const(node.input[1], "min"))
        if self._input(node, 2):
            high = float(self._const(node.input[2], "max"))
        x = self._tensor(node.input[0])
        if low == 0 and high == np.inf:
            self._call(node, F.relu, x)
        elif np.isfinite(low) and np.isfinite(high):
            self._call(node, F.hardtanh, x, float(low), float(high))
        else:
            raise _Skip(f"a clip to [{low}, {high}] with one open end")

    def op_HardSwish(self, node, a) -> None:
        self._call(node, F.hardswish, self._tensor(node.input[0]))

    def op_HardSigmoid(self, node, a) -> None:
        alpha, beta = a.get("alpha", 0.2), a.get("beta", 0.5)
        if not (np.isclose(alpha, 1 / 6) and beta == 0.5):
            raise _Skip(f"alpha={alpha:g}, beta={beta:g}: only torch's 1/6 and 0.5")
        self._call(node, F.hardsigmoid, self._tensor(node.input[0]))

    def op_Sigmoid(self, node, a) -> None:
        self._call(node, torch.sigmoid, self._tensor(node.input[0]))

    def op_Tanh(self, node, a) -> None:
        self._call(node, torch.tanh, self._tensor(node.input[0]))

    def _softmax(self, node, a, fn) -> None:
        axis = a.get("axis", -1 if self.opset >= 13 else 1)
        rank = len(self.shapes.get(node.input[0], ()))
        if self.opset < 13 and axis not in (-1, rank - 1):
            raise _Skip(f"axis {axis} before opset 13 flattens the input")
        self._call(node, fn, self._tensor(node.input[0]), axis)

    def op_Softmax(self, node, a) -> None:
        self._softmax(node, a, F.softmax)

    def op_LogSoftmax(self, node, a) -> None:
        self._softmax(node, a, F.log_softmax)

    def op_Dropout(self, node, a) -> None:
        training = self._input(node, 2)
        if training and bool(self._const(training, "training_mode").item()):
            raise _Skip("training_mode=true drops values at inference")
        if len(node.output) > 1 and self.uses.get(node.output[1]):
            raise _Skip("its mask output is used")
        ratio = self._input(node, 1)
        p = float(self._const(ratio, "ratio")) if ratio else a.get("ratio", 0.5)
        self.env[node.output[0]] = self._module(self._stem(node), nn.Dropout(p),
                                                self._tensor(node.input[0]))

    def op_Identity(self, node, a) -> None:
        self.env[node.output[0]] = self.env[node.input[0]]

    # ---- pooling and resampling ---------------------------------------------------------
    def _window(self, node, a) -> dict:
        kernel = tuple(a["kernel_shape"])
        if len(kernel) not in (1, 2):
            raise _Skip(f"{len(kernel)}-D pooling{_NO_3D if len(kernel) == 3 else ''}")
        padding = self._padding(a, len(kernel), kernel)
        if padding == "same":
            raise _Skip("auto_pad SAME")
        return {"kernel_size": kernel, "stride": tuple(a.get("strides", [1] * len(kernel))),
                "padding": padding, "ceil_mode": bool(a.get("ceil_mode", 0))}

    def op_MaxPool(self, node, a) -> None:
        window = self._window(node, a)
        x = self._tensor(node.input[0])
        dilation = tuple(a.get("dilations", [1] * len(window["kernel_size"])))
        if len(window["kernel_size"]) == 1:
            if len(node.output) > 1 and self.uses.get(node.output[1]) or dilation != (1,):
                raise _Skip("a 1-D max pool with indices or a dilation")
            self._call(node, F.max_pool1d, x, *_one_d(window), ceil_mode=window["ceil_mode"])
            return
        if len(node.output) < 2 or not node.output[1]:
            self._call(node, F.max_pool2d, x, dilation=dilation, **window)
            return
        if window["kernel_size"] == (1, 1) and self.uses.get(node.output[0], 0) == 0:
            self.env[node.output[1]] = _Offsets()  # the exporter's index offsets
            return
        pair = self.fx.call_function(F.max_pool2d, (x,), dict(window, dilation=dilation,
                                                              return_indices=True))
        self.env[node.output[0]] = self.fx.call_function(operator.getitem, (pair, 0))
        self.env[node.output[1]] = _Indices(self.fx.call_function(operator.getitem, (pair, 1)),
                                            window)

    def op_MaxUnpool(self, node, a) -> None:
        indices = self.env.get(node.input[1])
        if not isinstance(indices, _Indices):
            raise _Skip("indices that do not come from a MaxPool")
        kernel = tuple(a["kernel_shape"])
        stride = tuple(a.get("strides", [1, 1]))
        padding = self._padding(a, 2, kernel)
        size = self._input(node, 2)
        args = (kernel, stride, padding)
        module = (MaxUnpool2dTo(*args, output_size=tuple(int(d) for d in self._const(
            size, "output_shape")[2:])) if size else nn.MaxUnpool2d(*args))
        self.env[node.output[0]] = self._module(self._stem(node), module,
                                                self._tensor(node.input[0]), indices.node)

    def op_AveragePool(self, node, a) -> None:
        window = self._window(node, a)
        if any(2 * p > k for p, k in zip(window["padding"], window["kernel_size"])):
            raise _Skip(f"pads {list(window['padding'])} larger than half the kernel "
                        f"{list(window['kernel_size'])}")
        if len(window["kernel_size"]) == 1:
            if window["padding"] != (0,) and not a.get("count_include_pad", 0):
                raise _Skip("a 1-D average pool that leaves its padding out of the mean")
            self._call(node, F.avg_pool1d, self._tensor(node.input[0]), *_one_d(window),
                        ceil_mode=window["ceil_mode"])
            return
        self._call(node, F.avg_pool2d, self._tensor(node.input[0]),
                   count_include_pad=bool(a.get("count_include_pad", 0)), **window)

    def op_GlobalAveragePool(self, node, a) -> None:
        rank = len(self.shapes.get(node.input[0], ()))
        x = self._tensor(node.input[0])
        if rank == 4:
            self._call(node, F.adaptive_avg_pool2d, x, 1)
        elif rank == 3:
            self._method(node, "mean", x, (2,), True)
        else:
            raise _Skip(f"global pooling of a {rank or 'unknown'}-D input"
                        f"{_NO_3D if rank == 5 else ''}")

    def op_ReduceMean(self, node, a) -> None:
        self._reduce(node, a, "mean")

    def op_ReduceMax(self, node, a) -> None:
        self._reduce(node, a, "amax")

    def op_ReduceMin(self, node, a) -> None:
        self._reduce(node, a, "amin")

    def op_ReduceSum(self, node, a) -> None:
        self._reduce(node, a, "sum")

    def _reduce(self, node, a, method: str) -> None:
        axes = self._input(node, 1)
        axes = tuple(int(v) for v in self._const(axes, "axes")) if axes else tuple(a.get("axes", ()))
        rank = len(self.shapes.get(node.input[0], ()))
        axes = tuple(sorted(d % rank for d in axes)) if rank else axes
        if not axes or 0 in axes:
            raise _Skip(f"a reduction over axes {list(axes) or 'all'}, the batch included")
        x = self._tensor(node.input[0])
        keep = bool(a.get("keepdims", 1))
        if method == "mean" and rank == 4 and axes == (2, 3) and keep:
            self._call(node, F.adaptive_avg_pool2d, x, 1)
        else:
            self._method(node, method, x, axes, keep)

    def op_Resize(self, node, a) -> None:
        mode = a.get("mode", b"nearest").decode()
        transform = a.get("coordinate_transformation_mode", b"half_pixel").decode()
        if mode == "nearest" and (transform != "asymmetric" or a.get("nearest_mode", b"round_prefer_floor") != b"floor"):
            raise _Skip(f"nearest resize with {transform} coordinates is not torch's nearest")
        if mode == "linear" and transform not in ("half_pixel", "pytorch_half_pixel"):
            raise _Skip(f"linear resize with {transform} coordinates")
        if mode not in ("nearest", "linear"):
            raise _Skip(f"mode {mode}")
        scales = self._input(node, 2)
        if scales and self._const(scales, "scales").size:
            factors = self._const(scales, "scales")[2:]
        else:
            sizes = self._const(self._input(node, 3) or "", "sizes")[2:]
            factors = np.array(sizes) / np.array(self.shapes.get(node.input[0], (0, 0, 1, 1))[2:])
        if len(factors) != 2 or factors[0] != factors[1]:
            raise _Skip(f"scales {list(factors)}: one factor for height and width only")
        self._call(node, F.interpolate, self._tensor(node.input[0]),
                   scale_factor=float(factors[0]), mode="nearest" if mode == "nearest" else "bilinear")

    # ---- reshaping and merging ----------------------------------------------------------
    def op_Flatten(self, node, a) -> None:
        rank = len(self.shapes.get(node.input[0], ())) or 2
        if a.get("axis", 1) % rank != 1:
            raise _Skip(f"axis {a['axis']} would merge the batch with other dimensions")
        self._call(node, torch.flatten, self._tensor(node.input[0]), 1)

    def op_Reshape(self, node, a) -> None:
        value = self.env.get(node.input[0])
        target = self._shape_value(node.input[1])
        if value is BATCH and target == [-1]:
            self.env[node.output[0]] = [BATCH]
            return
        if isinstance(value, _Marked) and value.what == "flat" and target != [-1]:
            value = value.value  # flattened with its batch, then given a shape again
        if isinstance(value, (_Derived, _Marked)):
            self.env[node.output[0]] = value
            if isinstance(value, _Marked) and value.what == "scattered":
                self._unpool(node, value, target)
            return
        if not isinstance(value, torch.fx.Node):
            raise _Skip("reshaping something that is not a tensor of the network")
        if target == [-1]:
            self.env[node.output[0]] = _Marked("flat", value)
            return
        first = target[0] if target else None
        if first == 1 and self.fixed_batch:
            first = target[0] = BATCH
        if not (first is BATCH or first == -1 or (first == 0 and not a.get("allowzero", 0))):
            raise _Skip(f"target shape {target} does not keep the batch first")
        source = self.shapes.get(node.input[0], ())
        rest = [source[i + 1] if d == 0 and not a.get("allowzero", 0) else d
                for i, d in enumerate(target[1:])]
        if first == -1 and -1 in rest:
            raise _Skip(f"target shape {target} leaves two sizes open")
        if len(rest) == 1 and len(source) > 2 and rest[0] in (-1, _numel(source[1:])):
            self._call(node, torch.flatten, value, 1)
            return
        batch = self.fx.call_method("size", (value, 0))
        self._method(node, "reshape", value, batch, *(int(d) for d in rest))

    def op_Add(self, node, a) -> None:
        left, right = (self.env.get(n) for n in node.input)
        for tensor, other, name in ((left, right, node.input[0]), (right, left, node.input[1])):
            linear = self.linear_of.get(name)
            if (linear is not None and isinstance(other, np.ndarray) and linear.bias is None
                    and other.size == linear.out_features and self.uses.get(name) == 1):
                linear.bias = nn.Parameter(torch.from_numpy(other.reshape(-1).astype(np.float32)))
                self.env[node.output[0]] = tensor
                return
        if isinstance(left, _Indices) and isinstance(right, _Derived):
            self.env[node.output[0]] = _Marked("indices", indices=left)
            return
        if isinstance(left, _Indices) or isinstance(right, _Indices):
            raise _Skip("arithmetic on pooling indices")
        self._arithmetic(node, operator.add)

    def op_Mul(self, node, a) -> None:
        if any(self.env.get(n) is BATCH or isinstance(self.env.get(n), _Derived)
               for n in node.input):
            self.env[node.output[0]] = _Derived()
            return
        self._arithmetic(node, operator.mul)

    def op_Sub(self, node, a) -> None:
        left, right = (self.env.get(n) for n in node.input)
        if isinstance(left, _Indices) and isinstance(right, _Offsets):
            self.env[node.output[0]] = left
            return
        self._arithmetic(node, operator.sub)

    def op_Div(self, node, a) -> None:
        self._arithmetic(node, operator.truediv)

    def _arithmetic(self, node, fn) -> None:
        """Two tensors, or a tensor and a constant of the file (kept as a module buffer
        that imports as a Constant Tensor), under broadcasting; two constants fold."""
        left, right = (self.env.get(n) for n in node.input)
        if isinstance(left, np.ndarray) and isinstance(right, np.ndarray):
            if fn is operator.truediv and left.dtype.kind in "iu":
                raise _Skip("integer division of constants")
            self.env[node.output[0]] = fn(left, right)
            return
        self._call(node, fn, self._operand(node.input[0]), self._operand(node.input[1]))

    def _operand(self, name: str) -> torch.fx.Node:
        value = self.env.get(name)
        if not isinstance(value, np.ndarray):
            return self._tensor(name)
        if value.dtype.kind not in "fiu":
            raise _Skip(f"'{name}' is a constant of type {value.dtype}")
        stem, i = f"const_{_name(name)}", 1
        key = stem
        while hasattr(self.root, key):
            i += 1
            key = f"{stem}_{i}"
        tensor = torch.from_numpy(np.array(value, dtype=np.float32))
        if name in self.weights_named and value.size > 1:  # a named initializer: a weight
            self.root.register_parameter(key, nn.Parameter(tensor))  # (ConvNeXt's layer scale)
        else:
            self.root.register_buffer(key, tensor)
        return self.fx.get_attr(key)

    def op_Transpose(self, node, a) -> None:
        rank = len(self.shapes.get(node.input[0], ()))
        perm = list(a.get("perm", range(rank)[::-1]))
        if not perm or perm[0] != 0:
            raise _Skip(f"perm {perm} moves the batch dimension")
        self._method(node, "permute", self._tensor(node.input[0]), *perm)

    def op_Split(self, node, a) -> None:
        x = self._tensor(node.input[0])
        shape = self.shapes.get(node.input[0], ())
        axis = a.get("axis", 0) % max(len(shape), 1)
        if axis == 0 or shape[axis] is None:
            raise _Skip(f"a split along axis {a.get('axis', 0)} (the batch, or of unknown size)")
        sizes = self._input(node, 1)
        count = len(node.output)
        if sizes:
            sizes = [int(v) for v in self._const(sizes, "split")]
        elif "split" in a:
            sizes = list(a["split"])
        else:
            step = -(-shape[axis] // count)
            sizes = [min(step, shape[axis] - i * step) for i in range(count)]
        start = 0
        for name, size in zip(node.output, sizes):
            self.env[name] = self.fx.call_method("narrow", (x, axis, start, size))
            start += size

    def op_Concat(self, node, a) -> None:
        values = [self.env.get(n) for n in node.input]
        if len(values) == 1 and isinstance(values[0], torch.fx.Node):
            self.env[node.output[0]] = values[0]  # the legacy exporter's one-input Concat
            return
        if (len(values) == 2 and self.fixed_batch and _token_shaped(values[0])
                and isinstance(values[1], torch.fx.Node) and a["axis"] in (1, -2)):
            # ViT's class token before the patches, its expand over a batch of one folded
            token = self._class_token(node.input[0], values[0], values[1])
            self._call(node, torch.cat, [token, values[1]], 1)
            return
        if all(isinstance(v, torch.fx.Node) for v in values):
            self._call(node, torch.cat, values, a["axis"])
            return
        self.env[node.output[0]] = [d for n in node.input for d in self._shape_value(n)]

    def op_Expand(self, node, a) -> None:
        """Only a stored (1, count, features) tensor expanded over the batch: a class token."""
        value = self.env.get(node.input[0])
        target = self._shape_value(node.input[1])
        if not (_token_shaped(value) and len(target) == 3 and target[0] is BATCH
                and all(t in (-1, 1, v) for t, v in zip(target[1:], value.shape[1:]))):
            raise _Skip(f"an expand to {target} that is not a class token over the batch")
        x = next(n for n in self.fx.nodes if n.op == "placeholder")
        self.env[node.output[0]] = self._class_token(node.input[0], value, x)

    def _class_token(self, name: str, value: np.ndarray, like: torch.fx.Node) -> torch.fx.Node:
        """`token.expand(like.size(0), -1, -1)`: what fx_import reads as a ClassToken layer
        when a torch.cat puts it first along dim 1."""
        token = self._operand(name)
        batch = self.fx.call_method("size", (like, 0))
        return self.fx.call_method("expand", (token, batch, -1, -1))


def _rules(node) -> str:
    """The onnxscript rewrite rules the exporter applied to a node, as recorded."""
    return " ".join(p.value for p in node.metadata_props
                    if p.key == "pkg.onnxscript.rewriter.rule_name")


_NO_3D = " (NetCanvas has no 3-D layers: no Conv3d, MaxPool3d or AvgPool3d)"


def _token_shaped(value) -> bool:
    return isinstance(value, np.ndarray) and value.ndim == 3 and value.shape[0] == 1 \
        and value.dtype.kind == "f"


def _one_d(window: dict) -> tuple[int, int, int]:
    return window["kernel_size"][0], window["stride"][0], window["padding"][0]


def _numel(dims) -> int:
    out = 1
    for d in dims:
        out *= d
    return out
