"""The "New task with K classes" quick action: the final Linear before a classification
Output is replaced by a fresh one with K outputs (a new name, so no old weights land in it)
and, on request, every node with weights before it is frozen. One undoable edit."""

from __future__ import annotations

import copy

from netcanvas.backend.graph.edits import AddNodes, Compound, RemoveItems, SetParam, SetTraining
from netcanvas.backend.graph.errors import GraphError
from netcanvas.backend.graph.model import Edge, Graph, Node, new_id

CLASSIFICATION_LOSSES = ("cross_entropy", "nll")


def head_of(graph: Graph) -> tuple[Node, Node]:
    """(the final Linear, the Output it feeds); GraphError when the graph ends otherwise."""
    outputs = [n for n in graph.nodes.values() if n.type_id == "output"]
    for out in outputs:
        feed = graph.edges_into(out.id)
        if feed and graph.node(feed[0].src).type_id == "linear":
            return graph.node(feed[0].src), out
    raise GraphError("a new task needs a Linear layer feeding an Output; "
                     + ("this graph has no Output" if not outputs else
                        f"'{outputs[0].name}' is fed by something else"))


def new_task(graph: Graph, classes: int, freeze: bool = False, analysis=None) -> Compound:
    """The edit: the head replaced by a Linear with `classes` outputs (its inputs and
    consumers rewired), the Output set to a classification loss, and with `freeze` every
    node with weights upstream made not trainable."""
    if not isinstance(classes, int) or isinstance(classes, bool) or classes < 1:
        raise GraphError(f"a new task needs at least 1 class, got {classes!r}")
    head, out = head_of(graph)
    fresh = Node(new_id(), "linear", graph.unique_name("head"),
                 {**copy.deepcopy(head.params), "out_features": classes}, head.position)
    edges = [Edge(e.src, e.src_port, fresh.id, e.dst_port) for e in graph.edges_into(head.id)]
    edges += [Edge(fresh.id, e.src_port, e.dst, e.dst_port) for e in graph.edges_from(head.id)]
    edits = [RemoveItems([head.id]), AddNodes([fresh], edges)]
    if out.params.get("loss") not in CLASSIFICATION_LOSSES:
        edits.append(SetParam(out.id, "loss", "cross_entropy"))
    if freeze:
        if analysis is None:
            from netcanvas.backend.shapes import analyze
            analysis = analyze(graph)
        upstream = graph.reachable(head.id, downstream=False) - {head.id}
        for nid in upstream:
            info = analysis.nodes.get(nid)
            if info is not None and info.params:
                node = graph.node(nid)
                edits.append(SetTraining(nid, {**node.training, "trainable": False}))
    return Compound(edits, text=f"New task with {classes} classes")
