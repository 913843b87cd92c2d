"""Editor benchmark (offscreen): open-and-draw a 1,000-node project, and one parameter
edit on a 500-node graph through re-analysis to the repainted canvas.

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

from netcanvas.backend.graph import Graph, SetParam
from netcanvas.backend.project import Project
from netcanvas.backend.shapes import analyze
from netcanvas.backend.graph.layout import layered_layout
from netcanvas.graph_editor import EditDocument, GraphScene, GraphView
from netcanvas.graph_editor.node_item import card_size
from netcanvas.app.node_kinds import node_kinds
from PySide6.QtWidgets import QApplication

SIZE = (1400, 900)


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


def timed(fn, repeat: int = 1) -> float:
    """Median seconds of `repeat` calls."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def make_view(graph: Graph):
    document = EditDocument(Project(graph=graph))
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
    view.reset_zoom()
    t_100 = timed(lambda: view.viewport().repaint(), repeat=10)
    t_grab = timed(lambda: view.grab(), repeat=5)
    print(f"open+draw 1,000 nodes ({len(big.edges)} edges, framed at zoom {state['zoom']:.2f}): "
          f"{t_open * 1e3:.0f} ms "
          f"= {t_open / baseline:.0f}x baseline   [target < 1000 ms]")
    print(f"  repaint at 100% zoom: {t_100 * 1e3:.1f} ms ({t_100 / baseline:.1f}x); "
          f"view.grab(): {t_grab * 1e3:.1f} ms")
    scene.detach()

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
