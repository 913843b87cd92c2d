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
from netcanvas.backend.registry import (
    BATCH,
    REGISTRY,
    ImportForm,
    LayerSpec,
    ParamError,
    Shape,
    ShapeError,
)
from torch import nn
from torch.fx.passes.shape_prop import ShapeProp, TensorMetadata

EXAMPLE_BATCH = 1  # ShapeProp needs sizes only; the batch is found by where it is read
DEFAULT_CARD = (190.0, 110.0)  # a card's size when the editor's is not at hand (CLI import)
_NAMESPACES = {"nn": nn, "F": torch.nn.functional, "torch": torch, "operator": operator}


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


@dataclass(frozen=True)
class _Form:
    spec: LayerSpec
    form: ImportForm


@functools.cache
def _forms() -> tuple[dict, dict, dict]:
    """(nn class -> form, function -> forms, tensor method name -> forms) from the registry.
    A call several layers import from (`x * y`: Multiply for one shape, Multiply
    (broadcast) otherwise) lists them in registry order; the first that accepts the call's
    arguments and shapes is used."""
    classes, functions, methods = {}, {}, {}
    for spec in REGISTRY.values():
        for form in spec.imports:
            space, _, name = form.target.partition(".")
            if space == "Tensor":
                methods.setdefault(name, []).append(_Form(spec, form))
            elif space == "nn":
                classes[getattr(nn, name)] = _Form(spec, form)
            else:
                functions.setdefault(getattr(_NAMESPACES[space], name), []).append(_Form(spec, form))
    return classes, functions, methods


@functools.cache
def _helper_classes() -> frozenset[str]:
    """The names of NetCanvas's own module classes, which `netcanvas code` copies into the
    files it writes (Add, GlobalAvgPool2d, ...)."""
    from netcanvas.backend.registry.layers import modules

    return frozenset(name for name, cls in vars(modules).items() if isinstance(cls, type)
                     and issubclass(cls, nn.Module) and cls.__module__ == modules.__name__)


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
        first = (str(exc).strip().splitlines() or [""])[0]  # torch.fx appends a traceback
        why = f"fails on input {shapes}: {type(exc).__name__}: {first}"
        raise ImportProblem([("forward", type(gm).__name__, why)]) from None
    builder = _Builder(gm, input_shapes)
    for node in gm.graph.nodes:
        builder.visit(node, output_names)
    if builder.problems:
        raise ImportProblem(builder.problems)
    _refuse_unusable(builder.graph)
    _lay_out(builder.graph, card_size or (lambda spec: DEFAULT_CARD))
    return Imported(builder.graph, builder.weights)


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
        self.failed: set[torch.fx.Node] = set()
        self.helper_paths: set[str] = set()
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
            elif node.op == "get_attr":
                self._constant(node, _fetch(self.gm, node.target))
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
            self.tensors[node] = (layer.id, layer.spec.outputs[node.args[1]].name)
            return True
        return False

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

    def _match(self, found: _Form, node: torch.fx.Node):
        """(spec, params, tensors by port, module or None) when `found` accepts the call
        with its arguments and input shapes; raises _Unmapped saying why not."""
        spec, module = found.spec, None
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
            spec.infer_shape(params, self._input_shapes(spec, tensors))
        except (ParamError, KeyError, TypeError, ShapeError) as exc:
            raise _Unmapped(str(exc)) from None
        return spec, params, tensors, module

    def _input_shapes(self, spec: LayerSpec, tensors: dict) -> dict:
        shapes = {}
        for port in spec.inputs:
            got = [self.const_shapes.get(v) or (tuple(_meta_shape(v)[1:]) if isinstance(
                v, torch.fx.Node) else (1,)) for v in tensors.get(port.name, [])]
            shapes[port.name] = got if port.many else (got[0] if got else ())
        return shapes

    def _constant(self, node: torch.fx.Node | None, value: torch.Tensor, name: str = "") -> torch.fx.Node:
        """A stored tensor (a module attribute, or a number where a tensor belongs) as a
        Constant Tensor node; leading ones are dropped, so its per-sample shape broadcasts
        the way the tensor did against batched ones."""
        value = value.detach().float().cpu()
        shape = tuple(value.shape)
        while shape and shape[0] == 1:
            shape = shape[1:]
        shape = shape or (1,)
        layer = self.graph.add("constant_tensor", self._name(name or node.name), shape=shape)
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
            if cls.__name__ in _helper_classes() and path not in self.helper_paths:
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
        return functions.get(node.target, [])

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


def _attributes(module: nn.Module) -> dict:
    """The module's constructor arguments, read back from its attributes of the same names
    (what torch's own modules keep); bias as a bool."""
    values = {}
    for name in list(inspect.signature(type(module).__init__).parameters)[1:]:
        if hasattr(module, name):
            value = getattr(module, name)
            if name == "bias" and not isinstance(value, bool):
                value = value is not None
            values[name] = tuple(value) if isinstance(value, (list, torch.Size)) else value
    return values


def _call_defaults(node: torch.fx.Node) -> dict:
    """The keyword defaults of the function a call_function node calls, where Python can
    read them, and under "*" its parameter names in order."""
    if node.op != "call_function":
        return {}
    try:
        signature = inspect.signature(node.target)
    except (TypeError, ValueError):
        return {}
    defaults = {k: p.default for k, p in signature.parameters.items() if p.default is not p.empty}
    defaults["*"] = tuple(signature.parameters)  # the order, for the form's ignored ("-") slots
    return defaults


def _same(a, b) -> bool:
    return type(a) is type(b) and a == b


def _fetch(gm: torch.fx.GraphModule, target: str) -> torch.Tensor:
    owner, _, name = target.rpartition(".")
    return getattr(gm.get_submodule(owner) if owner else gm, name)


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
