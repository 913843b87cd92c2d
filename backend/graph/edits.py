"""Undoable edits. Each stores ids and values, never object references, so undo works
in pure Python and a Qt command only needs to call `apply` and `revert`."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import partial
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


def all_or_nothing(steps) -> None:
    """Run each (step, its undo or None) in order; a failing step undoes the steps done,
    newest first, and raises."""
    undos = []
    try:
        for step, undo in steps:
            step()
            undos.append(undo)
    except Exception:
        for undo in reversed(undos):
            if undo is not None:
                undo()
        raise


@dataclass
class AddNodes(Edit):
    """Add nodes and the edges among them (a drop, a paste, a duplicate)."""

    nodes: list[Node]
    edges: list[Edge] = field(default_factory=list)
    text: str = "Add node"

    def apply(self, graph: Graph) -> None:
        # a rejected paste leaves the graph as it was (removing a node removes its edges)
        all_or_nothing([(partial(graph.add_node, copy.deepcopy(node)),
                         partial(graph.remove_node, node.id)) for node in self.nodes]
                       + [(partial(graph.add_edge, edge), None) for edge in self.edges])

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


class _Swap(Edit):
    """Set one value through the method that checks it, keeping the old one for undo.
    A subclass's `_value(target)` says (read, write, new): how to read the value, how to set
    it, and the value the edit sets."""

    old: Any

    def apply(self, target) -> None:
        read, write, new = self._value(target)
        old = read()
        write(new)  # a refused value raises before anything changed
        self.old = old

    def revert(self, target) -> None:
        self._value(target)[1](self.old)


@dataclass
class SetParam(_Swap):
    node_id: str
    name: str
    value: Any
    old: Any = None
    text: str = "Change parameter"

    def _value(self, graph: Graph):
        return (lambda: graph.node(self.node_id).params.get(self.name),
                lambda v: graph.set_param(self.node_id, self.name, v), self.value)


@dataclass
class Rename(_Swap):
    node_id: str
    name: str
    old: str = ""
    text: str = "Rename"

    def _value(self, graph: Graph):
        return lambda: graph.node(self.node_id).name, partial(graph.rename, self.node_id), self.name


@dataclass
class SetSilenced(_Swap):
    """Turn lint rules off (or back on) for one node."""

    node_id: str
    rules: tuple[str, ...]
    old: tuple[str, ...] = ()
    text: str = "Silence rule"

    def _value(self, graph: Graph):
        return (lambda: graph.node(self.node_id).silenced,
                partial(graph.set_silenced, self.node_id), self.rules)


@dataclass
class SetTraining(_Swap):
    """Set one node's per-node training settings (trainable, LR factor, weight decay)."""

    node_id: str
    training: dict[str, Any]
    old: dict[str, Any] = field(default_factory=dict)
    text: str = "Change training setting"

    def _value(self, graph: Graph):
        return (lambda: dict(graph.node(self.node_id).training),
                partial(graph.set_training, self.node_id), self.training)


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
class SetSetting(_Swap):
    """Change one training or dataset setting ("training", "optimizer", "sgd")."""

    target = "project"
    section: str
    name: str
    value: Any
    old: Any = None
    text: str = "Change setting"

    def _value(self, project):
        return (partial(project.setting, self.section, self.name),
                partial(project.set_setting, self.section, self.name), self.value)


@dataclass
class Compound(Edit):
    edits: list[Edit]
    text: str = "Edit"

    @property
    def target(self) -> str:  # every part edits the same thing
        return self.edits[0].target if self.edits else "graph"

    def apply(self, graph: Graph) -> None:
        all_or_nothing([(partial(edit.apply, graph), partial(edit.revert, graph))
                        for edit in self.edits])

    def revert(self, graph: Graph) -> None:
        for edit in reversed(self.edits):
            edit.revert(graph)
