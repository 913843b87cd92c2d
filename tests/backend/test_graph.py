"""The document model: typed validation errors with node ids, events, exact undo."""

from __future__ import annotations

import copy
import itertools

import pytest
from netcanvas.backend.graph import (
    AddEdge,
    AddNodes,
    Compound,
    CycleError,
    Edge,
    Graph,
    GraphError,
    MissingEndpointError,
    MissingInputError,
    MoveNodes,
    Node,
    NodeNameError,
    ParamValueError,
    PortError,
    RemoveItems,
    Rename,
    SetParam,
    UnknownNodeError,
    UnknownTypeError,
    new_id,
)
from netcanvas.backend.registry import ParamError


def chain() -> tuple[Graph, list[Node]]:
    g = Graph()
    nodes = [g.add("input", shape=(4,)), g.add("linear", out_features=3), g.add("relu"),
             g.add("output")]
    for a, b in itertools.pairwise(nodes):
        g.connect(a, b)
    return g, nodes


def test_cycle_is_rejected_with_both_ends():
    g, _ = chain()
    a, b, c = g.add("relu"), g.add("tanh"), g.add("sigmoid")
    g.connect(a, b)
    g.connect(b, c)
    before = g.to_dict()
    with pytest.raises(CycleError) as info:
        g.connect(c, a)
    assert set(info.value.node_ids) == {a.id, c.id}
    with pytest.raises(CycleError):
        g.connect(a, a)
    assert g.to_dict() == before


def test_ports_are_checked():
    g, (x, fc, act, _) = chain()
    extra = g.add("input", shape=(4,))
    with pytest.raises(PortError) as info:
        g.connect(extra, fc)  # "x" of a Linear already has its one edge
    assert info.value.node_ids == (fc.id,)
    with pytest.raises(PortError) as info:
        g.connect(extra, act, dst_port="z")
    assert info.value.node_ids == (act.id,)
    with pytest.raises(PortError) as info:
        g.connect(extra, act, src_port="indices")
    assert info.value.node_ids == (extra.id,)
    with pytest.raises(PortError):
        g.connect(x, fc)  # the same wire twice


def test_unknown_type_node_and_param():
    g, (_, fc, *_) = chain()
    with pytest.raises(UnknownTypeError) as info:
        g.add_node(Node("n1", "conv9d", "c", {}))
    assert info.value.node_ids == ("n1",)
    with pytest.raises(UnknownNodeError) as info:
        g.node("missing")
    assert info.value.node_ids == ("missing",)
    with pytest.raises(ParamValueError) as info:
        g.set_param(fc.id, "out_features", 0)
    assert info.value.node_ids == (fc.id,) and isinstance(info.value, ParamError)
    with pytest.raises(ParamValueError) as info:
        g.set_param(fc.id, "kernel_size", 3)
    assert info.value.node_ids == (fc.id,)
    with pytest.raises(ParamValueError) as info:
        g.add_node(Node("n2", "linear", "fcx", {"out_features": -1}))
    assert info.value.node_ids == ("n2",)
    assert fc.params["out_features"] == 3 and "n2" not in g.nodes


def test_names_are_unique_and_valid():
    g, (x, fc, act, _) = chain()
    with pytest.raises(NodeNameError) as info:
        g.rename(act.id, fc.name)
    assert set(info.value.node_ids) == {fc.id, act.id}
    with pytest.raises(NodeNameError) as info:
        g.rename(act.id, "1st layer")
    assert info.value.node_ids == (act.id,)
    with pytest.raises(NodeNameError):
        g.add_node(Node(new_id(), "relu", fc.name, {}))
    with pytest.raises(NodeNameError):
        g.add_node(Node(x.id, "relu", "fresh", {}))  # duplicate id
    g.rename(act.id, act.name)  # renaming to its own name is fine
    assert g.unique_name("fc") == "fc2" and g.unique_name("déjà vu") == "d_j__vu1"


def test_topological_order_and_cycle_report():
    g, nodes = chain()
    assert g.topological_order() == [n.id for n in nodes]
    # A cycle in a graph built behind the validators (as a bad file could) names only its
    # own nodes, not those downstream of it.
    a, b, c = (g.add("relu") for _ in range(3))
    g.edges += [Edge(a.id, "y", b.id, "x"), Edge(b.id, "y", a.id, "x"), Edge(b.id, "y", c.id, "x")]
    with pytest.raises(CycleError) as info:
        g.topological_order()
    assert set(info.value.node_ids) == {a.id, b.id}


def test_validate_lists_structural_errors_with_node_ids():
    g, (x, fc, _act, _out) = chain()
    assert g.validate() == []
    g.remove_node(x.id)
    unpool = g.add("max_unpool2d")
    kinds = [(type(e), e.node_ids) for e in g.validate()]
    assert kinds == [(MissingEndpointError, ()), (MissingInputError, (fc.id,)),
                     (MissingInputError, (unpool.id,)), (MissingInputError, (unpool.id,))]
    assert "needs an input on port 'indices'" in str(g.validate()[-1])
    g = Graph()
    a, b = g.add("relu"), g.add("tanh")
    # Assembled behind the mutators, as a hand-edited file might be before it is checked.
    g.edges += [Edge(a.id, "y", b.id, "x"), Edge(b.id, "y", a.id, "x"), Edge(b.id, "y", b.id, "x")]
    errors = g.validate()
    assert [type(e) for e in errors] == [MissingEndpointError, MissingEndpointError, PortError,
                                         CycleError, CycleError]
    assert errors[2].node_ids == (b.id,) and "not 2" in str(errors[2])
    assert {errors[3].node_ids, errors[4].node_ids} == {(a.id,), (b.id,)}


def test_events_are_emitted():
    g, (_, fc, act, _) = chain()
    seen = []
    for name in ("node_added", "node_removed", "edge_added", "edge_removed", "param_changed",
                 "node_renamed", "node_moved", "changed"):
        getattr(g, name).connect(lambda *args, name=name: seen.append(name))
    g.set_param(fc.id, "out_features", 5)
    g.rename(fc.id, "dense")
    g.move(fc.id, (1, 2))
    g.remove_node(act.id)
    assert seen == ["param_changed", "changed", "node_renamed", "changed", "node_moved",
                    "edge_removed", "edge_removed", "node_removed", "changed"]


def snapshot(g: Graph) -> dict:
    return copy.deepcopy(g.to_dict())


def check_undo(g: Graph, edit) -> None:
    """apply changes the document; revert restores it exactly; apply again gives the same."""
    before = snapshot(g)
    edit.apply(g)
    after = snapshot(g)
    assert after != before
    edit.revert(g)
    assert snapshot(g) == before
    edit.apply(g)
    assert snapshot(g) == after
    edit.revert(g)
    assert snapshot(g) == before


def test_every_edit_reverts_exactly():
    g, (x, fc, act, out) = chain()
    sig = Node(new_id(), "sigmoid", "sig", {}, (5.0, 5.0))
    check_undo(g, AddNodes([sig], [Edge(act.id, "y", sig.id, "x")]))
    check_undo(g, RemoveItems([fc.id]))
    check_undo(g, RemoveItems([], [g.edges[1]]))
    check_undo(g, AddEdge(Edge(x.id, "y", g.add("tanh").id, "x")))
    check_undo(g, SetParam(fc.id, "out_features", 8))
    check_undo(g, SetParam(x.id, "shape", [6]))  # stored as the tuple (6,)
    check_undo(g, Rename(act.id, "activation"))
    check_undo(g, MoveNodes({fc.id: (300.0, 40.0), act.id: (-1.0, 2.5)}))
    check_undo(g, Compound([SetParam(fc.id, "bias", False), Rename(fc.id, "head"),
                            RemoveItems([out.id])]))


def test_remove_several_nodes_restores_original_order():
    g = Graph()
    x = g.add("input", shape=(4,))
    heads = [g.add("linear", out_features=i + 1) for i in range(4)]
    acts = [g.add("relu") for _ in heads]
    cat = g.add("sigmoid")
    for h, a in zip(heads, acts):
        g.connect(x, h)
        g.connect(h, a)
    g.connect(acts[2], cat)
    # Nodes listed out of order, plus an explicit edge that would go anyway.
    check_undo(g, RemoveItems([acts[2].id, heads[0].id, heads[3].id], [g.edges[5]]))
    order = list(g.nodes)
    RemoveItems([heads[1].id, acts[1].id]).apply(g)
    assert list(g.nodes) == [i for i in order if i not in (heads[1].id, acts[1].id)]


def test_failed_edits_change_nothing():
    g, (_, fc, act, out) = chain()
    before = snapshot(g)
    fresh = Node(new_id(), "relu", "fresh", {})
    with pytest.raises(PortError):  # second node's wire is rejected: the first is undone too
        AddNodes([fresh], [Edge(fresh.id, "y", out.id, "x")]).apply(g)
    assert snapshot(g) == before
    with pytest.raises(UnknownNodeError):
        RemoveItems([fc.id, "ghost"]).apply(g)
    assert snapshot(g) == before
    with pytest.raises(GraphError):
        Compound([Rename(fc.id, "ok"), Rename(act.id, "ok")]).apply(g)
    assert snapshot(g) == before


def test_add_nodes_keeps_its_own_copies():
    g = Graph()
    node = Node(new_id(), "linear", "fc", {"out_features": 4})
    edit = AddNodes([node])
    edit.apply(g)
    g.set_param(node.id, "out_features", 9)
    edit.revert(g)
    edit.apply(g)
    assert g.node(node.id).params["out_features"] == 4


def test_one_topological_order_follows_the_canvas_and_is_shared():
    """Analysis, compiler and layout read the same order: ready nodes in canvas order."""
    from netcanvas.backend.graph import topo_sort

    g = Graph()
    inp = g.add("input", shape=(4,))
    late = g.add("relu", name="late")
    early = g.add("sigmoid", name="early")
    add = g.add("add")
    out = g.add("output")
    g.connect(inp, early)  # wired first, but `late` comes first on the canvas
    g.connect(inp, late)
    g.connect(late, add)
    g.connect(early, add)
    g.connect(add, out)
    order = g.topological_order()
    assert order == [inp.id, late.id, early.id, add.id, out.id]  # canvas order among ready
    assert g.order() == topo_sort(g.nodes, [(e.src, e.dst) for e in g.edges])
    assert g.reachable(out.id, downstream=False) == set(g.nodes)
    assert g.reachable(early.id) == {early.id, add.id, out.id}
    assert g.edges_into(add.id) == [e for e in g.edges if e.dst == add.id]
