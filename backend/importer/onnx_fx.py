"""An ONNX file -> a torch.fx GraphModule of torch's own modules and calls, for fx_import.

A direct mapping of the ONNX graph, op by op (onnx2torch was the alternative; see the
README): weighted ops become nn modules holding the file's initializers, the rest become
the calls (`F.relu`, `torch.cat`, `x + y`, `x.reshape(x.size(0), ...)`) that the registry
layers declare they import from. Shape arithmetic on constants and on the batch size is
evaluated here, so `Shape -> Gather -> Concat -> Reshape` becomes one reshape.

This module walks the graph and holds the helpers the handlers share; the handlers are in
onnx_layers.py (ops that become layers, and the attributes each honours) and onnx_shapes.py
(constants and shape arithmetic).
"""

from __future__ import annotations

import ast
import operator
from pathlib import Path

import numpy as np
import torch
import torch.fx
from netcanvas.backend.importer.fx_import import ImportProblem
from netcanvas.backend.importer.onnx_attention import AttentionMatch, find_attentions
from netcanvas.backend.importer.onnx_checks import duplicate_output, missing_part
from netcanvas.backend.importer.onnx_layers import _NEUTRAL, HONOURED, LayerOps
from netcanvas.backend.importer.onnx_shapes import ShapeOps, _name, _Skip
from torch import nn

SUPPORTED_OPSETS = range(7, 24)


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


class _Converter(LayerOps, ShapeOps):
    """Walks the ONNX graph in order, each node through its `op_<OpType>` handler
    (onnx_layers.py: layers; onnx_shapes.py: constants and sizes), into one fx graph."""

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
        matched = {id(n): m for m in find_attentions(self.onnx, self.consts, self.shapes)
                   for n in m.nodes}
        for node in self.onnx.node:
            label = node.name or node.output[0]
            if any(i in self.failed for i in node.input):
                self.failed.update(node.output)
                continue
            if id(node) in matched:  # one decomposed attention: made at its last op
                if node.output[0] == matched[id(node)].output:
                    made = len(self.fx.nodes)
                    self._attention(matched[id(node)])
                    self._scope(node, list(self.fx.nodes)[made:], drop="MultiheadAttention")
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

    def _attention(self, match: AttentionMatch) -> None:
        """`attn(x, x, x, need_weights=False)[0]`, as the PyTorch path traces it."""
        embed = match.out_weight.shape[0]
        attn = self._load(nn.MultiheadAttention(embed, match.heads, batch_first=True),
                          **{"in_proj_weight": match.in_weight, "in_proj_bias": match.in_bias,
                             "out_proj.weight": match.out_weight,
                             "out_proj.bias": match.out_bias})
        x = self._tensor(match.source)
        stem = match.out_weight_name.rsplit(".", 2)[0] if "." in match.out_weight_name \
            else "attention"
        call = self._module(stem, attn, x, x, x)
        call.kwargs = {"need_weights": False}
        self.env[match.output] = self.fx.call_function(operator.getitem, (call, 0))

    # ---- helpers ------------------------------------------------------------------------
    @staticmethod
    def _scope(node, made: list, drop: str | None = None) -> None:
        """The torch modules the dynamo exporter records a node came from, as fx's
        `nn_module_stack` (path -> (path, class name)), for folding repeats into blocks;
        from the first module whose class name ends in `drop` on, none."""
        meta = {p.key: p.value for p in node.metadata_props}
        try:
            names = ast.literal_eval(meta["pkg.torch.onnx.name_scopes"])
            classes = ast.literal_eval(meta["pkg.torch.onnx.class_hierarchy"])
        except (KeyError, ValueError, SyntaxError):
            return
        stack, path = {}, ""
        for name, cls in list(zip(names, classes))[1:-1]:  # the root model; the aten op
            if drop and cls.endswith(drop):
                break
            # the exporter records full paths (`layer1`, `layer1.0`); older ones, the last part
            path = name if not path or name.startswith(path + ".") else f"{path}.{name}"
            stack[path] = (path, cls)
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
                operator.attrgetter(key)(module).copy_(  # a dotted key: a submodule's
                    torch.from_numpy(np.array(value, dtype=np.float32)))
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
