"""A torch.fx graph -> NetCanvas layers, params and weights.

The one importer: PyTorch modules arrive here traced, ONNX files converted to fx
(onnx_fx.py). Which layer a call or module becomes is read from each layer's declared
`imports` in the registry (fx_forms.py); nothing here knows a layer by name. Values that
are not layers (sizes, class tokens, chunks) are read in fx_values.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.fx
from netcanvas.backend.blocks.definition import BlockSet
from netcanvas.backend.export.python_export import HELPER_CLASSES
from netcanvas.backend.graph import BLOCK, Graph, GraphError, Node, new_id
from netcanvas.backend.graph.layout import CANVAS_ASPECT, folded, layered_layout
from netcanvas.backend.importer import transformer as encoders
from netcanvas.backend.importer.fx_forms import (
    _attention_call,
    _attributes,
    _call_defaults,
    _Form,
    _forms,
    _op_name,
    _same,
    _Unmapped,
    module_form,
)
from netcanvas.backend.importer.fx_values import (
    ValueReader,
    _class_token_use,
    _fetch,
    _meta_shape,
)
from netcanvas.backend.registry import (
    LayerSpec,
    ParamError,
    Shape,
    ShapeError,
)
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata

EXAMPLE_BATCH = 1  # ShapeProp needs sizes only; the batch is found by where it is read
DEFAULT_CARD = (190.0, 110.0)  # a card's size when the editor's is not at hand (CLI import)


class ImportProblem(ValueError):
    """The model cannot be imported; `problems` holds (op, original node name, reason) and the
    one-line message lists every op once, with how many nodes use it, so a user sees at once
    all that a model lacks."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = problems
        grouped: dict[tuple[str, str], list[str]] = {}
        for op, name, why in problems:
            grouped.setdefault((op, why), []).append(name)
        parts = []
        for (op, why), names in grouped.items():
            count = f" ×{len(names)}" if len(names) > 1 else ""
            where = f"node '{names[0]}'" + (", ..." if len(names) > 1 else "")
            parts.append(f"{op}{count} at {where}" + (f" ({why})" if why else ""))
        super().__init__(f"cannot import {len(problems)} node(s): " + "; ".join(parts))


@dataclass
class Imported:
    graph: Graph
    weights: dict[str, torch.Tensor] = field(default_factory=dict)  # `<node name>.<tensor>`
    notes: list[str] = field(default_factory=list)  # what the report adds (folded BatchNorm)














def import_fx(gm: torch.fx.GraphModule, input_shapes: list[Shape],
              output_names: list[str] | None = None, card_size=None,
              blocks: bool = True) -> Imported:
    """Map every node of `gm` to a layer; raises ImportProblem listing all that cannot map.
    `input_shapes` are per-sample shapes of the placeholders, in order. `blocks`: fold a
    module class's repeated instances into one block definition (fold.py)."""
    gm.eval()
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != len(input_shapes):
        given = f"takes {len(placeholders)} input(s), {len(input_shapes)} shape(s) given"
        raise ImportProblem([("forward", "inputs", given)])
    try:
        with torch.no_grad():
            ShapeProp(gm).propagate(*(torch.randn(EXAMPLE_BATCH, *s) for s in input_shapes))
    except Exception as exc:  # noqa: BLE001 - the model's own forward failing on these shapes
        shapes = ", ".join("×".join(map(str, s)) for s in input_shapes)
        first = (str(exc).strip().splitlines() or [""])[0]  # torch.fx appends a traceback
        why = f"fails on input {shapes}: {type(exc).__name__}: {first}"
        raise ImportProblem([("forward", type(gm).__name__, why)]) from None
    builder = _Builder(gm, input_shapes)
    for node in gm.graph.nodes:
        builder.visit(node, output_names)
    if builder.problems:
        raise ImportProblem(builder.problems)
    _refuse_unusable(builder.graph)
    notes = list(gm.meta.get("import_notes", ()))
    imported = Imported(builder.graph, builder.weights, notes)
    if blocks:
        from netcanvas.backend.importer.fold import fold_checked

        imported = fold_checked(imported, builder.scopes, builder.input_shapes_given)
    _lay_out(imported.graph, card_size or (lambda spec: DEFAULT_CARD))
    return imported


def _refuse_unusable(graph: Graph) -> None:
    """An imported graph that does not check (a shape no layer accepts) is refused whole, so
    nothing unusable is ever written."""
    from netcanvas.backend.shapes import analyze

    errors = [(graph.nodes[p.node_id].spec.title if p.node_id in graph.nodes else "graph",
               graph.nodes[p.node_id].name if p.node_id in graph.nodes else "", p.message)
              for p in analyze(graph).problems if p.severity == "error"]
    if errors:
        raise ImportProblem(errors)


def _lay_out(graph: Graph, card_size) -> None:
    sizes = {nid: card_size(n.spec) for nid, n in graph.nodes.items()}
    positions = layered_layout(list(graph.nodes), [(e.src, e.dst) for e in graph.edges], sizes)
    for nid, position in folded(positions, sizes, aspect=CANVAS_ASPECT).items():
        graph.move(nid, position)




class _Builder(ValueReader):
    """Maps fx nodes to layers in order; values that are not layers (sizes, class tokens,
    recurrent states, chunks) are read by ValueReader (fx_values.py)."""

    def __init__(self, gm: torch.fx.GraphModule, input_shapes: list[Shape]) -> None:
        self.gm, self.input_shapes = gm, list(input_shapes)
        self.input_shapes_given = list(input_shapes)
        self.graph = Graph()
        self.weights: dict[str, torch.Tensor] = {}
        self.problems: list[tuple[str, str, str]] = []
        self.tensors: dict[torch.fx.Node, tuple[str, str]] = {}  # value -> (node id, port)
        self.multi: dict[torch.fx.Node, str] = {}  # a layer call returning several outputs
        self.scalars: dict[torch.fx.Node, object] = {}  # sizes: ints, BATCH, tuples of them
        # An LSTM's (h_n, c_n) ("states") or a recurrent layer's h_n: (layer id, which).
        self.recurrent: dict[torch.fx.Node, tuple[str, str]] = {}
        # A stored (1, count, F) tensor expanded over the batch and put in front: ViT's class
        # token. The get_attr, then its expand, map to the tensor until the cat takes them.
        self.tokens: dict[torch.fx.Node, torch.Tensor] = {}
        self.failed: set[torch.fx.Node] = set()
        self.helper_paths: set[str] = set()
        self.scopes: dict[str, list[tuple[str, str]]] = {}  # layer id -> its modules
        self.chunks: dict[torch.fx.Node, tuple] = {}  # x.chunk(n, dim): (x, n, dim)
        self.const_shapes: dict[object, Shape] = {}  # Constant Tensor nodes' per-sample shapes

    # ---- one fx node ------------------------------------------------------------------
    def visit(self, node: torch.fx.Node, output_names: list[str] | None) -> None:
        if any(arg in self.failed for arg in node.all_input_nodes):
            self.failed.add(node)  # its cause is already listed
            return
        try:
            if node.op == "placeholder":
                nid = self.graph.add("input", self._name(node.name),
                                     shape=self.input_shapes.pop(0)).id
                self.tensors[node] = (nid, "y")
            elif node.op == "output":
                self._outputs(node, output_names)
            elif node.op == "get_attr" and _class_token_use(node):
                self.tokens[node] = _fetch(self.gm, node.target)
            elif node.op == "get_attr":
                self._constant(node, _fetch(self.gm, node.target))
            elif node.args and (isinstance(node.args[0], (list, tuple)) and node.args[0]
                                and node.args[0][0] in self.tokens
                                or isinstance(node.args[0], torch.fx.Node)
                                and node.args[0] in self.tokens):
                self._class_token(node)
            elif node.op == "call_module" and isinstance(
                    self.gm.get_submodule(node.target), encoders.ENCODERS):
                self._encoder(node)
            elif not self._shape_arithmetic(node):
                self._layer(node)
        except _Unmapped as exc:
            self.problems.append((_op_name(node, self.gm), node.name, exc.reason))
            self.failed.add(node)

    def _outputs(self, node: torch.fx.Node, names: list[str] | None) -> None:
        results = node.args[0] if isinstance(node.args[0], (tuple, list)) else (node.args[0],)
        for i, value in enumerate(results):
            src = self._tensor(value)
            name = names[i] if names and i < len(names) else "output"
            out = self.graph.add("output", self._name(name), loss="none")
            self.graph.connect(src[0], out.id, src[1], "x")




    def _layer(self, node: torch.fx.Node) -> None:
        error = None
        for found in self._find(node):
            try:
                spec, params, tensors, module = self._match(found, node)
                break
            except _Unmapped as exc:
                error = exc  # the last candidate is the most general one
        else:
            raise error
        layer = self.graph.add(spec.type_id, self._name(self._helper_name(node)), **params)
        self.scopes[layer.id] = _scope(node)
        for port in spec.inputs:
            wired = set()
            for value in tensors.get(port.name, []):
                if not isinstance(value, torch.fx.Node):
                    value = self._constant(None, torch.tensor(float(value)),
                                           f"{layer.name}_{port.name}")
                src = self._tensor(value)
                if src in wired:  # torch.cat([x, x]): one edge per source, so a junction
                    junction = self.graph.add("identity", self._name(f"{layer.name}_{port.name}"))
                    self.graph.connect(src[0], junction.id, src[1], "x")
                    src = (junction.id, "y")
                wired.add(src)
                self.graph.connect(src[0], layer.id, src[1], port.name)
        if module is not None:
            for key, tensor in module.state_dict().items():
                self.weights[f"{layer.name}.{key}"] = tensor.detach().cpu().contiguous()
        meta = node.meta.get("tensor_meta")
        if len(spec.outputs) > 1 and not isinstance(meta, TensorMetadata):  # a tuple of them
            self.multi[node] = layer.id
        else:
            self.tensors[node] = (layer.id, spec.outputs[0].name)

    def _encoder(self, node: torch.fx.Node) -> None:
        """A torch transformer encoder (layer or stack) as the library's encoder block with
        Repeat (backend/importer/transformer.py); its final norm as a LayerNorm after it."""
        module = self.gm.get_submodule(node.target)
        try:
            encoders.check_call(module, node.args, node.kwargs)
            name, params, inner, weights, norm = encoders.encoder_block(module)
            if self.graph.blocks is None:
                self.graph.blocks = BlockSet()
            encoders.add_definition(self.graph.blocks, name, inner)
        except encoders.EncoderProblem as exc:
            raise _Unmapped(str(exc)) from None
        spec = self.graph.blocks.spec(name)
        block = self.graph.add_node(Node(new_id(), BLOCK, self._name(node.name),
                                         spec.defaults() | params))
        src = self._tensor(node.args[0])
        self.graph.connect(src[0], block.id, src[1], "x")
        self.weights.update({f"{block.name}.{k}": v for k, v in weights.items()})
        self.tensors[node] = (block.id, "y")
        if norm is not None:
            layer = self.graph.add("layer_norm", self._name(f"{block.name}_norm"), dims=1,
                                   eps=norm.eps)
            self.graph.connect(block.id, layer.id, "y", "x")
            for key, tensor in norm.state_dict().items():
                self.weights[f"{layer.name}.{key}"] = tensor.detach().cpu().contiguous()
            self.tensors[node] = (layer.id, "y")

    def _match(self, found: _Form, node: torch.fx.Node):
        """(spec, params, tensors by port, module or None) when `found` accepts the call
        with its arguments and input shapes; raises _Unmapped saying why not."""
        spec, module = found.spec, None
        if node.op == "call_module":
            module = self.gm.get_submodule(node.target)
            values = _attributes(module)
            if isinstance(module, nn.MultiheadAttention):
                tensors = _attention_call(node)
            else:
                tensors = _module_call(spec, node)
        else:
            tensors, values = self._bind(found, node)
        try:
            raw = found.form.read(values) if found.form.read else {
                k: v for k, v in values.items() if any(p.name == k for p in spec.params)}
            params = spec.validate_params(raw)
            spec.infer_shape(params, self._input_shapes(spec, tensors))
        except (ParamError, KeyError, TypeError, ShapeError) as exc:
            raise _Unmapped(str(exc)) from None
        return spec, params, tensors, module

    def _input_shapes(self, spec: LayerSpec, tensors: dict) -> dict:
        shapes = {}
        for port in spec.inputs:
            got = [self.const_shapes.get(v) or (tuple(_meta_shape(v)[1:]) if isinstance(
                v, torch.fx.Node) else (1,)) for v in tensors.get(port.name, [])]
            if port.optional and not got:
                continue
            shapes[port.name] = got if port.many else (got[0] if got else ())
        return shapes

    def _constant(self, node: torch.fx.Node | None, value: torch.Tensor, name: str = "") -> torch.fx.Node:
        """A stored tensor (a module attribute, or a number where a tensor belongs) as a
        Constant Tensor node; leading ones are dropped, so its per-sample shape broadcasts
        the way the tensor did against batched ones."""
        trainable = isinstance(value, nn.Parameter)  # ConvNeXt's layer scale is learned
        value = value.detach().float().cpu()
        shape = tuple(value.shape)
        while shape and shape[0] == 1:
            shape = shape[1:]
        shape = shape or (1,)
        layer = self.graph.add("constant_tensor", self._name(name or node.name), shape=shape,
                               trainable=trainable)
        self.weights[f"{layer.name}.value"] = value.reshape(1, *shape).contiguous()
        key = node if node is not None else object()
        self.tensors[key] = (layer.id, "y")
        self.const_shapes[key] = shape
        return key


    def _helper_name(self, node: torch.fx.Node) -> str:
        """A NetCanvas helper module traced through (`self.add1 = Add()` in `netcanvas code`
        output) names the first layer it makes, so names survive the round trip."""
        stack = node.meta.get("nn_module_stack") or {}
        if stack:
            path, (_, cls) = list(stack.items())[-1]
            if getattr(cls, "__name__", cls) in HELPER_CLASSES and path not in self.helper_paths:
                self.helper_paths.add(path)
                return path.replace(".", "_")
        return node.name

    def _candidates(self, node: torch.fx.Node) -> list[_Form]:
        _, functions, methods = _forms()
        if node.op == "call_module":
            found = module_form(self.gm.get_submodule(node.target))
            return [found] if found else []
        if node.op == "call_method":
            return methods.get(node.target, [])
        dotted = f"{getattr(node.target, '__module__', '')}.{getattr(node.target, '__name__', '')}"
        return functions.get(node.target) or functions.get(dotted, [])

    def _find(self, node: torch.fx.Node) -> list[_Form]:
        found = self._candidates(node)
        if not found:
            raise _Unmapped("no NetCanvas layer imports it")
        return found

    def _bind(self, found: _Form, node: torch.fx.Node) -> tuple[dict, dict]:
        """A call's arguments by the names its form gives them: tensors by port, the rest
        as plain values (sizes resolved)."""
        form = found.form
        spec_ports = {p.name for p in found.spec.inputs}
        tensors: dict[str, list] = {}
        values = dict(form.defaults)
        names = list(form.args)
        for i, arg in enumerate(node.args):
            if i >= len(names):
                raise _Unmapped(f"takes {len(names)} arguments, got {len(node.args)}")
            name = names[i]
            if name.startswith("*"):
                values[name[1:]] = tuple(self._value(a) for a in node.args[i:])
                break
            self._put(name, arg, spec_ports, tensors, values)
        defaults = _call_defaults(node)
        ignored = {p for p, n in zip(defaults.get("*", ()), names) if n == "-"}
        for name, arg in node.kwargs.items():
            if name not in names and f"*{name}" not in names:
                if name in ignored or name in defaults and _same(defaults[name], arg):
                    continue  # torch.fx records F.relu's inplace=False, softmax's _stacklevel
                raise _Unmapped(f"argument {name}={arg!r} is not supported")
            self._put(name, arg, spec_ports, tensors, values)
        return tensors, values

    def _put(self, name, arg, ports, tensors, values) -> None:
        if name == "-":
            return
        if name in ports:
            tensors.setdefault(name, []).extend(arg if isinstance(arg, (list, tuple)) else [arg])
        else:
            values[name] = self._value(arg)

    def _value(self, arg):
        if isinstance(arg, (list, tuple)):
            return type(arg)(self._value(a) for a in arg)
        if isinstance(arg, torch.fx.Node):
            if arg in self.scalars:
                return self.scalars[arg]
            raise _Unmapped(f"takes the tensor '{arg.name}' where a number belongs")
        return arg

    def _tensor(self, value) -> tuple[str, str]:
        if value not in self.tensors:
            raise _Unmapped(f"{value!r} is not a tensor of the network")
        return self.tensors[value]

    def _name(self, name: str) -> str:
        try:
            self.graph.check_name(name)
            return name
        except GraphError:
            return self.graph.unique_name(name)








def _module_call(spec: LayerSpec, node: torch.fx.Node) -> dict:
    """A module call's tensors by port: positional in the ports' order, keywords by port
    name (`self.pool(x, mask=mask)`); an argument that is no port is refused."""
    ports = [port.name for port in spec.inputs]
    if len(node.args) > len(ports) or set(node.kwargs) - set(ports):
        raise _Unmapped("called with arguments beyond its tensors")
    call = dict(zip(ports, node.args)) | dict(node.kwargs)
    return {name: [value] for name, value in call.items() if value is not None}


def _scope(node: torch.fx.Node) -> list[tuple[str, str]]:
    """[(module path, class name), ...] the node was made in, outermost first; a module
    call's own module last."""
    stack = [(path, getattr(cls, "__name__", str(cls).rpartition(".")[2]))
             for path, (_, cls) in (node.meta.get("nn_module_stack") or {}).items()]
    return stack










