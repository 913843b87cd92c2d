"""What the rules look at: the graph, its shape analysis, the training settings and, when
known, the dataset's sample shape and class count. Pure Python; no torch."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from netcanvas.backend.graph import Edge, Graph, Node
from netcanvas.backend.project import Project
from netcanvas.backend.registry import REGISTRY
from netcanvas.backend.shapes import Analysis, analyze


def types_with(role: str) -> tuple[str, ...]:
    """The registered layer types that declare `role` (backend/registry/spec.py ROLES)."""
    return tuple(t for t, spec in REGISTRY.items() if role in spec.roles)


ACTIVATIONS = types_with("activation")
CLASS_LOSSES = ("cross_entropy", "nll")


@dataclass(frozen=True)
class DataFacts:
    """The few things about a dataset the rules need."""

    name: str
    sample_shape: tuple[int, ...]
    num_classes: int | None  # None for regression

    @classmethod
    def of(cls, dataset) -> DataFacts:
        classes = dataset.num_classes if dataset.task == "classification" else None
        return cls(dataset.name, tuple(dataset.sample_shape), classes)


class LintContext:
    def __init__(self, project: Project, analysis: Analysis | None = None,
                 data: DataFacts | None = None) -> None:
        self.project = project
        self.graph: Graph = project.graph
        self.analysis = analysis or analyze(self.graph)
        self.data = data

    @cached_property
    def _by_type(self) -> dict[str, list[Node]]:
        groups: dict[str, list[Node]] = {}
        for n in self.graph.nodes.values():
            groups.setdefault(n.type_id, []).append(n)
        return groups

    @cached_property
    def order(self) -> list[str] | None:
        """Node ids sources first; None while the graph has a cycle."""
        order, cyclic = self.graph.order()  # the graph's one topological order
        return None if cyclic else order

    def nodes(self, *type_ids: str) -> list[Node]:
        """Nodes of these types, in document order."""
        if len(type_ids) == 1:
            return self._by_type.get(type_ids[0], [])
        ids = {n.id for t in type_ids for n in self._by_type.get(t, ())}
        return [n for nid, n in self.graph.nodes.items() if nid in ids] if ids else []

    def edges_into(self, node: Node) -> list[Edge]:
        return self.graph.edges_into(node.id)

    def edges_from(self, node: Node) -> list[Edge]:
        return self.graph.edges_from(node.id)

    def source(self, node: Node) -> Node | None:
        """The node feeding a single-input node (None when unwired or several)."""
        edges = self.graph.edges_into(node.id)
        return self.graph.nodes[edges[0].src] if len(edges) == 1 else None

    def only_consumer(self, node: Node) -> Node | None:
        """The one node this node's output goes to, if it goes to exactly one."""
        edges = self.graph.edges_from(node.id)
        return self.graph.nodes[edges[0].dst] if len(edges) == 1 else None

    def input_shape(self, node: Node) -> tuple[int, ...] | None:
        edges = self.graph.edges_into(node.id)
        return self.analysis.edge_shapes.get(edges[0]) if len(edges) == 1 else None

    def output_shape(self, node: Node) -> tuple[int, ...] | None:
        info = self.analysis.nodes.get(node.id)
        if info is None or not node.spec.outputs:
            return None
        return info.output_shapes.get(node.spec.outputs[0].name)

    def ok(self, node: Node) -> bool:
        """The node has no error: rules speak only about nodes that already check out."""
        info = self.analysis.nodes.get(node.id)
        return info is not None and info.error is None and bool(info.output_shapes)


def label(node: Node) -> str:
    return f"{node.spec.title} '{node.name}'"
