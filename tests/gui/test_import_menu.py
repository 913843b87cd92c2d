"""File > Import: an ONNX file chosen through the menu lands on the canvas, laid out, with a
shape on every wire; a Python file is only run after the user agrees."""

from __future__ import annotations

from pathlib import Path

import pytest
from netcanvas.app import files, importing
from netcanvas.backend.compiler import compile_graph
from netcanvas.backend.export import export_onnx
from netcanvas.backend.project_io import load_project
from PySide6.QtCore import QRectF
from test_app_support import *  # fixtures: window, isolated

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def _file_menu_action(window, text: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    return next(a for a in menu.actions() if a.text() == text)


@pytest.mark.slow  # exporting the ONNX file first takes most of its ~15-30 s
def test_import_onnx_through_the_file_menu(window, isolated, monkeypatch, qtbot):
    model = compile_graph(load_project(EXAMPLES / "residual_cnn.netcanvas").graph)
    export_onnx(model, isolated / "residual.onnx")
    monkeypatch.setattr(importing, "ask_model_path", lambda parent, folder: str(
        isolated / "residual.onnx"))
    monkeypatch.setattr(files, "ask_save_path", lambda parent, suggested: str(
        isolated / "imported"))
    _file_menu_action(window, "&Import…").trigger()

    doc = window.document
    assert doc.path == isolated / "imported.netcanvas"
    assert (isolated / "imported.safetensors").exists()
    graph = doc.graph
    assert sum(n.type_id == "batch_norm2d" for n in graph.nodes.values()) == 5
    assert sum(n.type_id == "add" for n in graph.nodes.values()) == 2
    items = window.scene.node_items()
    rects = [QRectF(item.pos(), item.boundingRect().size()) for item in items.values()]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    xs = [graph.nodes[e.src].position[0] < graph.nodes[e.dst].position[0] for e in graph.edges]
    assert all(xs)  # laid out left to right
    edges = window.scene.edge_items()
    assert len(edges) == len(graph.edges) and all(item.label for item in edges.values())
    qtbot.wait(50)  # the new canvas frames the graph on the next event loop turn
    window.grab().save(str(isolated / "imported.png"))


def test_python_import_asks_before_running_the_file(window, isolated, monkeypatch):
    (isolated / "net.py").write_text("raise SystemExit('must not run')\n", encoding="utf-8")
    monkeypatch.setattr(importing, "ask_model_path", lambda parent, folder: str(
        isolated / "net.py"))
    asked = []
    monkeypatch.setattr(importing, "ask_trust", lambda parent, path: asked.append(path) or False)
    before = window.document
    _file_menu_action(window, "&Import…").trigger()
    assert asked == [isolated / "net.py"] and window.document is before
