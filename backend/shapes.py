"""Whole-graph shape analysis: every edge's shape, every node's size and cost, and the
problems, each pinned to the node at fault.

Pure Python and linear in nodes + edges: the editor re-runs it on every change. A failed
node stops inference only downstream of itself (those nodes get no shape and no second
error); everything else is still analysed, so all independent problems show at once. A
layer that is merely too big to allocate is an error too, but its shape still flows on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from netcanvas.backend.graph import Edge, Graph, MissingInputError
from netcanvas.backend.registry import LayerSpec, ParamError, Shape, ShapeError

BYTES_PER_VALUE = {"float": 4, "index": 8}  # float32 activations, int64 pooling indices
# A layer past these sizes cannot be built on any ordinary machine: an error, not a crash.
MAX_PARAMS = 2**31  # 8.6 GB of float32 weights
MAX_ACTIVATION_VALUES = 2**31  # per sample
# One node's output for a single sample above this makes an ordinary batch huge: a warning.
WARN_ACTIVATION_BYTES = 64 * 2**20
TYPICAL_BATCH = 64


@dataclass
class NodeInfo:
    output_shapes: dict[str, Shape] = field(default_factory=dict)  # empty when unknown
    params: int = 0
    macs: int = 0  # multiply-accumulates per sample
    activation_bytes: int = 0  # outputs of one sample (float32; indices int64)
    error: str | None = None
    variant: str = ""  # the spec's `variant`: "depthwise 3×3", shown on the card
    unwired: bool = False  # the error is an input not wired yet: incomplete, not wrong


@dataclass(frozen=True)
class Problem:
    node_id: str | None  # None for a problem of the whole graph
    severity: Literal["error", "warning"]
    message: str


@dataclass
class Analysis:
    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    edge_shapes: dict[Edge, Shape] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def total_params(self) -> int:
        return sum(info.params for info in self.nodes.values())

    @property
    def total_macs(self) -> int:
        return sum(info.macs for info in self.nodes.values())

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def format_shape(shape, sep: str = "×", scalar: str = "scalar") -> str:
    """A per-sample shape as the canvas draws it: 64×14×14 (the batch is implied); plain
    text messages pass sep="x"."""
    return sep.join(map(str, shape)) if shape is not None and len(shape) else scalar


@lru_cache(maxsize=4096)  # card footers repaint often
def format_count(n: float, decimals: int | None = None) -> str:
    """A count with a k, M or G suffix: 3 significant figures (36.9k, the canvas), or a
    fixed number of `decimals` (36.9k, 123.5k: the CLI's tables)."""
    digits = ".3g" if decimals is None else f".{decimals}f"
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:{digits}}{unit}"
    return str(n) if decimals is None else f"{n:.0f}"


def human_bytes(n: float) -> str:
    """Decimal units, as disk and RAM sizes are quoted: 4.0 TB."""
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:.0f} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def sci(n: int) -> str:
    mantissa, exponent = f"{n:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def label(spec: LayerSpec, name: str) -> str:
    return f"{spec.title} '{name}'"


def node_message(spec: LayerSpec, name: str, message: str) -> str:
    """Put the node's name in a registry message: "Conv2d expects" -> "Conv2d 'c3' expects"."""
    if message.startswith(spec.title + " "):
        return f"{label(spec, name)} {message[len(spec.title) + 1:]}"
    return f"{label(spec, name)}: {message}"


def analyze(graph: Graph) -> Analysis:
    result = Analysis(nodes={nid: NodeInfo() for nid in graph.nodes})

    def fail(node_id: str | None, message: str) -> None:
        result.problems.append(Problem(node_id, "error", message))
        if node_id is not None and result.nodes[node_id].error is None:
            result.nodes[node_id].error = message

    for error in graph.validate():  # no Input/Output, unwired inputs, cycles
        node_id = error.node_ids[0] if error.node_ids else None
        if node_id is not None and result.nodes[node_id].error is None:
            result.nodes[node_id].unwired = isinstance(error, MissingInputError)
        fail(node_id, str(error))

    order, _ = graph.order()
    for nid in order:
        node, info = graph.nodes[nid], result.nodes[nid]
        if info.error is not None:
            continue
        spec = node.spec
        inputs = _gather(spec, graph.edges_into(nid), result.edge_shapes)
        if inputs is None:  # an upstream node failed: it already carries the error
            continue
        error = (_infer_node(spec, node.name, node.params, inputs, info)
                 or _unpool_mismatch(graph, node, result.edge_shapes, info))
        if error:
            fail(nid, error)
        outgoing = graph.edges_from(nid)
        for e in outgoing:
            shape = info.output_shapes.get(e.src_port)
            if shape is not None:
                result.edge_shapes[e] = shape
        if info.activation_bytes > WARN_ACTIVATION_BYTES and info.error is None:
            result.problems.append(Problem(nid, "warning", (
                f"{label(spec, node.name)} outputs {human_bytes(info.activation_bytes)} per "
                f"sample: a batch of {TYPICAL_BATCH} needs "
                f"{human_bytes(info.activation_bytes * TYPICAL_BATCH)} for it alone")))
        elif not outgoing and spec.outputs and node.type_id != "output":
            result.problems.append(Problem(nid, "warning", (
                f"{label(spec, node.name)} leads nowhere: its output is not used")))
    return result


def _gather(spec: LayerSpec, edges: list[Edge], edge_shapes: dict[Edge, Shape]) -> dict | None:
    """Input shapes by port name (a list for a "many" port); None if one is unknown."""
    inputs: dict = {}
    for port in spec.inputs:
        shapes = []
        for e in edges:
            if e.dst_port == port.name:
                shape = edge_shapes.get(e)
                if shape is None:
                    return None
                shapes.append(shape)
        if port.many or shapes:
            inputs[port.name] = shapes if port.many else shapes[0]
        elif not port.optional:
            return None
    return inputs


def _infer_node(spec: LayerSpec, name: str, params: dict, inputs: dict,
                info: NodeInfo) -> str | None:
    """Fill `info`; return the node's error message, if any."""
    try:
        outputs = spec.infer_shape(params, inputs)
    except (ShapeError, ParamError) as exc:  # inside a repeated block: "layer2.0"
        return node_message(spec, name + getattr(exc, "suffix", ""), str(exc))
    except Exception as exc:  # noqa: BLE001 -- a bug in a shape rule must not take the editor down
        return f"{label(spec, name)}: shape rule failed ({type(exc).__name__}: {exc})"
    sizes = {port: math.prod(shape) for port, shape in outputs.items()}
    nbytes = sum(n * BYTES_PER_VALUE[spec.output_port(port).dtype] for port, n in sizes.items())
    if sum(sizes.values()) > MAX_ACTIVATION_VALUES:
        return (f"{label(spec, name)} would output {sci(sum(sizes.values()))} values per sample "
                f"({human_bytes(nbytes)})")
    info.output_shapes = {k: tuple(v) for k, v in outputs.items()}
    info.activation_bytes = nbytes
    info.params = spec.count_params(params, inputs, outputs)
    if spec.variant is not None:
        info.variant = spec.variant(params, inputs)
    if spec.macs is not None:
        info.macs = spec.macs(params, inputs, outputs)
    elif spec.inputs:  # one op per output element; an Input computes nothing
        info.macs = sizes.get(spec.outputs[0].name, 0)
    if info.params > MAX_PARAMS:
        return (f"{label(spec, name)} would hold {sci(info.params)} parameters "
                f"({human_bytes(info.params * BYTES_PER_VALUE['float'])})")
    return None


def _unpool_mismatch(graph: Graph, node, edge_shapes: dict, info: NodeInfo) -> str | None:
    """A MaxUnpool2d must restore exactly the size its indices were taken from: after a
    pool of an odd size the default output is one smaller, and torch then fails with "Found
    an invalid max index". Says which output_size fixes it."""
    if node.type_id != "max_unpool2d":
        return None
    source = next((e.src for e in graph.edges_into(node.id, "indices")), None)
    pool_in = next((edge_shapes.get(e) for e in graph.edges_into(source, "x")), None) \
        if source is not None else None
    out = info.output_shapes.get("y")
    if pool_in is None or out is None or tuple(out[1:]) == tuple(pool_in[1:]):
        return None
    pool = graph.nodes[source]
    return (f"{label(node.spec, node.name)} outputs {format_shape(out[1:])} but the indices of "
            f"{label(pool.spec, pool.name)} point into its {format_shape(pool_in[1:])} input; "
            f"set output_size to {format_shape(pool_in[1:])}")
