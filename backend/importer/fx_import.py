"""A torch.fx graph -> NetCanvas layers, params and weights.

The one importer: PyTorch modules arrive here traced, ONNX files converted to fx
(onnx_fx.py). Which layer a call or module becomes is read from each layer's declared
`imports` in the registry; nothing here knows a layer by name.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import operator
from dataclasses import dataclass, field

import torch
import torch.fx
from netcanvas.backend.graph import Graph, GraphError
from netcanvas.backend.graph.layout import layered_layout
from netcanvas.backend.registry import BATCH, REGISTRY, ImportForm, LayerSpec, ParamError, Shape
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata

EXAMPLE_BATCH = 1  # ShapeProp needs sizes only; the batch is found by where it is read
DEFAULT_CARD = (190.0, 110.0)  # a card's size when the editor's is not at hand (CLI import)
_NAMESPACES = {"nn": nn, "F": torch.nn.functional, "torch": torch, "operator": operator}


class ImportProblem(ValueError):
    """The model cannot be imported; `problems` holds (op, original node name, reason) and the
    message lists each, on one line."""

    def __init__(self, problems: list[tuple[str, str, str]]) -> None:
        self.problems = problems
        parts = [f"{op} at node '{name}'" + (f" ({why})" if why else "")
                 for op, name, why in problems]
        super().__init__(f"cannot import {len(problems)} node(s): " + "; ".join(parts))


@dataclass
class Imported:
    graph: Graph
    weights: dict[str, torch.Tensor] = field(default_factory=dict)  # `<node name>.<tensor>`


@dataclass(frozen=True)
class _Form:
    spec: LayerSpec
    form: ImportForm


@functools.cache
def _forms() -> tuple[dict, dict, dict]:
    """(nn class -> form, function -> form, tensor method name -> forms) from the registry."""
    classes, functions, methods = {}, {}, {}
    for spec in REGISTRY.values():
        for form in spec.imports:
            space, _, name = form.target.partition(".")
            if space == "Tensor":
                methods.setdefault(name, []).append(_Form(spec, form))
            elif space == "nn":
                classes[getattr(nn, name)] = _Form(spec, form)
            else:
                functions[getattr(_NAMESPACES[space], name)] = _Form(spec, form)
    return classes, functions, methods


def module_form(module: nn.Module) -> _Form | None:
    """The declaration for a module's class, or for the torch class it extends."""
    classes = _forms()[0]
    return next((classes[c] for c in type(module).__mro__ if c in classes), None)


class Tracer(torch.fx.Tracer):
    """Keeps every module a layer imports from as one call (a subclass of nn.MaxUnpool2d
    too); traces through everything else, Sequential and the user's own classes alike."""

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return module_form(m) is not None


def trace(module: nn.Module) -> torch.fx.GraphModule:
    return torch.fx.GraphModule(module, Tracer().trace(module), type(module).__name__)


def import_fx(gm: torch.fx.GraphModule, input_shapes: list[Shape],
              output_names: list[str] | None = None, card_size=None) -> Imported:
    """Map every node of `gm` to a layer; raises ImportProblem listing all that cannot map.
    `input_shapes` are per-sample shapes of the placeholders, in order."""
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
        raise ImportProblem([("forward", type(gm).__name__,
                              f"fails on input {shapes}: {type(exc).__name__}: {exc}")]) from None
    builder = _Builder(gm, input_shapes)
    for node in gm.graph.nodes:
        builder.visit(node, output_names)
    if builder.problems:
        raise ImportProblem(builder.problems)
    _lay_out(builder.graph, card_size or (lambda spec: DEFAULT_CARD))
    return Imported(builder.graph, builder.weights)


def _lay_out(graph: Graph, card_size) -> None:
    sizes = {nid: card_size(n.spec) for nid, n in graph.nodes.items()}
    positions = layered_layout(list(graph.nodes), [(e.src, e.dst) for e in graph.edges], sizes)
    for nid, position in positions.items():
        graph.move(nid, position)


class _Unmapped(Exception):
    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class _Builder:
    def __init__(self, gm: torch.fx.GraphModule, input_shapes: list[Shape]) -> None:
        self.gm, self.input_shapes = gm, list(input_shapes)
        self.graph = Graph()
        self.weights: dict[str, torch.Tensor] = {}
        self.problems: list[tuple[str, str, str]] = []
        self.tensors: dict[torch.fx.Node, tuple[str, str]] = {}  # value -> (node id, port)
        self.multi: dict[torch.fx.Node, str] = {}  # a layer call returning several outputs
        self.scalars: dict[torch.fx.Node, object] = {}  # sizes: ints, BATCH, tuples of them
        # An LSTM's (h_n, c_n) ("states") or a recurrent layer's h_n: (layer id, which).
        self.recurrent: dict[torch.fx.Node, tuple[str, str]] = {}
        self.failed: set[torch.fx.Node] = set()

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
            elif node.op == "get_attr":
                raise _Unmapped("a constant tensor of the module, not a layer")
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

    def _shape_arithmetic(self, node: torch.fx.Node) -> bool:
        """x.size(), x.shape, x.size(0), shape[0]: sizes, not layers. The batch size reads
        as BATCH, every other size as the int it is."""
        if node.op == "call_method" and node.target == "size" or (
                node.target is builtins.getattr and node.args[1] == "shape"):
            sizes = (BATCH, *_meta_shape(node.args[0])[1:])
            index = node.args[1] if node.op == "call_method" and len(node.args) > 1 else None
            self.scalars[node] = sizes if index is None else sizes[index]
            return True
        if node.target is operator.getitem and node.args[0] in self.scalars:
            self.scalars[node] = self.scalars[node.args[0]][node.args[1]]
            return True
        if node.target is operator.getitem and node.args[0] in self.multi:
            layer = self.graph.nodes[self.multi[node.args[0]]]
            if layer.type_id in RECURRENT and node.args[1] == 1:  # every layer's final state
                self.recurrent[node] = (layer.id, "states" if layer.type_id == "lstm" else "h_n")
                return True
            self.tensors[node] = (layer.id, layer.spec.outputs[node.args[1]].name)
            return True
        if node.target is operator.getitem and node.args[0] in self.recurrent:
            self._recurrent_item(node)
            return True
        return False

    def _recurrent_item(self, node: torch.fx.Node) -> None:
        """`(h_n, c_n)[0]` is h_n; `h_n[-1]`, the last layer's final state, is the layer's
        "h" port (one direction; both directions' states come joined only from the port)."""
        layer_id, which = self.recurrent[node.args[0]]
        layer, index = self.graph.nodes[layer_id], node.args[1]
        if not node.users:  # `_, (h, _) = lstm(x)` unpacks what it never uses
            return
        if which == "states":
            if index != 0:
                raise _Unmapped("the LSTM's cell state c_n has no NetCanvas port; use h_n[-1]")
            self.recurrent[node] = (layer_id, "h_n")
            return
        last = layer.params["num_layers"] - 1
        if layer.params["bidirectional"] or index not in (-1, last):
            raise _Unmapped(f"only h_n[-1] of a one-direction {layer.spec.title} imports (the "
                            "last layer's final state: the layer's 'h' port)")
        self.tensors[node] = (layer_id, "h")

    def _layer(self, node: torch.fx.Node) -> None:
        found = self._find(node)
        spec = found.spec
        if node.op == "call_module":
            module = self.gm.get_submodule(node.target)
            values = _attributes(module)
            if node.kwargs or len(node.args) > len(spec.inputs):
                raise _Unmapped("called with arguments beyond its tensors")
            tensors = {port.name: [a] for port, a in zip(spec.inputs, node.args)}
        else:
            tensors, values = self._bind(found, node)
        try:
            raw = found.form.read(values) if found.form.read else {
                k: v for k, v in values.items() if any(p.name == k for p in spec.params)}
            params = spec.validate_params(raw)
        except (ParamError, KeyError, TypeError) as exc:
            raise _Unmapped(str(exc)) from None
        layer = self.graph.add(spec.type_id, self._name(node.name), **params)
        for port in spec.inputs:
            for value in tensors.get(port.name, []):
                src = self._tensor(value)
                self.graph.connect(src[0], layer.id, src[1], port.name)
        if node.op == "call_module":
            for key, tensor in module.state_dict().items():
                self.weights[f"{layer.name}.{key}"] = tensor.detach().cpu().contiguous()
        meta = node.meta.get("tensor_meta")
        if len(spec.outputs) > 1 and not isinstance(meta, TensorMetadata):  # a tuple of them
            self.multi[node] = layer.id
        else:
            self.tensors[node] = (layer.id, spec.outputs[0].name)

    def _find(self, node: torch.fx.Node) -> _Form:
        _, functions, methods = _forms()
        if node.op == "call_module":
            found = module_form(self.gm.get_submodule(node.target))
        elif node.op == "call_method":
            found = next(iter(methods.get(node.target, ())), None)
        else:
            found = functions.get(node.target)
        if found is None:
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
        for name, arg in node.kwargs.items():
            if name not in names and f"*{name}" not in names:
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
        if not isinstance(value, torch.fx.Node) or value not in self.tensors:
            raise _Unmapped(f"{value!r} is not a tensor of the network")
        return self.tensors[value]

    def _name(self, name: str) -> str:
        try:
            self.graph.check_name(name)
            return name
        except GraphError:
            return self.graph.unique_name(name)


RECURRENT = ("lstm", "gru")


def _attributes(module: nn.Module) -> dict:
    """The module's constructor arguments, read back from its attributes of the same names
    (what torch's own modules keep); bias as a bool."""
    values = {}
    names = list(inspect.signature(type(module).__init__).parameters)[1:]
    if names == ["args", "kwargs"]:  # nn.LSTM, nn.GRU: RNNBase keeps them as attributes
        names = [k for k, v in vars(module).items() if not k.startswith("_")
                 and not isinstance(v, (torch.Tensor, nn.Module))]
    for name in names:
        if hasattr(module, name):
            value = getattr(module, name)
            if name == "bias" and not isinstance(value, bool):
                value = value is not None
            values[name] = tuple(value) if isinstance(value, (list, torch.Size)) else value
    return values


def _meta_shape(node) -> tuple[int, ...]:
    meta = node.meta.get("tensor_meta") if isinstance(node, torch.fx.Node) else None
    if meta is None or not hasattr(meta, "shape"):
        raise _Unmapped("the size of a value that is not a tensor")
    return tuple(meta.shape)


def _op_name(node: torch.fx.Node, gm: torch.fx.GraphModule) -> str:
    if node.op == "call_module":
        return type(gm.get_submodule(node.target)).__name__
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    if node.op == "get_attr":
        return "get_attr"
    target = node.target
    module = getattr(target, "__module__", None) or ""
    short = {"torch.nn.functional": "F", "_operator": "operator"}.get(module, module)
    return f"{short}.{getattr(target, '__name__', target)}" if short else str(target)
