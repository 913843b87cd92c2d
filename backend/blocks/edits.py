"""Undoable block edits, applied to the top-level Graph like every other edit (through the
editor's one front door); each keeps what it made, so redo repeats it exactly."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from netcanvas.backend.blocks.definition import BlockDef, Exposed
from netcanvas.backend.blocks.expand import Expansion, expand
from netcanvas.backend.blocks.io import definition_from_dict, definition_to_dict
from netcanvas.backend.graph import BLOCK, Edge, Edit, Graph, GraphError, Node, RemoveItems, new_id
from netcanvas.backend.registry import Param

BOUNDARY_GAP = 200.0  # how far left/right of the grouped nodes the inner Input/Output sit


def _blocks(graph: Graph):
    if graph.blocks is None:
        raise GraphError("this graph has no block definitions (it is not in a project)")
    return graph.blocks


@dataclass
class GroupNodes(Edit):
    """Replace the selected nodes by one instance of a new definition holding them; the
    wires that crossed the selection become its ports (named after the inner ports)."""

    node_ids: list[str]
    block_name: str | None = None  # the new definition's name; default Block, Block2, ...
    name: str | None = None  # the instance's name; default block1, ...
    text: str = "Group into block"
    instance_id: str = ""
    _definition: dict | None = field(default=None, repr=False)  # its project-file form
    _block: str = ""
    _removed: RemoveItems | None = field(default=None, repr=False)
    _edges: list[Edge] = field(default_factory=list, repr=False)
    _replaced: list[Edge] = field(default_factory=list, repr=False)  # by _edges' last ones

    def apply(self, graph: Graph) -> None:
        blocks = _blocks(graph)
        if self._definition is None:
            self._plan(graph)
        blocks.add(definition_from_dict(self._definition, self._block, blocks))
        try:
            index = list(graph.nodes).index(self.node_ids[0])
            places = self._places(graph)
            self._removed = RemoveItems(list(self.node_ids))
            self._removed.apply(graph)
            graph.add_node(copy.deepcopy(self._instance), min(index, len(graph.nodes)))
            for e, place in zip(self._edges, places):
                graph.add_edge(e, place)
        except Exception:
            if self.instance_id in graph.nodes:
                graph.remove_node(self.instance_id)
            if self._removed is not None and self._removed._nodes:
                self._removed.revert(graph)
            blocks.remove(self._block)
            raise

    def revert(self, graph: Graph) -> None:
        graph.remove_node(self.instance_id)
        self._removed.revert(graph)
        graph.blocks.remove(self._block)

    def _places(self, graph: Graph) -> list[int | None]:
        """Where each new edge goes in graph.edges once the grouped nodes' edges are gone:
        a wire out of the instance takes the place of the one it replaces, so a Concat
        fed by the block keeps the order of its inputs; wires in are appended."""
        chosen = set(self.node_ids)
        kept = [e for e in graph.edges if e.src not in chosen and e.dst not in chosen]
        position = {e: i for i, e in enumerate(graph.edges)}
        places: list[int | None] = [None] * (len(self._edges) - len(self._replaced))
        for done, old in enumerate(self._replaced):  # in graph order
            places.append(done + sum(1 for e in kept if position[e] < position[old]))
        return places

    def _plan(self, graph: Graph) -> None:
        from netcanvas.backend.shapes import analyze
        blocks = graph.blocks
        selected = list(dict.fromkeys(graph.node(nid).id for nid in self.node_ids))
        if not selected:
            raise GraphError("select the nodes to group into a block")
        self.node_ids = [nid for nid in graph.nodes if nid in set(selected)]  # canvas order
        chosen = set(self.node_ids)
        for nid in self.node_ids:
            if graph.nodes[nid].type_id in ("input", "output"):
                raise GraphError(f"'{graph.nodes[nid].name}' is an {graph.nodes[nid].type_id}: "
                                 "Input and Output nodes stay outside blocks", (nid,))
        incoming = [e for e in graph.edges if e.dst in chosen and e.src not in chosen]
        outgoing = [e for e in graph.edges if e.src in chosen and e.dst not in chosen]
        if not outgoing:
            raise GraphError("the selected nodes lead nowhere: a block needs a wire out "
                             "(select up to a node whose output is used)", tuple(self.node_ids))
        for e in incoming + outgoing:
            if graph.nodes[e.src].spec.output_port(e.src_port).dtype != "float":
                raise GraphError(f"pooling indices from '{graph.nodes[e.src].name}' cannot cross "
                                 "a block's edge: group the pool with its unpool", (e.src, e.dst))
        outside = graph.reachable(*(e.dst for e in outgoing)) & graph.reachable(
            *(e.src for e in incoming), downstream=False)
        between = sorted(outside - chosen, key=list(graph.nodes).index)
        if between:
            raise GraphError(f"'{graph.nodes[between[0]].name}' lies between the selected nodes: "
                             "select it too, or the block would feed itself", (between[0],))
        block_name = self.block_name or blocks.unique_name("Block")
        if block_name in blocks:
            raise GraphError(f"a block called {block_name!r} is already defined")
        analysis = analyze(graph)
        inner = Graph(blocks=blocks, owner=block_name)
        nodes = [copy.deepcopy(graph.nodes[nid]) for nid in self.node_ids]
        names = {n.name for n in nodes}
        xs = [n.position[0] for n in nodes]
        mid_y = sum(n.position[1] for n in nodes) / len(nodes)

        def port_name(stem: str, single: bool, default: str) -> str:
            name = default if single and default not in names else stem
            while name in names:
                name += "_"
            names.add(name)
            return name

        sources = list(dict.fromkeys((e.src, e.src_port) for e in incoming))
        ends = list(dict.fromkeys((e.src, e.src_port) for e in outgoing))
        ports_in, ports_out, boundary, edges = {}, {}, [], []
        for src in sources:
            first = next(e for e in incoming if (e.src, e.src_port) == src)
            port = port_name(f"{graph.nodes[first.dst].name}_{first.dst_port}",
                             len(sources) == 1, "x")
            shape = analysis.edge_shapes.get(first)
            boundary.append(Node(new_id(), "input", port, {"shape": shape} if shape else {},
                                 (min(xs) - BOUNDARY_GAP, mid_y)))
            ports_in[src] = port
        for src in ends:
            port = port_name(f"{graph.nodes[src[0]].name}_{src[1]}", len(ends) == 1, "y")
            boundary.append(Node(new_id(), "output", port, {"loss": "none"},
                                 (max(xs) + BOUNDARY_GAP, mid_y)))
            ports_out[src] = port
        by_port = {n.name: n.id for n in boundary}
        for n in [*boundary[:len(sources)], *nodes, *boundary[len(sources):]]:
            inner.add_node(n)
        # in graph order, wires from outside from their Input: a Concat keeps its order
        edges = [e if e.src in chosen else
                 Edge(by_port[ports_in[(e.src, e.src_port)]], "y", e.dst, e.dst_port)
                 for e in graph.edges if e.dst in chosen]
        edges += [Edge(e[0], e[1], by_port[ports_out[e]], "x") for e in ends]
        for e in edges:
            inner.add_edge(e)
        self._definition = definition_to_dict(BlockDef(block_name, inner))
        self._block = block_name
        self.instance_id = self.instance_id or new_id()
        cx, cy = sum(xs) / len(xs), mid_y
        self._instance = Node(self.instance_id, BLOCK, self.name or graph.unique_name("block"),
                              {"block": block_name}, (cx, cy))
        self._edges = [Edge(*src, self.instance_id, port) for src, port in ports_in.items()]
        self._edges += [Edge(self.instance_id, ports_out[(e.src, e.src_port)], e.dst, e.dst_port)
                        for e in outgoing]
        self._replaced = list(outgoing)


@dataclass
class Ungroup(Edit):
    """Replace an instance by the nodes it runs (every repetition), wired as it was; the
    definition goes too when nothing else uses it (top level only)."""

    node_id: str
    text: str = "Ungroup block"
    _plan: Expansion | None = field(default=None, repr=False)
    _removed: RemoveItems | None = field(default=None, repr=False)
    _definition: tuple[int, BlockDef] | None = field(default=None, repr=False)

    def apply(self, graph: Graph) -> None:
        blocks = _blocks(graph)
        node = graph.node(self.node_id)
        if node.type_id != BLOCK:
            raise GraphError(f"'{node.name}' is not a block", (node.id,))
        if self._plan is None:
            self._plan = expand(graph, self.node_id)
        name = node.params["block"]
        index = list(graph.nodes).index(self.node_id)
        self._removed = RemoveItems([self.node_id])
        self._removed.apply(graph)
        for k, n in enumerate(self._plan.nodes):
            graph.add_node(copy.deepcopy(n), index + k)
        for e in self._plan.edges:
            graph.add_edge(e)
        self._definition = None
        if graph.owner is None and not _used(graph, name):
            self._definition = (blocks.index(name), blocks.remove(name))

    def revert(self, graph: Graph) -> None:
        if self._definition is not None:
            graph.blocks.add(self._definition[1], self._definition[0])
        for n in reversed(self._plan.nodes):
            graph.remove_node(n.id)
        self._removed.revert(graph)


def _used(graph: Graph, name: str) -> bool:
    return bool(_instances(graph, name))


@dataclass
class MakeUnique(Edit):
    """Give one instance its own copy of its definition, to edit apart from the others."""

    node_id: str
    block_name: str | None = None
    text: str = "Make block unique"
    _old: str = ""

    def apply(self, graph: Graph) -> None:
        blocks = _blocks(graph)
        node = graph.node(self.node_id)
        if node.type_id != BLOCK:
            raise GraphError(f"'{node.name}' is not a block", (node.id,))
        self._old = node.params["block"]
        self.block_name = self.block_name or blocks.unique_name(self._old)
        raw = definition_to_dict(blocks[self._old])
        blocks.add(definition_from_dict(raw, self.block_name, blocks),
                   blocks.index(self._old) + 1)
        try:
            graph.set_param(self.node_id, "block", self.block_name)
        except Exception:
            blocks.remove(self.block_name)
            raise

    def revert(self, graph: Graph) -> None:
        graph.set_param(self.node_id, "block", self._old)
        graph.blocks.remove(self.block_name)


@dataclass
class ExposeParam(Edit):
    """Show inner params as one param of the block (`targets`: (inner node name, param)
    pairs). `param` declares it; by default a copy of the first target's declaration,
    named `name`, defaulting to that node's value. `later`: the value repetitions after
    the first use (None: the same)."""

    block: str
    name: str
    targets: list[tuple[str, str]]
    param: Param | None = None
    later: Any = None
    text: str = "Expose parameter"

    def apply(self, graph: Graph) -> None:
        definition = _blocks(graph)[self.block]
        if definition.exposed_param(self.name) or self.name in ("block", "repeat"):
            raise GraphError(f"{self.block} already has a parameter {self.name!r}")
        if not self.targets:
            raise GraphError(f"{self.block}: choose the inner params {self.name!r} sets")
        param = self.param
        if param is None:
            node = definition.graph.by_name(self.targets[0][0])
            if node is None:
                raise GraphError(f"{self.block} has no node {self.targets[0][0]!r}")
            decl = _declaration(node, self.targets[0][1])
            param = Param(**{**decl.__dict__, "name": self.name,
                             "default": node.params[self.targets[0][1]]})
        for node_name, pname in self.targets:
            inner = definition.graph.by_name(node_name)
            if inner is None:
                raise GraphError(f"{self.block} has no node {node_name!r}")
            _declaration(inner, pname)
        definition.exposed.append(Exposed(param, tuple(map(tuple, self.targets)), self.later))
        for node in _instances(graph, self.block):  # instances show it at its default
            node.params[self.name] = param.default
        graph.blocks.bump()
        graph.changed.emit()

    def revert(self, graph: Graph) -> None:
        definition = graph.blocks[self.block]
        definition.exposed = [e for e in definition.exposed if e.name != self.name]
        for node in _instances(graph, self.block):
            node.params.pop(self.name, None)
        graph.blocks.bump()
        graph.changed.emit()


def _instances(graph: Graph, name: str) -> list[Node]:
    """Instances of `name` in `graph` and in every definition."""
    graphs = [graph, *(d.graph for d in graph.blocks.values())]
    return [n for g in graphs for n in g.nodes.values()
            if n.type_id == BLOCK and n.params.get("block") == name]


def _declaration(node: Node, param: str) -> Param:
    try:
        return node.spec.param(param)
    except KeyError:
        raise GraphError(f"'{node.name}' has no parameter {param!r}", (node.id,)) from None


@dataclass
class EditBlock(Edit):
    """Any graph edit, applied to the inner graph of definition `block` (so every instance
    changes); undone on the same stack as the rest."""

    block: str
    edit: Edit
    text: str = ""

    def __post_init__(self) -> None:
        self.text = self.text or f"{self.edit.text} in {self.block}"

    def apply(self, graph: Graph) -> None:
        self.edit.apply(_blocks(graph)[self.block].graph)
        graph.changed.emit()

    def revert(self, graph: Graph) -> None:
        self.edit.revert(graph.blocks[self.block].graph)
        graph.changed.emit()


@dataclass
class AddBlock(Edit):
    """Drop a block: copy the definitions it needs (`section`, a "blocks" section such as a
    library entry) into the project where missing, then add the instance `node`."""

    section: dict
    node: Node
    text: str = "Add block"
    _added: list[str] = field(default_factory=list, repr=False)

    def apply(self, graph: Graph) -> None:
        blocks = _blocks(graph)
        missing = {}
        for name, raw in self.section.items():
            if name not in blocks:
                missing[name] = raw
            elif definition_to_dict(blocks[name]) != raw:
                raise GraphError(f"this project already has a different block called {name!r}: "
                                 "rename one of them first")
        before = list(blocks)
        from netcanvas.backend.blocks.io import blocks_from_dict
        from netcanvas.backend.project_io import ProjectFileError
        try:
            blocks_from_dict(missing, into=blocks)
        except ProjectFileError as exc:
            for name in [n for n in blocks if n not in before]:
                blocks.remove(name)
            raise GraphError(f"the block cannot be added: {exc}") from None
        self._added = [n for n in blocks if n not in before]
        try:
            graph.add_node(copy.deepcopy(self.node))
        except Exception:
            self._remove(graph)
            raise

    def revert(self, graph: Graph) -> None:
        graph.remove_node(self.node.id)
        self._remove(graph)

    def _remove(self, graph: Graph) -> None:
        for name in reversed(self._added):
            graph.blocks.remove(name)


@dataclass
class RenamePort(Edit):
    """Rename a block's port (its inner Input or Output node), rewiring every instance."""

    block: str
    old: str
    new: str
    text: str = "Rename port"

    def apply(self, graph: Graph) -> None:
        self._rename(graph, self.old, self.new)

    def revert(self, graph: Graph) -> None:
        self._rename(graph, self.new, self.old)

    def _rename(self, graph: Graph, old: str, new: str) -> None:
        inner = _blocks(graph)[self.block].graph
        port = inner.by_name(old)
        if port is None or port.type_id not in ("input", "output"):
            raise GraphError(f"{self.block} has no port {old!r}")
        inner.check_name(new, port.id)
        output = port.type_id == "output"
        graphs = [graph, *(d.graph for d in graph.blocks.values())]
        wires = []  # (graph, index, edge) of every wire on that port of an instance
        for g in graphs:
            ids = {n.id for n in _instances(g, self.block) if n.id in g.nodes}
            wires += [(g, i, e) for i, e in enumerate(g.edges)
                      if ((e.src, e.src_port) if output else (e.dst, e.dst_port)) in
                      {(nid, old) for nid in ids}]
        for g, _, e in reversed(wires):
            g.remove_edge(e)
        inner.rename(port.id, new)
        for g, i, e in wires:
            g.add_edge(Edge(e.src, new, e.dst, e.dst_port) if output
                       else Edge(e.src, e.src_port, e.dst, new), i)
