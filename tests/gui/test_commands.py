"""EditCommand: a QUndoCommand over backend edits, merging spin-box edits and nudges."""

from __future__ import annotations

from netcanvas.backend.graph import AddEdge, Edge, Graph, MoveNodes, Rename, SetParam
from netcanvas.graph_editor import EditCommand
from PySide6.QtGui import QUndoStack


def _graph():
    g = Graph()
    a = g.add("input", shape=(3, 8, 8))
    b = g.add("conv2d")
    return g, a, b


def test_redo_applies_and_undo_reverts():
    g, a, b = _graph()
    stack = QUndoStack()
    stack.push(EditCommand(g, AddEdge(Edge(a.id, "y", b.id, "x"))))
    assert len(g.edges) == 1 and stack.undoText() == "Connect"
    stack.undo()
    assert g.edges == []
    stack.redo()
    assert len(g.edges) == 1


def test_consecutive_edits_of_one_parameter_merge_into_one_step():
    g, _a, b = _graph()
    stack = QUndoStack()
    for v in (17, 18, 19, 20):
        stack.push(EditCommand(g, SetParam(b.id, "out_channels", v)))
    assert stack.count() == 1 and g.nodes[b.id].params["out_channels"] == 20
    stack.undo()
    assert g.nodes[b.id].params["out_channels"] == 16  # back to before the first edit


def test_edits_of_different_parameters_or_nodes_stay_separate():
    g, a, b = _graph()
    stack = QUndoStack()
    stack.push(EditCommand(g, SetParam(b.id, "out_channels", 8)))
    stack.push(EditCommand(g, SetParam(b.id, "kernel_size", 5)))
    stack.push(EditCommand(g, SetParam(a.id, "shape", (1, 8, 8))))
    stack.push(EditCommand(g, SetParam(b.id, "kernel_size", 7)))
    stack.push(EditCommand(g, Rename(b.id, "features")))
    assert stack.count() == 5


def test_a_parameter_edited_back_to_its_start_leaves_no_step():
    g, _, b = _graph()
    stack = QUndoStack()
    stack.push(EditCommand(g, SetParam(b.id, "out_channels", 30)))
    stack.push(EditCommand(g, SetParam(b.id, "out_channels", 16)))
    assert stack.count() == 0 and g.nodes[b.id].params["out_channels"] == 16


def test_moves_merge_only_within_one_gesture():
    g, a, b = _graph()
    stack = QUndoStack()
    for x in (10, 20, 30):
        stack.push(EditCommand(g, MoveNodes({a.id: (x, 0)}), gesture="nudge"))
    assert stack.count() == 1
    stack.push(EditCommand(g, MoveNodes({a.id: (40, 0)})))  # a separate drag
    stack.push(EditCommand(g, MoveNodes({a.id: (50, 0)})))
    stack.push(EditCommand(g, MoveNodes({b.id: (5, 5)}), gesture="nudge"))  # other nodes
    assert stack.count() == 4
    while stack.canUndo():
        stack.undo()
    assert g.nodes[a.id].position == (0.0, 0.0) and g.nodes[b.id].position == (0.0, 0.0)


def test_applied_flag_skips_the_first_redo():
    g, _, b = _graph()
    edit = SetParam(b.id, "out_channels", 5)
    edit.apply(g)
    stack = QUndoStack()
    stack.push(EditCommand(g, edit, applied=True))
    assert g.nodes[b.id].params["out_channels"] == 5
    stack.undo()
    assert g.nodes[b.id].params["out_channels"] == 16
    stack.redo()
    assert g.nodes[b.id].params["out_channels"] == 5
