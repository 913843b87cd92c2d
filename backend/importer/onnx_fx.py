"""An ONNX file -> a torch.fx GraphModule of torch's own modules and calls, for fx_import.

A direct mapping of the ONNX graph, op by op (onnx2torch was the alternative; see the
README): weighted ops become nn modules holding the file's initializers, the rest become
the calls (`F.relu`, `torch.cat`, `x + y`, `x.reshape(x.size(0), ...)`) that the registry
layers declare they import from. Shape arithmetic on constants and on the batch size is
evaluated here, so `Shape -> Gather -> Concat -> Reshape` becomes one reshape.
"""

from __future__ import annotations

import ast
import operator
import re
from pathlib import Path

import numpy as np
import torch
import torch.fx
from netcanvas.backend.importer.fx_import import ImportProblem
from netcanvas.backend.importer.onnx_checks import duplicate_output, missing_part
from netcanvas.backend.registry import BATCH
from netcanvas.backend.registry.layers.modules import MaxUnpool2dTo
from torch import nn
from torch.nn import functional as F

SUPPORTED_OPSETS = range(7, 24)

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
    "Transpose": {"perm"}, "Split": {"axis", "split", "num_outputs"},
    "LayerNormalization": {"axis", "epsilon"},
    "Add": set(), "Sub": set(), "Mul": set(), "Div": set(),
    "Constant": {"value", "value_float", "value_floats", "value_int", "value_ints"},
    "Shape": {"start", "end"}, "Gather": set(), "Range": set(), "ConstantOfShape": {"value"},
    "ScatterND": set(), "Unsqueeze": {"axes"}, "Squeeze": {"axes"}, "Cast": {"to"}, "Slice": set(),
}
# Values that leave an op unchanged for attributes the spec gives no default.
_NEUTRAL = {"dilations": 1, "strides": 1, "pads": 0}


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


def onnx_to_fx(path) -> tuple[torch.fx.GraphModule, list[tuple[int, ...]], list[str]]:
    """(module, per-sample input shapes, output names); raises ImportProblem listing every
    op that cannot be mapped, by op type and node name."""
    import onnx

    try:
        model = onnx.load(str(path))
        known = {v.name for v in [*model.graph.value_info, *model.graph.output]}
        if any(o not in known for n in model.graph.node for o in n.output if o):
            model = onnx.shape_inference.infer_shapes(model)  # copies the model: only if needed
    except Exception as exc:  # noqa: BLE001 - protobuf and checker errors alike
        raise ValueError(f"{path}: not a readable ONNX file ({exc})") from None
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    if opset not in SUPPORTED_OPSETS:
        raise ValueError(f"{path}: opset {opset} is not supported (opsets "
                         f"{SUPPORTED_OPSETS.start}-{SUPPORTED_OPSETS.stop - 1} are)")
    twice = duplicate_output(model.graph)
    if twice:
        raise ValueError(f"{path}: not a valid ONNX graph: {twice}")
    converter = _Converter(model.graph, opset)
    return converter.run(Path(path).stem)


def _name(text: str) -> str:
    name = re.sub(r"\W", "_", text)
    return name if name and not name[0].isdigit() else f"_{name}"


class _Converter:
    def __init__(self, graph, opset: int) -> None:
        from onnx import numpy_helper

        self.onnx, self.opset = graph, opset
        self.consts = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        self.weights_named = {n for n in self.consts if "." in n}  # `features.1.layer_scale`
        self.shapes = {}
        for vi in [*graph.input, *graph.value_info, *graph.output]:
            dims = vi.type.tensor_type.shape.dim
            self.shapes[vi.name] = tuple(d.dim_value if d.HasField("dim_value") else None
                                         for d in dims)
        self.uses: dict[str, int] = {}
        for node in graph.node:
            for name in node.input:
                self.uses[name] = self.uses.get(name, 0) + 1
        self.fx = torch.fx.Graph()
        self.root = nn.Module()
        self.env: dict[str, object] = dict(self.consts)
        self.problems: list[tuple[str, str, str]] = []
        self.failed: set[str] = set()
        self.linear_of: dict[str, nn.Linear] = {}  # MatMul outputs awaiting their bias Add
        self.fixed_batch = False
        self.folded: list[int] = []  # parameters lost by each BatchNorm folded into a Conv
        self.dropped: list[int] = []  # sizes of the all-zero biases the exporter removed

    def run(self, class_name: str):
        inputs, batches = [], set()
        for vi in self.onnx.input:
            if vi.name in self.consts:
                continue
            shape = self.shapes.get(vi.name, ())
            if len(shape) < 2 or None in shape[1:]:
                raise ValueError(f"input '{vi.name}' has shape {shape}: NetCanvas needs a "
                                 "batch dimension and fixed sizes for the rest")
            self.env[vi.name] = self.fx.placeholder(_name(vi.name))
            inputs.append(tuple(shape[1:]))
            batches.add(shape[0])
        self.fixed_batch = batches == {1}  # a fixed batch of 1 reads as the batch dimension
        with torch.device("meta"):  # modules are built empty; _load fills them
            self._convert_nodes()
        outputs = []
        for o in self.onnx.output:
            try:
                outputs.append(self._tensor(o.name))
            except _Skip as exc:
                if o.name not in self.failed:
                    self.problems.append(("output", o.name, exc.reason))
        if self.problems:
            raise ImportProblem(self.problems)
        self.fx.output(outputs[0] if len(outputs) == 1 else tuple(outputs))
        gm = torch.fx.GraphModule(self.root, self.fx, class_name)
        gm.meta["import_notes"] = self._notes()
        return gm, inputs, [_name(o.name) for o in self.onnx.output]

    def _notes(self) -> list[str]:
        notes = []
        if self.folded:
            notes.append(
                f"{len(self.folded)} BatchNorm layer(s) were folded into their convolutions by "
                f"the exporter: the file holds their effect, not the layers, so the model has "
                f"{sum(self.folded):,} fewer parameters than the original (a BatchNorm's scale "
                "and shift, 2 per channel, went into the convolution's weights and bias, 1 per "
                "channel, or none where the exporter dropped an all-zero bias)")
        if self.dropped:
            notes.append(
                f"the exporter dropped {len(self.dropped)} all-zero bias(es): "
                f"{sum(self.dropped):,} fewer parameters than the original (add a bias back "
                "in the inspector to train one)")
        if self.fixed_batch:
            notes.append("the file was exported for a batch of 1; it imports for any batch")
        return notes

    def _convert_nodes(self) -> None:
        for node in self.onnx.node:
            label = node.name or node.output[0]
            if any(i in self.failed for i in node.input):
                self.failed.update(node.output)
                continue
            handler = getattr(self, f"op_{node.op_type}", None)
            try:
                if node.domain not in ("", "ai.onnx") or handler is None:
                    raise _Skip("no NetCanvas layer imports it")
                attrs = self._attrs(node)
                self._check_attributes(node, attrs)
                made = len(self.fx.nodes)
                handler(node, attrs)
                self._scope(node, list(self.fx.nodes)[made:])
            except _Skip as exc:
                self.problems.append((node.op_type, label, exc.reason))
                self.failed.update(node.output)
            except (KeyError, IndexError) as exc:  # a required attribute or input is absent
                self.problems.append((node.op_type, label, missing_part(node, exc)))
                self.failed.update(node.output)

    # ---- helpers ------------------------------------------------------------------------
    @staticmethod
    def _scope(node, made: list) -> None:
        """The torch modules the dynamo exporter records a node came from, as fx's
        `nn_module_stack` (path -> (path, class name)), for folding repeats into blocks."""
        meta = {p.key: p.value for p in node.metadata_props}
        try:
            names = ast.literal_eval(meta["pkg.torch.onnx.name_scopes"])
            classes = ast.literal_eval(meta["pkg.torch.onnx.class_hierarchy"])
        except (KeyError, ValueError, SyntaxError):
            return
        stack, path = {}, []
        for name, cls in list(zip(names, classes))[1:-1]:  # the root model; the aten op
            path.append(name)
            stack[".".join(path)] = (".".join(path), cls)
        for fx_node in made:
            fx_node.meta["nn_module_stack"] = stack
    def _check_attributes(self, node, attrs: dict) -> None:
        """Refuse, by name, an attribute the handler does not honour set to a value that
        changes the result."""
        from onnx import defs, helper

        honoured = HONOURED.get(node.op_type, set())
        schema = defs.get_schema(node.op_type, self.opset, node.domain)
        for name, value in attrs.items():
            if name in honoured:
                continue
            declared = schema.attributes.get(name)
            default = (helper.get_attribute_value(declared.default_value)
                       if declared is not None and declared.default_value.name else None)
            neutral = _NEUTRAL.get(name)
            if value == default or (neutral is not None and isinstance(value, list)
                                    and all(v == neutral for v in value)):
                continue
            shown = value.decode() if isinstance(value, bytes) else value
            raise _Skip(f"attribute {name}={shown!r} is not supported")

    @staticmethod
    def _attrs(node) -> dict:
        from onnx import helper

        return {a.name: helper.get_attribute_value(a) for a in node.attribute}

    def _tensor(self, name: str) -> torch.fx.Node:
        value = self.env.get(name)
        if not isinstance(value, torch.fx.Node):
            raise _Skip(f"'{name}' is not a tensor computed from the inputs")
        return value

    def _const(self, name: str, what: str) -> np.ndarray:
        value = self.env.get(name)
        if not isinstance(value, np.ndarray):
            raise _Skip(f"{what} must be a constant of the file")
        if value.dtype == object:  # string tensors
            raise _Skip(f"{what} must be numbers, not text")
        return value

    def _input(self, node, i: int) -> str | None:
        return node.input[i] if len(node.input) > i and node.input[i] else None

    def _module(self, stem: str, module: nn.Module, *args) -> torch.fx.Node:
        name, i = _name(stem), 1
        while hasattr(self.root, name):
            i += 1
            name = f"{_name(stem)}_{i}"
        self.root.add_module(name, module)
        return self.fx.call_module(name, args)

    def _stem(self, node, weight: str | None = None) -> str:
        """Name a weighted layer after its weights (`conv1.weight` -> conv1)."""
        if weight and "." in weight:
            return weight.rsplit(".", 1)[0]
        return node.name or node.op_type.lower()

    def _call(self, node, fn, *args, **kwargs) -> None:
        self.env[node.output[0]] = self.fx.call_function(fn, args, kwargs)

    def _method(self, node, method: str, *args) -> None:
        self.env[node.output[0]] = self.fx.call_method(method, args)

    @staticmethod
    def _load(module: nn.Module, **tensors) -> nn.Module:
        """Give a module built on the meta device its memory and the file's values."""
        module.to_empty(device="cpu")
        with torch.no_grad():
            if getattr(module, "num_batches_tracked", None) is not None:
                module.num_batches_tracked.zero_()
            for key, value in tensors.items():
                getattr(module, key).copy_(torch.from_numpy(np.array(value, dtype=np.float32)))
        return module

    def _padding(self, attrs: dict, nd: int, kernel) -> tuple | str:
        auto = attrs.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        if auto == "VALID":
            return (0,) * nd
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            if any(k % 2 == 0 for k in kernel) or any(s != 1 for s in attrs.get("strides", [1])):
                raise _Skip(f"auto_pad {auto} with an even kernel or a stride")
            return "same"
        pads = list(attrs.get("pads", [0] * 2 * nd))
        if pads[:nd] != pads[nd:]:
            raise _Skip(f"asymmetric pads {pads}")
        return tuple(pads[:nd])

    # ---- weighted layers ----------------------------------------------------------------
    def op_Conv(self, node, a) -> None:
        w = self._const(node.input[1], "the weight")
        bias = self._input(node, 2)
        nd = w.ndim - 2
        if nd not in (1, 2):
            raise _Skip(f"{nd}-D convolution")
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
            raise _Skip(f"{len(kernel)}-D pooling")
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
        self._call(node, F.adaptive_avg_pool2d, self._tensor(node.input[0]), 1)

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
        if all(isinstance(v, torch.fx.Node) for v in values):
            self._call(node, torch.cat, values, a["axis"])
            return
        self.env[node.output[0]] = [d for n in node.input for d in self._shape_value(n)]

    # ---- constants and shape arithmetic -------------------------------------------------
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


def _rules(node) -> str:
    """The onnxscript rewrite rules the exporter applied to a node, as recorded."""
    return " ".join(p.value for p in node.metadata_props
                    if p.key == "pkg.onnxscript.rewriter.rule_name")


def _one_d(window: dict) -> tuple[int, int, int]:
    return window["kernel_size"][0], window["stride"][0], window["padding"][0]


def _numel(dims) -> int:
    out = 1
    for d in dims:
        out *= d
    return out
