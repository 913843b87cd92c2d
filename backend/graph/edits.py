"""Undoable edits. Each stores ids and values, never object references, so undo works
in pure Python and a Qt command only needs to call `apply` and `revert`."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from netcanvas.backend.graph.model import Edge, Graph, Node


class Edit:
    text = "edit"
    # What apply/revert take: "graph" (the Graph) or "project" (the Project, for settings).
    target = "graph"

    def apply(self, graph: Graph) -> None:
        raise NotImplementedError

    def revert(self, graph: Graph) -> None:
        raise NotImplementedError


@dataclass
class AddNodes(Edit):
    """Add nodes and the edges among them (a drop, a paste, a duplicate)."""

    nodes: list[Node]
    edges: list[Edge] = field(default_factory=list)
    text: str = "Add node"

    def apply(self, graph: Graph) -> None:
        added: list[str] = []
        try:
            for node in self.nodes:
                added.append(graph.add_node(copy.deepcopy(node)).id)
            for edge in self.edges:
                graph.add_edge(edge)
        except Exception:  # a rejected paste leaves the graph as it was
            for nid in reversed(added):
                graph.remove_node(nid)
            raise

    def revert(self, graph: Graph) -> None:
        for edge in reversed(self.edges):
            graph.remove_edge(edge)
        for node in reversed(self.nodes):
            graph.remove_node(node.id)


@dataclass
class RemoveItems(Edit):
    """Delete nodes (with every edge touching them) and edges as one step."""

    node_ids: list[str]
    edges: list[Edge] = field(default_factory=list)
    text: str = "Delete"
    _nodes: list[tuple[int, Node]] = field(default_factory=list, repr=False)
    _edges: list[tuple[int, Edge]] = field(default_factory=list, repr=False)

    def apply(self, graph: Graph) -> None:
        ids = {graph.node(nid).id for nid in self.node_ids}  # unknown ids raise before any change
        doomed = [e for e in graph.edges if e in self.edges or e.src in ids or e.dst in ids]
        self._edges = [(graph.edges.index(e), e) for e in doomed]
        order = list(graph.nodes)
        self._nodes = sorted((order.index(i), copy.deepcopy(graph.nodes[i])) for i in ids)
        for _, edge in reversed(self._edges):
            graph.remove_edge(edge)
        for _, node in reversed(self._nodes):
            graph.remove_node(node.id)

    def revert(self, graph: Graph) -> None:
        for index, node in self._nodes:
            graph.add_node(copy.deepcopy(node), index)
        for index, edge in self._edges:
            graph.add_edge(edge, index)


@dataclass
class AddEdge(Edit):
    edge: Edge
    text: str = "Connect"

    def apply(self, graph: Graph) -> None:
        graph.add_edge(self.edge)

    def revert(self, graph: Graph) -> None:
        graph.remove_edge(self.edge)


@dataclass
class SetParam(Edit):
    node_id: str
    name: str
    value: Any
    old: Any = None
    text: str = "Change parameter"

    def apply(self, graph: Graph) -> None:
        old = graph.node(self.node_id).params.get(self.name)
        graph.set_param(self.node_id, self.name, self.value)  # refuses an unknown name
        self.old = old

    def revert(self, graph: Graph) -> None:
        graph.set_param(self.node_id, self.name, self.old)


@dataclass
class Rename(Edit):
    node_id: str
    name: str
    old: str = ""
    text: str = "Rename"

    def apply(self, graph: Graph) -> None:
        self.old = graph.node(self.node_id).name
        graph.rename(self.node_id, self.name)

    def revert(self, graph: Graph) -> None:
        graph.rename(self.node_id, self.old)


@dataclass
class SetSilenced(Edit):
    """Turn lint rules off (or back on) for one node."""

    node_id: str
    rules: tuple[str, ...]
    old: tuple[str, ...] = ()
    text: str = "Silence rule"

    def apply(self, graph: Graph) -> None:
        self.old = graph.node(self.node_id).silenced
        graph.set_silenced(self.node_id, self.rules)

    def revert(self, graph: Graph) -> None:
        graph.set_silenced(self.node_id, self.old)


@dataclass
class MoveNodes(Edit):
    """Move nodes to new positions; also the auto-layout step."""

    positions: dict[str, tuple[float, float]]
    old: dict[str, tuple[float, float]] = field(default_factory=dict)
    text: str = "Move"

    def apply(self, graph: Graph) -> None:
        self.old = {nid: graph.node(nid).position for nid in self.positions}
        for nid, pos in self.positions.items():  # all checked before any moves
            graph.check_position(nid, pos)
        for nid, pos in self.positions.items():
            graph.move(nid, pos)

    def revert(self, graph: Graph) -> None:
        for nid, pos in self.old.items():
            graph.move(nid, pos)


@dataclass
class SetSetting(Edit):
    """Change one training or dataset setting ("training", "optimizer", "sgd")."""

    section: str
    name: str
    value: Any
    old: Any = None
    text: str = "Change setting"
    target = "project"

    def apply(self, project) -> None:
        self.old = project.setting(self.section, self.name)
        project.set_setting(self.section, self.name, self.value)

    def revert(self, project) -> None:
        project.set_setting(self.section, self.name, self.old)


@dataclass
class Compound(Edit):
    edits: list[Edit]
    text: str = "Edit"

    @property
    def target(self) -> str:  # every part edits the same thing
        return self.edits[0].target if self.edits else "graph"

    def apply(self, graph: Graph) -> None:
        done = []
        try:
            for edit in self.edits:
                edit.apply(graph)
                done.append(edit)
        except Exception:
            for edit in reversed(done):
                edit.revert(graph)
            raise

    def revert(self, graph: Graph) -> None:
        for edit in reversed(self.edits):
            edit.revert(graph)
