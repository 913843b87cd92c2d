"""Property: for random graphs and random connected selections, group then ungroup gives
back the same document (nodes, wires, params, positions), and group then undo gives back
the identical one."""

from __future__ import annotations

import json

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from netcanvas.backend.blocks.edits import GroupNodes, Ungroup
from netcanvas.backend.graph import GraphError
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import project_to_dict
from netcanvas.backend.shapes import analyze

LAYERS = ("linear", "relu", "add", "dropout", "sigmoid")


@st.composite
def graphs_and_selections(draw):
    """A DAG of 1-D layers (every one (8,) -> (8,)) fed by one Input, and a connected
    selection of its inner nodes."""
    p = Project()
    g = p.graph
    nodes = [g.add("input", shape=(8,), position=(0.0, 0.0))]
    for i in range(draw(st.integers(2, 9))):
        kind = draw(st.sampled_from(LAYERS if len(nodes) > 1 else LAYERS[:2]))
        params = {"out_features": 8} if kind == "linear" else {}
        node = g.add(kind, position=(float(draw(st.integers(-500, 500))), float(i)), **params)
        feeds = draw(st.lists(st.sampled_from(nodes), min_size=2 if kind == "add" else 1,
                              max_size=3 if kind == "add" else 1, unique_by=lambda n: n.id))
        for src in feeds:
            g.connect(src, node)
        nodes.append(node)
    g.connect(nodes[-1], g.add("output", loss="none"))
    inner = nodes[1:]
    start = draw(st.sampled_from(inner))
    chosen, frontier = {start.id}, [start.id]
    for _ in range(draw(st.integers(0, len(inner)))):  # grow along wires
        around = [e.dst if e.src in chosen else e.src for e in g.edges
                  if (e.src in chosen) != (e.dst in chosen)]
        around = [nid for nid in around if g.nodes[nid].type_id not in ("input", "output")]
        if not around:
            break
        pick = draw(st.sampled_from(sorted(set(around))))
        chosen.add(pick)
        frontier.append(pick)
    return p, frontier


def canonical(project: Project) -> dict:
    d = project_to_dict(project)
    g = d["graph"]
    return {**d, "graph": {"nodes": sorted(g["nodes"], key=lambda n: n["id"]),
                           "edges": sorted(g["edges"], key=json.dumps)}}


@settings(max_examples=60, deadline=None)
@given(graphs_and_selections())
def test_group_then_ungroup_or_undo_gives_the_document_back(case):
    project, selection = case
    graph = project.graph
    before, exact = canonical(project), project_to_dict(project)
    analysis = analyze(graph)
    assert analysis.ok, analysis.problems
    group = GroupNodes(selection)
    try:
        group.apply(graph)
    except GraphError as exc:  # an outside node between two selected ones; a dead end
        assert "lies between the selected nodes" in str(exc) or "lead nowhere" in str(exc)
        assert project_to_dict(project) == exact
        assume(False)
    grouped = analyze(graph)
    assert grouped.ok and grouped.total_params == analysis.total_params
    group.revert(graph)
    assert project_to_dict(project) == exact
    group.apply(graph)  # redo
    Ungroup(group.instance_id).apply(graph)
    assert canonical(project) == before
