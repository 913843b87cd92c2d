"""One forward and one backward pass with autograd, recording every wire.

On a scalar circuit (Constants and elementwise layers, the course's f = z(x + y)) each
wire carries its value and the gradient of the output with respect to it, and each node
its local derivatives. On a real network, fed one sample, the wires carry the tensor's
norm and its gradient's norm. Wires are keyed by their source (node id, port): every edge
out of one port carries the same tensor.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field

import torch
import torch.fx
from netcanvas.backend.graph import Graph


class CircuitError(ValueError):
    """A bad --set or sample; the message names the node."""


@dataclass(frozen=True)
class Wire:
    shape: tuple[int, ...]  # the whole tensor's, batch of one included
    value: float  # the scalar itself, or the norm of a tensor
    grad: float | None  # d output / d wire (or its norm); None where no gradient reaches
    scalar: bool


@dataclass
class CircuitResult:
    output: str  # the Output node's name
    value: float  # the output (a scalar circuit) or the objective that was differentiated
    objective: str  # "output" or "loss"
    wires: dict[tuple[str, str], Wire] = field(default_factory=dict)
    # node id -> [(input node name, d node / d input)], scalar nodes only
    local: dict[str, list[tuple[str, float]]] = field(default_factory=dict)

    def wire(self, graph: Graph, name: str, port: str = "y") -> Wire:
        node = next(n for n in graph.nodes.values() if n.name == name)
        return self.wires[(node.id, port)]


class _Recorder(torch.fx.Interpreter):
    """Runs the GraphModule node by node, turning every float tensor into one whose gradient
    is kept (a leaf that requires grad where nothing upstream did)."""

    def __init__(self, module):
        super().__init__(module)
        self.values: dict[tuple[str, int | None], torch.Tensor] = {}
        self.args_of: dict[str, list[tuple[str, int | None]]] = {}

    def run_node(self, n: torch.fx.Node):
        result = super().run_node(n)
        if isinstance(result, torch.Tensor) and result.is_floating_point():
            if result.requires_grad:
                result.retain_grad()
            else:
                result = result.detach().requires_grad_()
            key = _key(n)
            self.values[key] = result
            if n.op == "call_module":
                self.args_of[n.target] = [_key(a) for a in n.args if isinstance(a, torch.fx.Node)]
        return result


def _key(n: torch.fx.Node) -> tuple[str, int | None]:
    if n.op == "call_function" and n.target is operator.getitem:
        return n.args[0].target, n.args[1]
    return n.target, None


def set_constants(graph: Graph, values: dict[str, float]) -> Graph:
    """A copy of `graph` with the named Constants set to new values."""
    from netcanvas.backend.project_io import graph_from_dict

    copy = graph_from_dict(graph.to_dict())
    by_name = {n.name: n for n in copy.nodes.values()}
    for name, value in values.items():
        node = by_name.get(name)
        if node is None or node.type_id != "constant":
            known = ", ".join(sorted(n.name for n in by_name.values() if n.type_id == "constant"))
            raise CircuitError(f"no Constant named '{name}' (Constants: {known or 'none'})")
        copy.set_param(node.id, "value", float(value))
    return copy


def run_circuit(graph: Graph, values: dict[str, float] | None = None, *, model=None,
                sample: tuple | None = None, target: torch.Tensor | None = None
                ) -> CircuitResult:
    """Forward and backward once. `values` set Constants by name; `model` is a compiled
    (trained) model of `graph`, else the graph is compiled here; `sample` holds one tensor
    per Input (batch of one; random when absent). With a `target` and an Output that has a
    loss, the loss is differentiated, else the sum of the first Output."""
    from netcanvas.backend.compiler import compile_graph

    if values:
        graph = set_constants(graph, values)
        model = None
    if model is None:
        model = compile_graph(graph)
    module = model.module.eval()
    if sample is None:
        generator = torch.Generator().manual_seed(0)
        sample = tuple(torch.randn((1, *s), generator=generator) for s in model.input_shapes)
    recorder = _Recorder(module)
    with torch.enable_grad():
        out = recorder.run(*sample)
        outs = out if isinstance(out, tuple) else (out,)
        objective, how = outs[0].sum(), "output"
        if target is not None and model.losses[0].loss != "none":
            from netcanvas.backend.runtime.losses import build_loss

            objective, how = build_loss(model.losses, len(outs))(out, target), "loss"
        objective.backward(retain_graph=True)
        result = CircuitResult(output=model.output_names[0], value=float(objective.detach()),
                               objective=how)
        for node in graph.nodes.values():
            for index, port in enumerate(node.spec.outputs):
                tensor = recorder.values.get((node.name, index))
                if tensor is None and index == 0:
                    tensor = recorder.values.get((node.name, None))
                if tensor is not None:
                    result.wires[(node.id, port.name)] = _wire(tensor)
        # After the wires are read: autograd.grad also feeds the tensors' kept .grad.
        result.local = _local_derivatives(graph, recorder)
    return result


def _wire(t: torch.Tensor) -> Wire:
    scalar = t.numel() == 1
    value = float(t.detach().reshape(())) if scalar else float(t.detach().norm())
    grad = None
    if t.grad is not None:
        grad = float(t.grad.reshape(())) if scalar else float(t.grad.norm())
    return Wire(tuple(t.shape), value, grad, scalar)


def _local_derivatives(graph: Graph, recorder: _Recorder) -> dict[str, list[tuple[str, float]]]:
    """d node / d input for every node whose output and inputs are scalars."""
    local: dict[str, list[tuple[str, float]]] = {}
    for node in graph.nodes.values():
        y = recorder.values.get((node.name, None))
        keys = recorder.args_of.get(node.name, [])
        xs = [recorder.values.get(k) for k in keys]
        if y is None or not keys or any(x is None or x.numel() != 1 for x in xs) or y.numel() != 1:
            continue
        grads = torch.autograd.grad(y, xs, retain_graph=True, allow_unused=True)
        local[node.id] = [(k[0], float(g.reshape(())) if g is not None else 0.0)
                          for k, g in zip(keys, grads)]
    return local


def number(v: float | None) -> str:
    """Short text for a wire: 3, -12, 0.0421, 1.2e-07."""
    if v is None:
        return "–"
    if math.isfinite(v) and v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.3g}"


def wire_labels(result: CircuitResult) -> dict[tuple[str, str], tuple[str, str]]:
    """(value text, gradient text) per source port, for the canvas."""
    labels = {}
    for key, w in result.wires.items():
        if w.scalar:
            labels[key] = (number(w.value), f"∂ {number(w.grad)}")
        else:
            labels[key] = (f"‖x‖ {number(w.value)}", f"‖∂‖ {number(w.grad)}")
    return labels


def node_labels(graph: Graph, result: CircuitResult) -> dict[str, str]:
    """Each scalar node's local derivatives: "∂f/∂q = -4  ∂f/∂z = 3"."""
    return {nid: "  ".join(f"∂{graph.nodes[nid].name}/∂{src} = {number(d)}" for src, d in pairs)
            for nid, pairs in result.local.items()}


def split_sample(split, index: int, input_shapes) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """Sample `index` of a dataset split as (one tensor per Input, target), batch of one; a
    dataset with several targets gives its first."""
    from netcanvas.backend.runtime.batches import input_tensors

    n = len(split)
    if not 0 <= index < n:
        raise CircuitError(f"sample {index} is out of range: the split has {n} samples")
    xs = input_tensors(split.x, input_shapes)
    y = split.y[0] if isinstance(split.y, tuple) else split.y
    return tuple(x[index:index + 1] for x in xs), y[index:index + 1]
