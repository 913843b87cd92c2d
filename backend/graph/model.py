"""The document: nodes and edges, changed only through validating methods that emit events."""

from __future__ import annotations

import copy
import heapq
import math
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from netcanvas.backend.echo import brief
from netcanvas.backend.graph.errors import (
    CycleError,
    GraphError,
    MissingEndpointError,
    MissingInputError,
    NodeNameError,
    ParamValueError,
    PortError,
    UnknownNodeError,
    UnknownTypeError,
)
from netcanvas.backend.graph.events import Event
from netcanvas.backend.graph.names import reserved_reason
from netcanvas.backend.graph.node_training import validate_training
from netcanvas.backend.registry import REGISTRY, LayerSpec, ParamError, get

BLOCK = "block"  # the type of a block instance; params["block"] names its definition


@dataclass
class Node:
    id: str
    type_id: str
    name: str
    params: dict[str, Any]
    position: tuple[float, float] = (0.0, 0.0)
    silenced: tuple[str, ...] = ()  # lint rule ids the user turned off for this node
    training: dict[str, Any] = field(default_factory=dict)  # see node_training: non-defaults
    # The block definitions a block instance resolves its spec from: set by the Graph it is
    # added to, shared (never copied) by deepcopy, not part of the document.
    blocks: Any = field(default=None, compare=False, repr=False)

    @property
    def spec(self) -> LayerSpec:
        if self.type_id != BLOCK:
            return get(self.type_id)
        return resolve_block(self.blocks, self.params.get("block"), self.name)

    def __deepcopy__(self, memo: dict) -> Node:
        return Node(self.id, self.type_id, self.name, copy.deepcopy(self.params, memo),
                    self.position, self.silenced, dict(self.training), self.blocks)


def resolve_block(blocks: Any, name: Any, node_name: str) -> LayerSpec:
    """The spec of a block instance: its definition's ports and exposed params."""
    if blocks is None or not isinstance(name, str) or name not in blocks:
        raise UnknownTypeError(f"'{node_name}' is an instance of block {brief(name)}, which is "
                               "not defined in this project")
    return blocks.spec(name)


@dataclass(frozen=True)
class Edge:
    src: str
    src_port: str
    dst: str
    dst_port: str


def new_id() -> str:
    return uuid.uuid4().hex


_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_NAME_LENGTH = 100  # a name is shown on its card, in tables and in generated code
_CARRIES = {"float": "activations", "index": "pooling indices"}


def topo_sort(node_ids: Iterable[str], pairs: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """THE topological order (analysis, compiler, layout): Kahn's algorithm in
    O((V + E) log V), a ready node taken in the order of `node_ids` (the canvas order), so
    generated code reads as the user built it. `pairs` are (src, dst) ids.

    Returns (order of every node not on or behind a cycle, ids of the nodes on cycles).
    Nodes only downstream of a cycle are in neither list, so a cycle is reported once."""
    rank = {nid: i for i, nid in enumerate(node_ids)}
    indeg = dict.fromkeys(rank, 0)
    succ: dict[str, list[str]] = {nid: [] for nid in rank}
    for src, dst in pairs:
        indeg[dst] += 1
        succ[src].append(dst)
    order = _peel(indeg, succ, rank)
    if len(order) == len(indeg):
        return order, []
    # Peel off the stuck nodes that lead nowhere stuck: what remains sits on cycles.
    stuck = {nid for nid, d in indeg.items() if d > 0}
    outdeg = {nid: sum(s in stuck for s in succ[nid]) for nid in stuck}
    pred: dict[str, list[str]] = {nid: [] for nid in stuck}
    for nid in stuck:
        for s in succ[nid]:
            if s in stuck:
                pred[s].append(nid)
    stuck.difference_update(_peel(outdeg, pred, rank))
    return order, [nid for nid in indeg if nid in stuck]


def _peel(count: dict[str, int], links: dict[str, list[str]], rank: dict[str, int]) -> list[str]:
    """Remove the nodes whose count is zero, lowest rank first, each lowering the count of
    the nodes it links to, until none is left at zero; returns the removed nodes in order.
    Changes `count`."""
    ready = [(rank[nid], nid) for nid, c in count.items() if c == 0]
    heapq.heapify(ready)
    removed = []
    while ready:
        nid = heapq.heappop(ready)[1]
        removed.append(nid)
        for other in links[nid]:
            count[other] -= 1
            if count[other] == 0:
                heapq.heappush(ready, (rank[other], other))
    return removed


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    # The project's block definitions (a netcanvas.backend.blocks.BlockSet), shared by the
    # top-level graph and every definition's inner graph; None: no blocks.
    blocks: Any = field(default=None, compare=False, repr=False)
    owner: str | None = None  # the definition whose inner graph this is; None: top level

    def __post_init__(self) -> None:
        self.node_added = Event()  # (node)
        self.node_removed = Event()  # (node)
        self.edge_added = Event()  # (edge)
        self.edge_removed = Event()  # (edge)
        self.param_changed = Event()  # (node_id, name, value)
        self.node_renamed = Event()  # (node_id, name)
        self.node_moved = Event()  # (node_id, position)
        self.silenced_changed = Event()  # (node_id, rule ids)
        self.training_changed = Event()  # (node_id, settings): per-node training settings
        self.changed = Event()  # () after any change, for views that re-derive everything
        self._revision = 0  # bumped by every structural change; keys the cached order
        self._order: tuple | None = None
        for node in self.nodes.values():
            node.blocks = self.blocks
        self._reindex()

    def resolve(self, type_id: str, params: dict) -> LayerSpec | None:
        """The spec a node of this type (and params) would have here; None if unknown."""
        if type_id != BLOCK:
            return REGISTRY.get(type_id)
        try:
            return resolve_block(self.blocks, params.get("block"), "")
        except UnknownTypeError:
            return None

    # ---- structure: adjacency kept by the mutators, rebuilt if changed behind them ------
    def _reindex(self) -> None:
        self._in: dict[str, list[Edge]] = {nid: [] for nid in self.nodes}
        self._out: dict[str, list[Edge]] = {nid: [] for nid in self.nodes}
        for e in self.edges:
            self._in.setdefault(e.dst, []).append(e)
            self._out.setdefault(e.src, []).append(e)
        self._indexed = self._shape()

    def _shape(self) -> tuple[int, int, int]:
        return self._revision, len(self.nodes), len(self.edges)

    def _index(self) -> tuple[dict[str, list[Edge]], dict[str, list[Edge]]]:
        if self._indexed != self._shape():  # nodes or edges were changed behind the mutators
            self._reindex()
        return self._in, self._out

    def _touched(self) -> None:
        self._revision += 1
        self._indexed = self._shape()

    # ---- queries -------------------------------------------------------------------
    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise UnknownNodeError(f"no node with id {brief(node_id)}", (node_id,)) from None

    def by_name(self, name: str) -> Node | None:
        return next((n for n in self.nodes.values() if n.name == name), None)

    def edges_into(self, node_id: str, port: str | None = None) -> list[Edge]:
        """The edges into a node (one port's), in the order they were made; O(degree)."""
        edges = self._index()[0].get(node_id, [])
        return [e for e in edges if port is None or e.dst_port == port]

    def edges_from(self, node_id: str) -> list[Edge]:
        return list(self._index()[1].get(node_id, []))

    def reachable(self, *starts: str, downstream: bool = True, without: Edge | None = None
                  ) -> set[str]:
        """Ids reachable from `starts` (themselves included) along the edges, or against
        them; `without` is an edge to ignore. O(nodes + edges) at most."""
        links = self._index()[1 if downstream else 0]
        seen, stack = set(starts), list(starts)
        while stack:
            for e in links.get(stack.pop(), ()):
                nxt = e.dst if downstream else e.src
                if nxt not in seen and e != without:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    def order(self) -> tuple[list[str], list[str]]:
        """The one topological order (see topo_sort) and the nodes on cycles; cached until
        the structure changes."""
        self._index()
        if self._order is None or self._order[0] != self._indexed:
            pairs = ((e.src, e.dst) for e in self.edges)
            self._order = (self._indexed, topo_sort(self.nodes, pairs))
        order, cyclic = self._order[1]
        return list(order), list(cyclic)

    def topological_order(self) -> list[str]:
        """Node ids, sources first; raises CycleError naming the nodes on a cycle."""
        order, cyclic = self.order()
        if cyclic:
            names = ", ".join(self.nodes[n].name for n in cyclic)
            raise CycleError(f"the graph has a cycle through {names}", tuple(cyclic))
        return order

    def unique_name(self, stem: str) -> str:
        stem = re.sub(r"\W", "_", stem, flags=re.ASCII) or "node"
        if stem[0].isdigit():
            stem = "_" + stem
        taken = {n.name for n in self.nodes.values()}
        i = 1
        while f"{stem}{i}" in taken:
            i += 1
        return f"{stem}{i}"

    # ---- validation used by the mutators and by the editor before it offers a wire ----
    def check_edge(self, edge: Edge, without: Edge | None = None) -> None:
        """Raise the typed error that refuses `edge`; `without` is an edge to count as gone
        (a wire picked up to reconnect)."""
        src, dst = self.node(edge.src), self.node(edge.dst)
        out_port = src.spec.output_port(edge.src_port)
        if out_port is None:
            raise PortError(f"{src.name} has no output port {brief(edge.src_port)}", (src.id,))
        port = dst.spec.input_port(edge.dst_port)
        if port is None:
            raise PortError(f"{dst.name} has no input port {brief(edge.dst_port)}", (dst.id,))
        refusal = self._port_refusal(src, out_port, dst, port, edge, without)
        if refusal is not None:
            raise refusal
        if edge.src == edge.dst or edge.src in self.reachable(edge.dst, without=without):
            raise CycleError(f"wiring {src.name} → {dst.name} would make a cycle", (src.id, dst.id))

    def connectable(self, node_id: str, port: str, output: bool,
                    without: Edge | None = None) -> list[tuple[str, str]]:
        """Every (node id, port) a wire from this node's port may go to, judged by the same
        rules as check_edge, in O(nodes + edges): the editor lights these up while wiring."""
        node = self.node(node_id)
        blocked = self.reachable(node_id, downstream=not output, without=without)
        found = []
        for other in self.nodes.values():
            if other.id in blocked:
                continue
            for p in other.spec.inputs if output else other.spec.outputs:
                if output:
                    edge, ends = Edge(node_id, port, other.id, p.name), (node, other)
                else:
                    edge, ends = Edge(other.id, p.name, node_id, port), (other, node)
                src_port = ends[0].spec.output_port(edge.src_port)
                dst_port = ends[1].spec.input_port(edge.dst_port)
                if src_port and dst_port and self._port_refusal(
                        ends[0], src_port, ends[1], dst_port, edge, without) is None:
                    found.append((other.id, p.name))
        return found

    def _port_refusal(self, src: Node, out_port, dst: Node, port, edge: Edge,
                      without: Edge | None) -> GraphError | None:
        """The wiring rules short of cycles: dtypes, duplicates, single inputs."""
        if not out_port.fits(port):
            return PortError(f"{src.name}.{edge.src_port} gives {_CARRIES[out_port.dtype]} but "
                             f"{dst.name}.{edge.dst_port} takes {_CARRIES[port.dtype]}",
                             (src.id, dst.id))
        if edge != without and edge in self._index()[1].get(src.id, ()):
            return PortError(f"{src.name} is already wired to {dst.name}", (dst.id,))
        if not port.many and any(e != without for e in self.edges_into(dst.id, edge.dst_port)):
            return PortError(f"input {brief(edge.dst_port)} of {dst.name} takes one connection and "
                             "already has one", (dst.id,))
        return None

    def check_name(self, name: str, node_id: str | None = None) -> None:
        ids = (node_id,) if node_id else ()
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise NodeNameError(f"name {brief(name)} must start with a letter or _ and hold only "
                                     "letters, digits and _", ids)
        if len(name) > MAX_NAME_LENGTH:
            raise NodeNameError(f"name {brief(name)} is {len(name):,} characters long; "
                                     f"the limit is {MAX_NAME_LENGTH}", ids)
        reason = reserved_reason(name)
        if reason:
            raise NodeNameError(f"name {brief(name)} is reserved: {reason}; choose another, "
                                     f"e.g. {self.unique_name(name)!r}", ids)
        other = self.by_name(name)
        if other is not None and other.id != node_id:
            raise NodeNameError(f"another node is already called {brief(name)}", (other.id, *ids))

    def validate(self) -> list[GraphError]:
        """Every structural reason the graph is not yet a network, as typed errors: no Input
        or Output node, an unwired input, two wires into a single input or a cycle (the last
        two only in a graph assembled behind the mutators). Shapes are the analysis's job."""
        errors: list[GraphError] = []
        types = {n.type_id for n in self.nodes.values()}
        if not types & {"input", "constant", "constant_tensor"}:  # a circuit's Constants are its inputs
            errors.append(MissingEndpointError("the graph has no Input node"))
        if "output" not in types:
            errors.append(MissingEndpointError("the graph has no Output node"))
        wired: dict[tuple[str, str], int] = {}
        for e in self.edges:
            wired[e.dst, e.dst_port] = wired.get((e.dst, e.dst_port), 0) + 1
        for node in self.nodes.values():
            spec = self.resolve(node.type_id, node.params)
            if spec is None:
                errors.append(UnknownTypeError(f"'{node.name}' has unknown layer type "
                                               f"{brief(node.type_id)}", (node.id,)))
                continue
            for port in spec.inputs:
                count = wired.get((node.id, port.name), 0)
                if count == 0 and not port.optional:
                    errors.append(MissingInputError(f"{spec.title} '{node.name}' needs an input "
                                                    f"on port '{port.name}'", (node.id,)))
                elif count > 1 and not port.many:
                    errors.append(PortError(f"input '{port.name}' of {spec.title} '{node.name}' "
                                            f"takes one connection, not {count}", (node.id,)))
        _, cyclic = self.order()
        errors += [CycleError(f"'{self.nodes[nid].name}' is on a cycle: data would flow into "
                              "itself", (nid,)) for nid in cyclic]
        return errors

    # ---- mutators: validate, change, emit ----------------------------------------
    def add_node(self, node: Node, index: int | None = None) -> Node:
        node.blocks = self.blocks
        try:
            spec = node.spec
        except KeyError as exc:
            raise UnknownTypeError(str(exc.args[0]), (node.id,)) from None
        except GraphError as exc:
            raise UnknownTypeError(str(exc), (node.id,)) from None
        if node.type_id == BLOCK:
            self.blocks.check_nesting(self.owner, node.params.get("block"), node.id)
        if node.id in self.nodes:
            raise NodeNameError(f"duplicate node id {brief(node.id)}", (node.id,))
        self.check_name(node.name, node.id)
        try:
            node.params = spec.validate_params(node.params)
            node.training = validate_training(node.training)
        except ParamError as exc:
            raise ParamValueError(f"{node.name}: {exc}", (node.id,)) from None
        self._index()
        if index is None:
            self.nodes[node.id] = node
        else:  # re-insert where it was, so undo restores the document exactly
            items = list(self.nodes.items())
            items.insert(index, (node.id, node))
            self.nodes = dict(items)
        self._in[node.id], self._out[node.id] = [], []
        self._touched()
        self.node_added.emit(node)
        self.changed.emit()
        return node

    def remove_node(self, node_id: str) -> Node:
        node = self.node(node_id)
        incoming, outgoing = self._index()
        for edge in [*incoming.get(node_id, ()), *outgoing.get(node_id, ())]:
            self.remove_edge(edge, notify=False)
        del self.nodes[node_id]
        del self._in[node_id], self._out[node_id]
        self._touched()
        self.node_removed.emit(node)
        self.changed.emit()
        return node

    def add_edge(self, edge: Edge, index: int | None = None) -> Edge:
        self.check_edge(edge)
        incoming, outgoing = self._index()
        if index is None or index >= len(self.edges):
            self.edges.append(edge)
            incoming[edge.dst].append(edge)
            outgoing[edge.src].append(edge)
        else:  # re-inserted by an undo: keep each node's edges in document order
            self.edges.insert(index, edge)
            incoming[edge.dst] = [e for e in self.edges if e.dst == edge.dst]
            outgoing[edge.src] = [e for e in self.edges if e.src == edge.src]
        self._touched()
        self.edge_added.emit(edge)
        self.changed.emit()
        return edge

    def remove_edge(self, edge: Edge, notify: bool = True) -> None:
        incoming, outgoing = self._index()
        self.edges.remove(edge)
        incoming[edge.dst].remove(edge)
        outgoing[edge.src].remove(edge)
        self._touched()
        self.edge_removed.emit(edge)
        if notify:
            self.changed.emit()

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        node = self.node(node_id)
        try:
            value = node.spec.param(name).validate(value)
        except (KeyError, ParamError) as exc:
            raise ParamValueError(f"{node.name}: {exc.args[0]}", (node_id,)) from None
        if node.type_id == BLOCK and name == "block":
            resolve_block(self.blocks, value, node.name)
            self.blocks.check_nesting(self.owner, value, node_id)
        node.params[name] = value
        self.param_changed.emit(node_id, name, value)
        self.changed.emit()

    def rename(self, node_id: str, name: str) -> None:
        self.check_name(name, node_id)
        self.node(node_id).name = name
        self.node_renamed.emit(node_id, name)
        self.changed.emit()

    def check_position(self, node_id: str, position: Any) -> None:
        """Two finite numbers, or a GraphError naming the node."""
        try:
            ok = len(position) == 2 and all(
                not isinstance(v, bool) and math.isfinite(float(v)) for v in position)
        except (TypeError, ValueError, OverflowError):
            ok = False
        if not ok:
            raise GraphError(f"{self.node(node_id).name}: a position is two finite numbers, "
                             f"got {brief(position)}", (node_id,))

    def set_silenced(self, node_id: str, rules: tuple[str, ...]) -> None:
        self.node(node_id).silenced = tuple(sorted(set(rules)))
        self.silenced_changed.emit(node_id, self.nodes[node_id].silenced)
        self.changed.emit()

    def set_training(self, node_id: str, training: dict[str, Any]) -> None:
        """Replace a node's per-node training settings (see node_training)."""
        node = self.node(node_id)
        try:
            node.training = validate_training(training)
        except ParamError as exc:
            raise ParamValueError(f"{node.name}: {exc}", (node_id,)) from None
        self.training_changed.emit(node_id, dict(node.training))
        self.changed.emit()

    def move(self, node_id: str, position: tuple[float, float]) -> None:
        self.check_position(node_id, position)
        self.node(node_id).position = (float(position[0]), float(position[1]))
        self.node_moved.emit(node_id, self.nodes[node_id].position)

    # ---- convenience for code and tests --------------------------------------------
    def new_node(self, type_id: str, position=(0.0, 0.0), params=None) -> Node:
        """A node of `type_id` with a free name and its declared default params, updated by
        `params`; not added."""
        spec = get(type_id)
        return Node(new_id(), type_id, self.unique_name(spec.module_prefix or type_id),
                    spec.defaults() | dict(params or {}), position)

    def add(self, type_id: str, name: str | None = None, position=(0.0, 0.0), **params) -> Node:
        node = self.new_node(type_id, position, params)
        node.name = name or node.name
        return self.add_node(node)

    def connect(self, src: Node | str, dst: Node | str, src_port: str | None = None,
                dst_port: str | None = None) -> Edge:
        """Ports default to the first output and the first input of a matching dtype
        (pooling indices go to an "indices" input)."""
        s = self.node(src if isinstance(src, str) else src.id)
        d = self.node(dst if isinstance(dst, str) else dst.id)
        src_port = src_port or s.spec.outputs[0].name
        if dst_port is None:
            out = s.spec.output_port(src_port)
            dtype = out.dtype if out else "float"
            dst_port = next((p.name for p in d.spec.inputs if p.dtype == dtype),
                            d.spec.inputs[0].name if d.spec.inputs else "")
        return self.add_edge(Edge(s.id, src_port, d.id, dst_port))

    def to_dict(self) -> dict:
        return {
            "nodes": [{"id": n.id, "type": n.type_id, "name": n.name,
                       "params": {k: list(v) if isinstance(v, tuple) else v
                                  for k, v in n.params.items()},
                       "position": list(n.position),
                       **({"silenced": list(n.silenced)} if n.silenced else {}),
                       **({"training": dict(n.training)} if n.training else {})}
                      for n in self.nodes.values()],
            "edges": [{"src": e.src, "src_port": e.src_port, "dst": e.dst, "dst_port": e.dst_port}
                      for e in self.edges],
        }
