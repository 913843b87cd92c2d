"""Random editing sessions through the real scene and undo stack.

Every rule is a user gesture (add, delete, wire, unwire, move, nudge, parameter, rename,
training or dataset setting, paste, duplicate, auto-layout, undo, redo). Throughout, the scene's items must match the
document; at the end, undoing everything must give back the first document (graph and settings)
exactly and redoing everything the last one.
"""

from __future__ import annotations

import dataclasses

import pytest
import shiboken6
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from netcanvas.app.node_kinds import node_kinds
from netcanvas.backend.graph import AddEdge, Edge, Graph, MoveNodes, Rename, SetParam, SetSetting
from netcanvas.backend.project import Project
from netcanvas.backend.registry import get
from netcanvas.backend.settings import SECTIONS
from netcanvas.backend.shapes import analyze
from netcanvas.graph_editor import EditDocument, GraphScene
from PySide6.QtCore import QPointF
from test_canvas_support import chain

TYPES = ["input", "conv2d", "relu", "max_pool2d", "max_unpool2d", "add", "concat", "linear",
         "flatten", "batch_norm2d", "dropout", "output"]
NAMES = ["a", "b", "conv1", "relu1", "head", "x_1"]


@pytest.fixture(autouse=True)
def _app(qapp):
    return qapp


def _value(data, param):
    kind = param.kind
    if kind == "bool":
        return data.draw(st.booleans())
    if kind == "choice":
        return data.draw(st.sampled_from(param.choices))
    if kind == "int":
        return data.draw(st.integers(-2, 70))
    if kind == "float":
        return data.draw(st.floats(-1, 2, allow_nan=False))
    if kind == "ints":
        return tuple(data.draw(st.lists(st.integers(0, 40), min_size=1, max_size=4)))
    return data.draw(st.text(max_size=3))


def _setting_value(data, param):
    """A declared value, or one just outside the declaration (refused, nothing changes)."""
    if param.kind in ("int", "float") and data.draw(st.booleans()):
        return data.draw(st.sampled_from([param.min, param.max, param.min - 1, param.max + 1]))
    if param.kind == "floats":
        return tuple(data.draw(st.lists(st.floats(-0.5, 1.5), min_size=2, max_size=2)))
    if param.kind == "str":
        return data.draw(st.sampled_from(["auto", "cpu", "cuda:1", "gpu", "", None]))
    return _value(data, param)


SETTINGS = [(section, p) for section, params in SECTIONS.items() for p in params]


class EditorMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.graph = Graph()
        inp, _conv, _relu, _out = chain(self.graph, "input", "conv2d", "relu", "output")
        self.graph.set_param(inp.id, "shape", (3, 16, 16))
        self.document = EditDocument(Project(graph=self.graph))
        self.stack = self.document.undo_stack
        self.scene = GraphScene(self.document, kinds=node_kinds())
        self.document.setParent(self.scene)
        self.project = self.document.project
        self.initial = self._state()

    def _state(self):
        return (self.graph.to_dict(), dataclasses.asdict(self.project.training),
                dataclasses.asdict(self.project.dataset))

    def _ids(self):
        return list(self.graph.nodes)

    def _select(self, node_ids=(), edges=()) -> None:
        self.scene.clearSelection()
        for nid in node_ids:
            self.scene.node_item(nid).setSelected(True)
        for e in edges:
            self.scene.edge_item(e).setSelected(True)

    @rule(type_id=st.sampled_from(TYPES), x=st.integers(-500, 500), y=st.integers(-500, 500))
    def add(self, type_id, x, y):
        assert self.scene.add_layer(type_id, QPointF(x, y)) in self.graph.nodes

    @precondition(lambda self: self.graph.nodes)
    @rule(data=st.data())
    def delete(self, data):
        nodes = data.draw(st.lists(st.sampled_from(self._ids()), max_size=3, unique=True))
        edges = data.draw(st.lists(st.sampled_from(self.graph.edges), max_size=2, unique=True)) \
            if self.graph.edges else []
        self._select(nodes, edges)
        self.scene.delete_selection()

    @precondition(lambda self: len(self.graph.nodes) >= 2)
    @rule(data=st.data())
    def wire(self, data):
        nodes = list(self.graph.nodes.values())
        sources = [n for n in nodes if n.spec.outputs]
        sinks = [n for n in nodes if n.spec.inputs]
        if not sources or not sinks:
            return
        src, dst = data.draw(st.sampled_from(sources)), data.draw(st.sampled_from(sinks))
        edge = Edge(src.id, data.draw(st.sampled_from([p.name for p in src.spec.outputs])),
                    dst.id, data.draw(st.sampled_from([p.name for p in dst.spec.inputs])))
        refused = self.document.offer(AddEdge(edge))  # refusals are fine: nothing changes
        event("wire refused" if refused else "wire added")

    @precondition(lambda self: self.graph.edges)
    @rule(data=st.data())
    def unwire(self, data):
        self._select(edges=[data.draw(st.sampled_from(self.graph.edges))])
        self.scene.delete_selection()

    @precondition(lambda self: self.graph.nodes)
    @rule(data=st.data(), dx=st.integers(-300, 300), dy=st.integers(-300, 300))
    def move(self, data, dx, dy):
        nodes = data.draw(st.lists(st.sampled_from(self._ids()), min_size=1, max_size=3,
                                   unique=True))
        pos = {n: (self.graph.nodes[n].position[0] + dx, self.graph.nodes[n].position[1] + dy)
               for n in nodes}
        self.document.offer(MoveNodes(pos))

    @precondition(lambda self: self.graph.nodes)
    @rule(data=st.data(), dx=st.sampled_from([-20, 20]))
    def nudge(self, data, dx):
        self._select([data.draw(st.sampled_from(self._ids()))])
        self.scene.nudge_selection(dx, 0)

    @precondition(lambda self: any(n.spec.params for n in self.graph.nodes.values()))
    @rule(data=st.data())
    def set_param(self, data):
        node = data.draw(st.sampled_from([n for n in self.graph.nodes.values() if n.spec.params]))
        param = data.draw(st.sampled_from(node.spec.params))
        refused = self.document.offer(SetParam(node.id, param.name, _value(data, param)))
        event("param refused" if refused else "param set")

    @precondition(lambda self: self.graph.nodes)
    @rule(data=st.data(), name=st.sampled_from(NAMES))
    def rename(self, data, name):
        self.document.offer(Rename(data.draw(st.sampled_from(self._ids())), name))

    @rule(data=st.data())
    def set_setting(self, data):
        section, param = data.draw(st.sampled_from(SETTINGS))
        refused = self.document.offer(SetSetting(section, param.name,
                                                 _setting_value(data, param)))
        event("setting refused" if refused else "setting set")

    @invariant()
    def settings_inside_their_declarations(self):
        for section, param in SETTINGS:
            value = self.project.setting(section, param.name)
            assert param.validate(value) == value

    @precondition(lambda self: self.graph.nodes)
    @rule(data=st.data(), at=st.booleans())
    def copy_paste(self, data, at):
        self._select(data.draw(st.lists(st.sampled_from(self._ids()), min_size=1, max_size=3,
                                        unique=True)))
        assert self.scene.copy_selection()
        assert self.scene.paste(QPointF(100, 100) if at else None)

    @precondition(lambda self: self.graph.nodes)
    @rule(data=st.data())
    def duplicate(self, data):
        self._select(data.draw(st.lists(st.sampled_from(self._ids()), min_size=1, max_size=3,
                                        unique=True)))
        assert self.scene.duplicate_selection()

    @rule()
    def auto_layout(self):
        self.scene.auto_layout()

    @rule(n=st.integers(1, 3))
    def undo(self, n):
        for _ in range(n):
            self.stack.undo()

    @rule(n=st.integers(1, 3))
    def redo(self, n):
        for _ in range(n):
            self.stack.redo()

    @rule()
    def reanalyse(self):
        self.scene.set_analysis(analyze(self.graph))

    @invariant()
    def scene_matches_graph(self):
        items = self.scene.node_items()
        assert list(items) == list(self.graph.nodes) or set(items) == set(self.graph.nodes)
        for nid, node in self.graph.nodes.items():
            item = items[nid]
            assert (item.x(), item.y()) == node.position
            assert item.name == node.name and item.spec is get(node.type_id)
        edges = self.scene.edge_items()
        assert set(edges) == set(self.graph.edges)
        for edge, item in edges.items():
            assert item.src_port.node_item is items[edge.src]
            assert item.dst_port.node_item is items[edge.dst]
        assert len(self.scene.items()) == sum(1 + len(i.childItems()) for i in items.values()) \
            + len(edges)  # no stray items (live wires, removed cards)

    def teardown(self):
        while self.stack.canRedo():  # the last document is the end of the redo history
            self.stack.redo()
        final = self._state()
        while self.stack.canUndo():
            self.stack.undo()
        assert self._state() == self.initial
        self.scene_matches_graph()
        while self.stack.canRedo():
            self.stack.redo()
        assert self._state() == final
        self.scene_matches_graph()
        self.scene.detach()
        shiboken6.delete(self.scene)  # now, with its items and stack, not in a later GC pass


EditorMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestEditorUndo = EditorMachine.TestCase
