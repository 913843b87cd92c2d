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
from netcanvas.backend.blocks.definition import BlockSet
from netcanvas.backend.graph import BLOCK, Graph, GraphError, Node, new_id
from netcanvas.backend.graph.layout import CANVAS_ASPECT, folded, layered_layout
from netcanvas.backend.importer import transformer as encoders
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
# Arithmetic on sizes (torchvision's channel shuffle: `channels // groups`), evaluated here.
_SIZE_ARITHMETIC = (operator.floordiv, operator.mul, operator.add, operator.sub)
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
    notes: list[str] = field(default_factory=list)  # what the report adds (folded BatchNorm)


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
            elif space == "netcanvas":  # a helper class, also as copied into exported code
                classes[form.target] = _Form(spec, form)
            elif space == "torchvision":  # by name: torchvision need not be installed
                if form.target.rpartition(".")[2][:1].isupper():
                    classes[form.target] = _Form(spec, form)
                else:
                    functions.setdefault(form.target, []).append(_Form(spec, form))
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
    """The declaration for a module's class, or for the class it extends when it keeps that
    class's forward (a subclass computing something else, such as ConvNeXt's LayerNorm2d
    over channels, is not the layer it extends). torchvision's classes and NetCanvas's own
    (`netcanvas.LayerNormChannels`, as `netcanvas code` copies them) are known by name."""
    classes = _forms()[0]
    cls = type(module)
    for base in cls.__mro__:
        own = base.__name__ in _helper_classes() and classes.get(f"netcanvas.{base.__name__}")
        found = own or classes.get(base) or classes.get(f"{base.__module__}.{base.__qualname__}")
        if found is None:
            continue
        if base is not cls and cls.forward is not base.forward and \
                cls.__name__ not in _helper_classes():
            return None
        return found
    return None


class Tracer(torch.fx.Tracer):
    """Keeps every module a layer imports from as one call (a subclass of nn.MaxUnpool2d
    too); traces through everything else, Sequential and the user's own classes alike."""

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return module_form(m) is not None or isinstance(m, encoders.ENCODERS)


def trace(module: nn.Module) -> torch.fx.GraphModule:
    """Traced in eval mode: what runs at inference (torchvision's stochastic depth is the
    identity there) is what is imported; Dropout and BatchNorm stay layers."""
    module.eval()
    return torch.fx.GraphModule(module, Tracer().trace(module), type(module).__name__)


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


class _Unmapped(Exception):
    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class _Builder:
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

    def _shape_arithmetic(self, node: torch.fx.Node) -> bool:
        """x.size(), x.shape, x.size(0), shape[0]: sizes, not layers. The batch size reads
        as BATCH, every other size as the int it is."""
        if node.op == "call_method" and node.target == "size" or (
                node.target is builtins.getattr and node.args[1] == "shape"):
            sizes = (BATCH, *_meta_shape(node.args[0])[1:])
            index = node.args[1] if node.op == "call_method" and len(node.args) > 1 else None
            self.scalars[node] = sizes if index is None else sizes[index]
            return True
        if node.op == "call_method" and node.target == "dim":
            self.scalars[node] = len(_meta_shape(node.args[0]))
            return True
        index = node.args[1] if node.target is operator.getitem else None
        if (isinstance(index, tuple) and len(index) == 2 and index[0] == slice(None)
                and index[1] in _STEP_INDEX and node.args[0] in self.tensors
                and len(_meta_shape(node.args[0])) == 3):
            mode = _STEP_INDEX[index[1]]  # x[:, 0]: a class token's state
            layer = self.graph.add("sequence_pool", self._name(node.name), mode=mode)
            src = self._tensor(node.args[0])
            self.graph.connect(src[0], layer.id, src[1], "x")
            self.tensors[node] = (layer.id, "y")
            return True
        if node.op == "call_function" and node.target in _SIZE_OPS:
            args = [self.scalars.get(a, a) if isinstance(a, torch.fx.Node) else a
                    for a in node.args]
            if all(isinstance(a, int) for a in args):  # sizes known now: h // patch_size
                self.scalars[node] = node.target(*args)
                return True
        if node.op == "call_function" and node.target is torch._assert:
            if self.scalars.get(node.args[0]) is not True:
                raise _Unmapped(f"the check {node.args[1:]!r} fails or depends on the data")
            return True  # a size check that holds for the shapes imported
        if node.target is operator.getitem and node.args[0] in self.scalars:
            self.scalars[node] = self.scalars[node.args[0]][node.args[1]]
            return True
        if node.target in _SIZE_ARITHMETIC and node.args and all(
                a in self.scalars or isinstance(a, int) for a in node.args) and not node.kwargs:
            values = [self.scalars.get(a, a) if isinstance(a, torch.fx.Node) else a
                      for a in node.args]
            if not all(isinstance(v, int) for v in values):  # the batch size: a layer's business
                return False
            self.scalars[node] = node.target(*values)
            return True
        if node.target == "chunk" and node.op == "call_method" or node.target is torch.chunk:
            args = node.args
            chunks = args[1] if len(args) > 1 else node.kwargs.get("chunks")
            dim = args[2] if len(args) > 2 else node.kwargs.get("dim", 0)
            if not (isinstance(chunks, int) and isinstance(dim, int)):
                raise _Unmapped("a chunk whose count or dim is not a number")
            self.chunks[node] = (node.args[0], chunks, dim)
            return True
        if node.target is operator.getitem and node.args[0] in self.chunks:
            self._chunk_piece(node)
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

    def _class_token(self, node: torch.fx.Node) -> None:
        """`token.expand(n, -1, -1)` is remembered; `torch.cat([that, x], dim=1)` becomes a
        ClassToken layer holding the tensor."""
        if node.op == "call_method" and node.target == "expand":
            self.tokens[node] = self.tokens[node.args[0]]
            return
        parts = node.args[0]
        token = self.tokens[parts[0]]
        if len(parts) != 2 or parts[1] not in self.tensors:
            raise _Unmapped("a class token joins one sequence: torch.cat([token, x], dim=1)")
        layer = self.graph.add("class_token", self._name(node.name), count=token.shape[1])
        src = self._tensor(parts[1])
        self.graph.connect(src[0], layer.id, src[1], "x")
        self.weights[f"{layer.name}.token"] = token.detach().float().cpu().contiguous()
        self.tensors[node] = (layer.id, "y")

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
            if spec.type_id == "multihead_attention":
                tensors = _attention_call(node)
            elif node.kwargs or len(node.args) > len(spec.inputs):
                raise _Unmapped("called with arguments beyond its tensors")
            else:
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

    def _chunk_piece(self, node: torch.fx.Node) -> None:
        """`x.chunk(n, dim)[i]` as torch cuts it: pieces of ceil(size / n), the last shorter."""
        source, chunks, dim = self.chunks[node.args[0]]
        shape = _meta_shape(source)
        axis = dim % len(shape)
        if axis == 0:
            raise _Unmapped("a chunk of the batch")
        step = -(-shape[axis] // chunks)
        start = node.args[1] * step
        layer = self.graph.add("narrow", self._name(node.name), dim=dim, start=start,
                               length=min(step, shape[axis] - start))
        src = self._tensor(source)
        self.graph.connect(src[0], layer.id, src[1], "x")
        self.tensors[node] = (layer.id, "y")

    def _helper_name(self, node: torch.fx.Node) -> str:
        """A NetCanvas helper module traced through (`self.add1 = Add()` in `netcanvas code`
        output) names the first layer it makes, so names survive the round trip."""
        stack = node.meta.get("nn_module_stack") or {}
        if stack:
            path, (_, cls) = list(stack.items())[-1]
            if getattr(cls, "__name__", cls) in _helper_classes() and path not in self.helper_paths:
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


RECURRENT = ("lstm", "gru")
# Arithmetic on known sizes (ints; not the batch), done at import: `n_h = h // p`, `h == 224`.
_STEP_INDEX = {0: "first", -1: "last"}  # x[:, i] of a sequence
_SIZE_OPS = {operator.floordiv, operator.mul, operator.add, operator.sub, operator.eq,
             operator.ne}
def _class_token_use(node) -> bool:
    """A get_attr only expanded over the batch (`token.expand(n, -1, -1)`) and put first in a
    torch.cat along dim 1; or such an expand itself."""
    if not isinstance(node, torch.fx.Node):
        return False
    if node.op == "get_attr":
        return bool(node.users) and all(_class_token_use(u) for u in node.users)
    if node.op != "call_method" or node.target != "expand":
        return False
    if tuple(node.args[2:]) != (-1, -1) or len(node.users) != 1:
        return False
    (cat,) = node.users
    dim = cat.kwargs.get("dim", cat.args[1] if len(cat.args) > 1 else 0)
    return (cat.target is torch.cat and dim == 1 and isinstance(cat.args[0], (list, tuple))
            and cat.args[0][0] is node)


def _attention_call(node: torch.fx.Node) -> dict:
    """`attn(x, x, x)` is self-attention, `attn(x, c, c)` cross-attention over c; masks and
    head-averaged weights have no NetCanvas form and are refused by name."""
    names = ("query", "key", "value", "key_padding_mask", "need_weights", "attn_mask",
             "average_attn_weights", "is_causal")
    call = dict(zip(names, node.args)) | dict(node.kwargs)
    weights_used = any(u.target is operator.getitem and u.args[1] == 1 and u.users
                       for u in node.users)
    if weights_used and call.get("average_attn_weights", True):
        raise _Unmapped("average_attn_weights=True has no NetCanvas equivalent: the "
                        "weights port gives each head's weights")
    for name in ("key_padding_mask", "attn_mask", "is_causal"):
        if call.get(name):
            raise _Unmapped(f"{name} has no NetCanvas equivalent on import (use the "
                            "layer's key_mask port or its causal setting)")
    if call.get("key") is not call.get("value"):
        raise _Unmapped("keys and values from different tensors have no NetCanvas "
                        "equivalent: the context port gives both")
    if call["key"] is call["query"]:
        return {"x": [call["query"]]}
    return {"x": [call["query"]], "context": [call["key"]]}


def _attributes(module: nn.Module) -> dict:
    """The module's constructor arguments, read back from its attributes of the same names
    (what torch's own modules keep); bias as a bool."""
    values = {}
    names = list(inspect.signature(type(module).__init__).parameters)[1:]
    if names == ["args", "kwargs"]:  # nn.LSTM, nn.GRU, LayerNorm2d keep them as attributes
        names = [k for k, v in vars(module).items() if not k.startswith("_")
                 and not isinstance(v, (torch.Tensor, nn.Module))]
    for name in names:
        if hasattr(module, name):
            value = getattr(module, name)
            if name == "bias" and not isinstance(value, bool):
                value = value is not None
            values[name] = tuple(value) if isinstance(value, (list, torch.Size)) else value
    return values


def _scope(node: torch.fx.Node) -> list[tuple[str, str]]:
    """[(module path, class name), ...] the node was made in, outermost first; a module
    call's own module last."""
    stack = [(path, getattr(cls, "__name__", str(cls).rpartition(".")[2]))
             for path, (_, cls) in (node.meta.get("nn_module_stack") or {}).items()]
    return stack


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
