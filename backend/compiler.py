"""Graph -> torch.fx.GraphModule, built node by node (no tracing).

Submodule attribute names are the node names, so `gm.code` reads like hand-written
PyTorch (`conv1 = self.conv1(image)`) and forward hooks, probes and state_dict keys
are keyed by what the user sees on the canvas.
"""

from __future__ import annotations

import contextlib
import dataclasses
import operator
import re
from dataclasses import dataclass

import torch
import torch.fx
from netcanvas.backend.graph import Edge, Graph, GraphError, Node
from netcanvas.backend.graph.names import reserved_reason
from netcanvas.backend.registry import Shape
from netcanvas.backend.shapes import analyze


@dataclass(frozen=True)
class LossSpec:
    output: str  # Output node name
    loss: str  # cross_entropy, mse, l1, bce_with_logits, nll, none
    label_smoothing: float
    weight: float


@dataclass
class CompiledModel:
    module: torch.fx.GraphModule
    input_names: list[str]
    output_names: list[str]
    input_shapes: list[Shape]
    output_shapes: list[Shape]
    losses: list[LossSpec]

    def example_inputs(self, batch: int = 2, generator: torch.Generator | None = None
                       ) -> tuple[torch.Tensor, ...]:
        """Random float inputs of the declared per-sample shapes, on the module's device."""
        device = next((p.device for p in self.module.parameters()), torch.device("cpu"))
        return tuple(torch.randn((batch, *shape), generator=generator).to(device)
                     for shape in self.input_shapes)


class CompileError(GraphError):
    """The graph cannot become a module; `problems` holds (node_id, message) pairs, and the
    text is one message per line."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        lines = [message for _, message in problems]
        super().__init__("\n".join(lines), tuple(nid for nid, _ in problems if nid))
        self.problems = problems


class _ReadableCodeGen(torch.fx.graph.CodeGen):
    """fx's code generator minus its `x = None` reference drops, which only clutter the code
    the user reads (the values are freed when forward returns)."""

    _DROP = re.compile(r";  \S+(?: = \S+)* = None$", re.MULTILINE)

    def _gen_python_code(self, *args, **kwargs):
        code = super()._gen_python_code(*args, **kwargs)
        return dataclasses.replace(code, src=self._DROP.sub("", code.src))


def _reserved_message(node: Node, reason: str) -> str:
    return f"{node.spec.title} '{node.name}': the name is reserved: {reason}; rename the node"


def compile_graph(graph: Graph, device: str | torch.device | None = None,
                  class_name: str = "Net") -> CompiledModel:
    """Build the module; raises CompileError naming each node at fault.

    `device` creates the weights there directly; "meta" builds the structure alone, with no
    memory and no initialisation (enough for code and summaries, even for VGG-16). Block
    instances become submodules (their definition's `class_name`)."""
    if graph.owner is None and graph.blocks:  # an edit may have made what no load accepts
        from netcanvas.backend.blocks.size import ExpansionError, check_size, definition_sizes
        try:
            check_size(graph, definition_sizes(graph.blocks))
        except ExpansionError as exc:
            raise CompileError([(None, f"the graph {exc}")]) from None
    analysis = analyze(graph)
    errors = [(p.node_id, p.message) for p in analysis.problems if p.severity == "error"]
    if errors:
        raise CompileError(errors)
    nodes = [graph.nodes[nid] for nid in _execution_order(graph)]
    # Graph.check_name refuses these; a name set behind its back (node.name = ...) ends here.
    reserved = [(n.id, _reserved_message(n, reason)) for n in nodes
                if (reason := reserved_reason(n.name))]
    if reserved:
        raise CompileError(reserved)

    fx_graph = torch.fx.Graph()
    fx_graph.set_codegen(_ReadableCodeGen())
    root = torch.nn.Module()
    values: dict[tuple[str, str], torch.fx.Node] = {}  # (node id, port) -> value
    inputs = [n for n in graph.nodes.values() if n.type_id == "input"]
    for node in inputs:
        values[(node.id, "y")] = fx_graph.placeholder(node.name)
    with torch.device(device) if device is not None else contextlib.nullcontext():
        for node in nodes:
            if node.type_id == "output":  # passes its input through: it only names it
                edge = graph.edges_into(node.id)[0]
                values[(node.id, "y")] = values[(edge.src, edge.src_port)]
            elif node.type_id != "input":
                _add_layer(graph, node, graph.edges_into(node.id), analysis, fx_graph, root,
                           values)
    outputs = [n for n in graph.nodes.values() if n.type_id == "output"]
    results = [values[(n.id, "y")] for n in outputs]
    fx_graph.output(results[0] if len(results) == 1 else tuple(results))
    module = torch.fx.GraphModule(root, fx_graph, class_name=class_name)
    return CompiledModel(
        module=module,
        input_names=[n.name for n in inputs],
        output_names=[n.name for n in outputs],
        input_shapes=[tuple(n.params["shape"]) for n in inputs],
        output_shapes=[analysis.nodes[n.id].output_shapes["y"] for n in outputs],
        losses=[LossSpec(n.name, n.params["loss"], n.params["label_smoothing"],
                         n.params["weight"]) for n in outputs],
    )


def _add_layer(graph: Graph, node: Node, incoming: list[Edge], analysis,
               fx_graph: torch.fx.Graph, root: torch.nn.Module, values: dict) -> None:
    spec = node.spec
    shapes: dict = {}
    args: list[torch.fx.Node] = []
    kwargs: dict[str, torch.fx.Node] = {}  # wired optional ports, by name
    for port in spec.inputs:  # in port order; a many-port's edges in the order they were made
        edges = [e for e in incoming if e.dst_port == port.name]
        if port.many:
            shapes[port.name] = [analysis.edge_shapes[e] for e in edges]
        elif edges:
            shapes[port.name] = analysis.edge_shapes[edges[0]]
        if port.optional:
            kwargs.update((port.name, values[(e.src, e.src_port)]) for e in edges)
        else:
            args.extend(values[(e.src, e.src_port)] for e in edges)
    used = {e.src_port for e in graph.edges_from(node.id)}
    first_only = spec.build_first_output is not None and used <= {spec.outputs[0].name}
    build = spec.build_first_output if first_only else spec.build
    try:
        module = build(node.params, shapes)
    except Exception as exc:  # a build failure is a user-facing problem on this node
        raise CompileError([(node.id, f"{spec.title} '{node.name}' cannot be built: {exc}")]
                           ) from exc
    root.add_module(node.name, module)
    call = fx_graph.call_module(node.name, tuple(args), kwargs)
    if len(spec.outputs) == 1 or first_only:
        values[(node.id, spec.outputs[0].name)] = call
        return
    for index, port in enumerate(spec.outputs):
        if port.name in used:
            values[(node.id, port.name)] = fx_graph.create_node(
                "call_function", operator.getitem, (call, index), name=f"{node.name}_{port.name}")


def _execution_order(graph: Graph) -> list[str]:
    """The graph's one topological order (canvas order where it may, so the generated code
    reads top to bottom as the user built it), keeping only the nodes that feed an Output
    and every Input. O(nodes + edges)."""
    outputs = [nid for nid, n in graph.nodes.items() if n.type_id == "output"]
    live = graph.reachable(*outputs, downstream=False)
    live.update(nid for nid, n in graph.nodes.items() if n.type_id == "input")
    return [nid for nid in graph.order()[0] if nid in live]


def trace_node(exc: BaseException) -> str | None:
    """Name of the node whose module raised `exc` inside a compiled forward, or None.

    Reads the traceback after the fact: the frame of the GraphModule's forward is followed
    by the frame of the child module it called. Costs nothing until something fails."""
    tb = exc.__traceback__
    graph_module = None
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if graph_module is None and isinstance(owner, torch.fx.GraphModule):
            graph_module = owner  # the outermost: a block's own forward names the block
        elif graph_module is not None and isinstance(owner, torch.nn.Module):
            for name, child in graph_module.named_children():
                if child is owner:
                    return name
        tb = tb.tb_next
    return None
