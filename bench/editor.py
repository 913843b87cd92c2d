"""Editor benchmark (offscreen): open-and-draw a 1,000-node and a 10,000-node project, flat,
and 1,000 nodes as 100 blocks of 10 (load from the file's JSON, analyse, draw), and one
parameter edit on a 500-node graph through re-analysis to the repainted canvas.

Run: QT_QPA_PLATFORM=offscreen python bench/editor.py
Figures are printed with ratios to a baseline measured in the same run (painting an
empty canvas of the same size), so they compare across machines. Targets: < 1 s, < 50 ms.
"""

from __future__ import annotations

import itertools
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from netcanvas.app.node_kinds import node_kinds
from netcanvas.backend.blocks.definition import BlockDef, BlockSet, Exposed
from netcanvas.backend.blocks.inside import instance_analysis, new_instance
from netcanvas.backend.graph import Graph, SetParam
from netcanvas.backend.graph.layout import layered_layout
from netcanvas.backend.project import Project
from netcanvas.backend.project_io import project_from_dict, project_to_dict
from netcanvas.backend.registry import get
from netcanvas.backend.shapes import analyze
from netcanvas.graph_editor import EditDocument, GraphScene, GraphView
from netcanvas.graph_editor.node_item import card_size
from PySide6.QtWidgets import QApplication

SIZE = (1400, 900)
HUGE = 10_000  # the residual graph a desktop user opens at most


def residual_net(n_nodes: int) -> Graph:
    """Input -> residual blocks (conv, batch norm, relu, add) -> head: every edge has a shape,
    and changing the input's size changes every shape downstream. Laid out left to right."""
    g = Graph()
    x = g.add("input", shape=(16, 32, 32))
    while len(g.nodes) < n_nodes - 4:
        conv = g.add("conv2d", out_channels=16, kernel_size=3, padding=1)
        bn, relu, add = g.add("batch_norm2d"), g.add("relu"), g.add("add")
        for a, b in ((x, conv), (conv, bn), (bn, relu), (relu, add), (x, add)):
            g.connect(a, b)
        x = add
    head = [g.add("global_avg_pool2d"), g.add("flatten"), g.add("linear"), g.add("output")]
    for a, b in zip([x, *head], head):
        g.connect(a, b)
    sizes = {nid: card_size(node.spec) for nid, node in g.nodes.items()}
    pos = layered_layout(list(g.nodes), [(e.src, e.dst) for e in g.edges], sizes)
    for nid, p in pos.items():
        g.nodes[nid].position = p
    return g


def blocked_net(n_blocks: int = 100) -> Project:
    """Input -> n_blocks instances of one 10-node residual block definition -> Output:
    1,000 nodes inside blocks, ~100 cards on the canvas. Each instance sets the block's
    exposed dropout rate to its own value, so no two share an inner analysis (identical
    instances are analysed once)."""
    blocks = BlockSet()
    inner = Graph(blocks=blocks, owner="ResBlock")
    x = inner.add("input", name="x", shape=(16, 32, 32))
    conv1 = inner.add("conv2d", out_channels=16, kernel_size=3, padding=1)
    conv2 = inner.add("conv2d", out_channels=16, kernel_size=3, padding=1)
    chain = [x, conv1, inner.add("batch_norm2d"), inner.add("relu"), conv2,
             inner.add("batch_norm2d"), inner.add("dropout"), inner.add("add")]
    for a, b in itertools.pairwise(chain):
        inner.connect(a, b)
    inner.connect(x, chain[-1])
    inner.connect(inner.connect(chain[-1], inner.add("relu")).dst,
                  inner.add("output", name="y", loss="none"))
    assert len(inner.nodes) == 10
    drop = next(n for n in inner.nodes.values() if n.type_id == "dropout")
    blocks.add(BlockDef("ResBlock", inner, [Exposed(get("dropout").param("p"),
                                                    ((drop.name, "p"),))]))
    g = Graph(blocks=blocks)
    x = g.add("input", shape=(16, 32, 32))
    for i in range(n_blocks):
        instance = new_instance(g, "ResBlock", position=(220.0 * i, 0), p=i / (4 * n_blocks))
        x = g.connect(x, g.add_node(instance)).dst
    g.connect(x, g.add("output", loss="none", position=(220.0 * n_blocks, 0)))
    return Project(graph=g)


def timed(fn, repeat: int = 1) -> float:
    """Median seconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def make_view(graph: Graph | Project):
    document = EditDocument(graph if isinstance(graph, Project) else Project(graph=graph))
    scene = GraphScene(document, kinds=node_kinds())
    document.setParent(scene)
    view = GraphView(scene)
    view.resize(*SIZE)
    view.show()
    QApplication.processEvents()
    return scene, view


def main() -> None:
    app = QApplication.instance() or QApplication([])
    _, empty_view = make_view(Graph())
    baseline = timed(lambda: empty_view.viewport().repaint(), repeat=20)
    print(f"baseline: empty canvas repaint {SIZE[0]}x{SIZE[1]}: {baseline * 1e3:.2f} ms")

    big = residual_net(1000)
    state = {}

    def open_and_draw():
        scene, view = make_view(big)
        scene.set_analysis(analyze(big))
        view.frame_selection_or_all()
        view.viewport().repaint()
        state["scene"], state["view"], state["zoom"] = scene, view, view.zoom()

    t_open = timed(open_and_draw)
    scene, view = state["scene"], state["view"]
    huge = residual_net(HUGE)
    big_state = state.copy()

    def open_huge():  # what opening a file does: scene, analysis, framed, first frame
        scene, view = make_view(huge)
        scene.set_analysis(analyze(huge))
        view.frame_selection_or_all()
        view.viewport().repaint()
        big_state["scene"], big_state["view"] = scene, view

    t_huge = timed(open_huge)
    big_state["scene"].detach()
    print(f"open+first frame {HUGE:,} nodes: {t_huge * 1e3:.0f} ms "
          f"= {t_huge / baseline:.0f}x baseline   [target < 1000 ms]")
    view.reset_zoom()
    t_100 = timed(lambda: view.viewport().repaint(), repeat=10)
    t_grab = timed(lambda: view.grab(), repeat=5)
    print(f"open+draw 1,000 nodes ({len(big.edges)} edges, framed at zoom {state['zoom']:.2f}): "
          f"{t_open * 1e3:.0f} ms "
          f"= {t_open / baseline:.0f}x baseline   [target < 1000 ms]")
    print(f"  repaint at 100% zoom: {t_100 * 1e3:.1f} ms ({t_100 / baseline:.1f}x); "
          f"view.grab(): {t_grab * 1e3:.1f} ms")
    scene.detach()

    data = project_to_dict(blocked_net(100))

    def open_blocked():
        project = project_from_dict(data)
        analysis = analyze(project.graph)
        state["load"] = project, analysis
        state["scene"], state["view"] = make_view(project)
        state["scene"].set_analysis(analysis)
        state["view"].frame_selection_or_all()
        state["view"].viewport().repaint()

    t_load = timed(lambda: analyze(project_from_dict(data).graph), repeat=3)
    print(f"load 100 blocks of 10 from the file's JSON + analyze: {t_load * 1e3:.0f} ms "
          f"({t_load / baseline:.1f}x baseline)")
    t_blocked = timed(open_blocked)
    project, analysis = state["load"]
    inside = sum(len(project.blocks[n.params["block"]].graph.nodes)
                 for n in project.graph.nodes.values() if n.type_id == "block")
    print(f"open+draw 100 blocks of 10 ({inside:,} nodes inside, {len(project.graph.nodes)} "
          f"cards, {analysis.total_params:,} params): {t_blocked * 1e3:.0f} ms "
          f"= {t_blocked / baseline:.0f}x baseline   [target < 1000 ms]")
    state["scene"].detach()
    last = [n for n in project.graph.nodes.values() if n.type_id == "block"][-1]

    def open_inside():  # what double-clicking a block does: a scene of its inner graph
        _, inner = instance_analysis(project.graph, last.id, analysis)
        inside = GraphScene(state["scene"].document, graph=project.blocks["ResBlock"].graph,
                            kinds=node_kinds())
        view = state["view"]
        view.setScene(inside)
        inside.set_analysis(inner)
        view.frame_selection_or_all()
        view.viewport().repaint()
        view.setScene(state["scene"])
        inside.detach()

    t_inside = timed(open_inside, repeat=5)
    print(f"  open one block inside (its scene, with the instance's shapes): "
          f"{t_inside * 1e3:.0f} ms ({t_inside / baseline:.0f}x)")

    mid = residual_net(500)
    scene, view = make_view(mid)
    scene.set_analysis(analyze(mid))
    view.frame_selection_or_all()
    view.viewport().repaint()
    inp = next(n for n in mid.nodes.values() if n.type_id == "input")
    sides = itertools.cycle([24, 32])

    def edit_to_pixels():
        scene.document.offer(SetParam(inp.id, "shape", (16, next(sides), 32)))
        scene.set_analysis(analyze(mid))
        view.viewport().repaint()

    first = scene.edge_item(mid.edges[0])
    before = first.label
    framed_zoom = view.zoom()
    t_edit = timed(edit_to_pixels, repeat=21)  # odd: the input ends on the other size
    t_analyze = timed(lambda: analyze(mid), repeat=20)
    label = f"{before} -> {first.label}"
    view.reset_zoom()
    t_edit_100 = timed(edit_to_pixels, repeat=20)
    print(f"param edit -> analysis -> repaint, 500 nodes, every shape changes: framed "
          f"(zoom {framed_zoom:.2f}) {t_edit * 1e3:.1f} ms ({t_edit / baseline:.1f}x), "
          f"at 100% {t_edit_100 * 1e3:.1f} ms "
          f"({t_edit_100 / baseline:.1f}x)   [target < 50 ms]")
    print(f"  of which analyze(): {t_analyze * 1e3:.1f} ms; first edge label went {label}")
    del app


if __name__ == "__main__":
    main()
