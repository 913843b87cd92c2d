"""Quick fixes for shape errors. Each candidate is tried on a copy of the graph and offered
only when it clears the node's error without adding any, so a fix never makes things worse."""

from __future__ import annotations

from collections.abc import Iterator

from netcanvas.backend.doctor.context import CLASS_LOSSES, DataFacts
from netcanvas.backend.doctor.rule import Fix
from netcanvas.backend.doctor.surgery import insert_before, insert_on_edge, set_param
from netcanvas.backend.graph import Graph, Node
from netcanvas.backend.project_io import graph_from_dict
from netcanvas.backend.shapes import Analysis, analyze, format_shape

MERGES = ("add", "multiply", "concat")


def error_fixes(graph: Graph, node_id: str, analysis: Analysis | None = None,
                data: DataFacts | None = None) -> list[Fix]:
    """The fixes that clear the error of `node_id` (empty when it has none)."""
    analysis = analysis or analyze(graph)
    info = analysis.nodes.get(node_id)
    if info is None or info.error is None:
        return []
    before = len(analysis.errors)
    return [fix for fix in _candidates(graph, graph.node(node_id), analysis, data)
            if _clears(graph, fix, node_id, before)]


def _clears(graph: Graph, fix: Fix, node_id: str, errors_before: int) -> bool:
    trial = graph_from_dict(graph.to_dict())
    try:
        fix.edit(trial).apply(trial)
    except Exception:  # noqa: BLE001 -- a refused edit, of whatever kind: not a fix here
        return False
    after = analyze(trial)
    return after.nodes[node_id].error is None and len(after.errors) < errors_before


def _in_shapes(graph: Graph, node: Node, analysis: Analysis) -> list:
    return [(e, analysis.edge_shapes.get(e)) for e in graph.edges_into(node.id)]


def _candidates(graph: Graph, node: Node, analysis: Analysis,
                data: DataFacts | None) -> Iterator[Fix]:
    inputs = _in_shapes(graph, node, analysis)
    if len(inputs) == 1 and inputs[0][1] is not None and len(inputs[0][1]) > 1:
        if node.type_id == "output" and node.params["loss"] in CLASS_LOSSES and data \
                and data.num_classes:
            k = data.num_classes
            yield Fix(f"Insert a Flatten and a Linear to {k} classes before '{node.name}'",
                      lambda g, n=node.id: insert_before(g, n, [("flatten", {}),
                                                                ("linear", {"out_features": k})]))
        yield Fix(f"Insert a Flatten before '{node.name}'",
                  lambda g, n=node.id: insert_before(g, n, [("flatten", {})]))
    if node.type_id in MERGES and all(s is not None for _, s in inputs):
        yield from _merge_fixes(graph, node, inputs)


def _merge_fixes(graph: Graph, node: Node, inputs: list) -> Iterator[Fix]:
    shapes = [s for _, s in inputs]
    yield from _padding_fixes(graph, node, inputs)
    ranks = {len(s) for s in shapes}
    if len(ranks) != 1:
        return
    if node.type_id in ("add", "multiply") and len({s[1:] for s in shapes}) == 1:
        target = max(s[0] for s in shapes)
        wrong = [e for e, s in inputs if s[0] != target]
        layer = ("conv2d", {"out_channels": target, "kernel_size": (1, 1), "bias": False}) \
            if len(shapes[0]) == 3 else ("linear", {"out_features": target})
        what = "1×1 Conv2d" if layer[0] == "conv2d" else "projection Linear"
        yield Fix(f"Insert a {what} to {target} channels before '{node.name}'",
                  lambda g, es=wrong: [x for e in es for x in insert_on_edge(g, e, [layer])])
    if node.type_id == "concat" and ranks == {3}:
        size = (min(s[1] for s in shapes), min(s[2] for s in shapes))
        wrong = [e for e, s in inputs if tuple(s[1:]) != size]
        yield Fix(f"Insert an AdaptiveAvgPool2d to {format_shape(size)} before '{node.name}'",
                  lambda g, es=wrong: [x for e in es for x in insert_on_edge(
                      g, e, [("adaptive_avg_pool2d", {"output_size": size})])])


def _padding_fixes(graph: Graph, node: Node, inputs: list) -> Iterator[Fix]:
    """Stride-1 convolutions feeding the merge that shrink their input: pad them to keep
    the size (one fix for all of them, since each alone may not make the shapes agree)."""
    changes = {}
    for edge, _ in inputs:
        conv = graph.node(edge.src)
        p = conv.params
        if conv.type_id != "conv2d" or p["padding_mode"] != "explicit" \
                or any(s != 1 for s in p["stride"]):
            continue
        spans = [d * (k - 1) for k, d in zip(p["kernel_size"], p["dilation"])]
        keep = tuple(span // 2 for span in spans)
        if keep != tuple(p["padding"]) and all(span % 2 == 0 for span in spans):
            changes[conv.id] = keep
    if changes:
        names = ", ".join(f"'{graph.node(n).name}'" for n in changes)
        yield Fix(f"Pad {names} to keep the size",
                  lambda g: [x for n, v in changes.items() for x in set_param(n, "padding", v)])
