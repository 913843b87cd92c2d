"""Random edit sequences: every edit reverts exactly, a rejected edit changes nothing, and
undoing everything restores the start while redoing everything restores the end."""

from __future__ import annotations

import copy

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from netcanvas.backend.graph import (
    AddEdge,
    AddNodes,
    Compound,
    Edge,
    Graph,
    GraphError,
    MoveNodes,
    Node,
    RemoveItems,
    Rename,
    SetParam,
    new_id,
)

TYPES = ("input", "linear", "relu", "sigmoid", "output")
NAMES = ("a", "b", "fc1", "relu1", "x")
coords = st.floats(-1e4, 1e4, allow_nan=False).map(lambda v: round(v, 2))


class EditMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.graph = Graph()
        self.start = self.snapshot()
        self.history = []

    def snapshot(self) -> dict:
        return copy.deepcopy(self.graph.to_dict())

    def ids(self) -> list[str]:
        return list(self.graph.nodes)

    def pick(self, index: int) -> str | None:
        ids = self.ids()
        return ids[index % len(ids)] if ids else None

    def do(self, edit) -> None:
        before = self.snapshot()
        try:
            edit.apply(self.graph)
        except GraphError:
            assert self.snapshot() == before, "a rejected edit changed the graph"
            return
        after = self.snapshot()
        edit.revert(self.graph)
        assert self.snapshot() == before
        edit.apply(self.graph)
        assert self.snapshot() == after
        self.history.append(edit)

    @rule(type_id=st.sampled_from(TYPES), wire_from=st.none() | st.integers(0, 50),
          position=st.tuples(coords, coords))
    def add_node(self, type_id, wire_from, position):
        node = Node(new_id(), type_id, self.graph.unique_name(type_id), {}, position)
        src = self.pick(wire_from) if wire_from is not None else None
        edges = [Edge(src, "y", node.id, "x")] if src and type_id != "input" else []
        self.do(AddNodes([node], edges))

    @rule(picks=st.lists(st.integers(0, 50), max_size=3), edge_picks=st.lists(st.integers(0, 50),
                                                                           max_size=2))
    def remove(self, picks, edge_picks):
        nodes = sorted({self.pick(i) for i in picks} - {None})
        edges = [self.graph.edges[i % len(self.graph.edges)] for i in edge_picks
                 if self.graph.edges]
        if nodes or edges:
            self.do(RemoveItems(nodes, edges))

    @rule(a=st.integers(0, 50), b=st.integers(0, 50))
    def connect(self, a, b):
        src, dst = self.pick(a), self.pick(b)
        if src and self.graph.nodes[dst].type_id != "input":
            self.do(AddEdge(Edge(src, "y", dst, "x")))

    @rule(i=st.integers(0, 50), units=st.integers(-2, 64), bias=st.booleans())
    def set_param(self, i, units, bias):
        linears = [n for n in self.graph.nodes.values() if n.type_id == "linear"]
        if linears:
            nid = linears[i % len(linears)].id
            self.do(Compound([SetParam(nid, "bias", bias), SetParam(nid, "out_features", units)]))

    @rule(i=st.integers(0, 50), name=st.sampled_from(NAMES))
    def rename(self, i, name):
        nid = self.pick(i)
        if nid:
            self.do(Rename(nid, name))

    @rule(picks=st.lists(st.integers(0, 50), min_size=1, max_size=3),
          position=st.tuples(coords, coords))
    def move(self, picks, position):
        ids = {self.pick(i) for i in picks} - {None}
        if ids:
            self.do(MoveNodes({nid: position for nid in ids}))

    @invariant()
    def structure_follows_the_edits(self):
        """The adjacency kept by the mutators equals one rebuilt from scratch, and the
        wires the editor would offer are exactly those check_edge accepts."""
        fresh = Graph(dict(self.graph.nodes), list(self.graph.edges))
        for nid in self.graph.nodes:
            assert self.graph.edges_into(nid) == fresh.edges_into(nid)
            assert self.graph.edges_from(nid) == fresh.edges_from(nid)
        assert self.graph.order() == fresh.order()
        for nid, node in self.graph.nodes.items():
            for port, output in [(p.name, True) for p in node.spec.outputs] + [
                    (p.name, False) for p in node.spec.inputs]:
                offered = set(self.graph.connectable(nid, port, output))
                for other in self.graph.nodes.values():
                    for p in other.spec.inputs if output else other.spec.outputs:
                        edge = (Edge(nid, port, other.id, p.name) if output
                                else Edge(other.id, p.name, nid, port))
                        try:
                            self.graph.check_edge(edge)
                            ok = True
                        except GraphError:
                            ok = False
                        assert ok == ((other.id, p.name) in offered), edge

    def teardown(self) -> None:
        end = self.snapshot()
        for edit in reversed(self.history):
            edit.revert(self.graph)
        assert self.snapshot() == self.start
        for edit in self.history:
            edit.apply(self.graph)
        assert self.snapshot() == end


EditMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
TestEdits = EditMachine.TestCase
