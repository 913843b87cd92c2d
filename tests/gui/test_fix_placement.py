"""New cards from a quick fix land in free space, never on another card (issue 21, bug 6)."""

from __future__ import annotations

import itertools

from netcanvas.app.document import Document
from netcanvas.backend.graph import Graph
from netcanvas.backend.project import Project
from PySide6.QtWidgets import QApplication
from test_app_support import *  # fixtures: window, isolated


def test_inserted_relu_lands_on_no_card(window):
    g = Graph()
    chain = [g.add("input", "image", shape=(64,), position=(0, 0)),
             g.add("linear", "fc1", out_features=32, position=(200, 0)),
             g.add("linear", "fc2", out_features=10, position=(400, 0)),
             g.add("output", "logits", position=(600, 0))]
    for a, b in itertools.pairwise(chain):
        g.connect(a, b)
    window.set_document(Document(Project(graph=g)))
    QApplication.processEvents()
    graph = window.document.graph
    repairs, _ = window.quick_fixes.fixes(graph.by_name("fc2").id)
    fix = next(f for f in repairs if f.title == "Insert a ReLU before 'fc2'")
    window.quick_fixes.apply(fix)
    relu = next(n for n in graph.nodes.values() if n.type_id == "relu")
    items = window.scene.node_items()
    rect = items[relu.id].sceneBoundingRect()
    assert not [graph.nodes[nid].name for nid, item in items.items()
                if nid != relu.id and item.sceneBoundingRect().intersects(rect)]
