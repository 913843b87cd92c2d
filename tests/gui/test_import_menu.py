"""File > Import: an ONNX file chosen through the menu lands on the canvas, laid out, with a
shape on every wire; a Python file is only run after the user agrees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from netcanvas.app import files, importing
from onnx import TensorProto, helper, numpy_helper
from PySide6.QtCore import QRectF
from test_app_support import *  # fixtures: window, isolated


def _residual_onnx(path: Path) -> None:
    """conv -> bn -> relu -> conv, + the relu as a shortcut, -> global pool -> flatten -> gemm."""
    rng = np.random.default_rng(0)

    def const(name, *shape):
        return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

    var = numpy_helper.from_array(rng.uniform(0.5, 1.5, 4).astype(np.float32), "bn.var")
    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["c1"], name="conv_a",
                         pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn.scale", "bn.bias", "bn.mean",
                                                "bn.var"], ["b1"], name="bn_a"),
        helper.make_node("Relu", ["b1"], ["r1"], name="relu_a"),
        helper.make_node("Conv", ["r1", "conv2.weight"], ["c2"], name="conv_b", pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["r1", "c2"], ["s"], name="shortcut"),
        helper.make_node("GlobalAveragePool", ["s"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "residual", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
        [const("conv1.weight", 4, 3, 3, 3), const("conv1.bias", 4), const("bn.scale", 4),
         const("bn.bias", 4), const("bn.mean", 4), var, const("conv2.weight", 4, 4, 3, 3),
         const("fc.weight", 10, 4), const("fc.bias", 10)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)


def _file_menu_action(window, text: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    return next(a for a in menu.actions() if a.text() == text)


def test_import_onnx_through_the_file_menu(window, isolated, monkeypatch, qtbot):
    _residual_onnx(isolated / "residual.onnx")
    asked = []
    monkeypatch.setattr(importing, "ask_model_path", lambda parent, folder: asked.append(
        "which file?") or str(isolated / "residual.onnx"))
    monkeypatch.setattr(files, "ask_save_changes",
                        lambda parent, name: asked.append("save changes?") or "discard")
    monkeypatch.setattr(files, "ask_save_path", lambda parent, suggested: asked.append(
        window.statusBar().currentMessage()) or str(isolated / "imported"))
    window.document.mark_modified()
    _file_menu_action(window, "&Import…").trigger()
    # the file first; then the current document; then where the project goes, and why
    assert asked[:2] == ["which file?", "save changes?"]
    assert "residual.onnx as a NetCanvas project" in asked[2]

    doc = window.document
    assert doc.path == isolated / "imported.netcanvas"
    assert (isolated / "imported.safetensors").exists()
    assert "Imported residual.onnx: mapped 8 layers" in window.statusBar().currentMessage()
    graph = doc.graph
    assert sorted(n.type_id for n in graph.nodes.values()) == sorted([
        "input", "conv2d", "batch_norm2d", "relu", "conv2d", "add", "adaptive_avg_pool2d",
        "flatten", "linear", "output"])
    items = window.scene.node_items()
    rects = [QRectF(item.pos(), item.boundingRect().size()) for item in items.values()]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    # laid out left to right, in rows read like text where it is long (the next row lower)
    forward = [graph.nodes[e.src].position[0] < graph.nodes[e.dst].position[0]
               or graph.nodes[e.src].position[1] < graph.nodes[e.dst].position[1]
               for e in graph.edges]
    assert all(forward)
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


def test_import_asks_before_replacing_a_project_or_its_weights(window, isolated, monkeypatch):
    """Issue 29: the implicit PROJECT.safetensors is never replaced without a question."""
    _residual_onnx(isolated / "residual.onnx")
    (isolated / "imported.safetensors").write_text("mine")
    monkeypatch.setattr(importing, "ask_model_path", lambda parent, folder: str(
        isolated / "residual.onnx"))
    monkeypatch.setattr(files, "ask_save_path", lambda parent, suggested: str(
        isolated / "imported"))
    asked = []
    monkeypatch.setattr(importing, "ask_replace", lambda parent, paths: asked.append(paths))
    before = window.document
    _file_menu_action(window, "&Import…").trigger()
    assert asked == [[isolated / "imported.safetensors"]] and window.document is before
    assert (isolated / "imported.safetensors").read_text() == "mine"
    assert not (isolated / "imported.netcanvas").exists()
    monkeypatch.setattr(importing, "ask_replace", lambda parent, paths: True)
    _file_menu_action(window, "&Import…").trigger()
    assert window.document.path == isolated / "imported.netcanvas"
    assert (isolated / "imported.safetensors").read_bytes() != b"mine"


def test_a_trusted_file_that_exits_is_reported_and_the_app_goes_on(window, isolated,
                                                                    monkeypatch):
    """Issue 29: sys.exit() in the user's module is an error, not the app's exit."""
    (isolated / "net.py").write_text("import sys\nsys.exit(0)\n", encoding="utf-8")
    monkeypatch.setattr(importing, "ask_model_path", lambda parent, folder: str(
        isolated / "net.py"))
    monkeypatch.setattr(importing, "ask_trust", lambda parent, path: True)
    monkeypatch.setattr(importing, "ask_text", lambda parent, title, label, default="": "Net")
    shown = []
    monkeypatch.setattr(files, "show_error", lambda parent, title, text: shown.append(text))
    before = window.document
    _file_menu_action(window, "&Import…").trigger()
    assert window.document is before and len(shown) == 1
    assert "called sys.exit(0): nothing was imported" in shown[0]


def test_import_needs_only_a_file_controller(isolated, monkeypatch, qtbot):
    """import_model is handed the file controller, not the main window: over a plain
    widget, it asks beside the open document, opens the project and says what it wrote."""
    from netcanvas.app.document import Document
    from PySide6.QtWidgets import QWidget

    _residual_onnx(isolated / "residual.onnx")
    parent = QWidget()
    qtbot.addWidget(parent)
    shown, messages, asked = [], [], []
    controller = files.FileController(
        parent, show_document=shown.append, document_saved=lambda: None,
        confirm_close=lambda: True, show_message=lambda text, ms: messages.append(text))
    controller.set_document(Document(path=isolated / "current.netcanvas"))
    monkeypatch.setattr(importing, "ask_model_path", lambda parent, folder: asked.append(
        (parent, folder)) or str(isolated / "residual.onnx"))
    monkeypatch.setattr(files, "ask_save_path", lambda parent, suggested: asked.append(
        parent) or str(isolated / "imported"))
    assert importing.import_model(controller)
    assert asked == [(parent, str(isolated)), parent]
    assert [doc.path for doc in shown] == [isolated / "imported.netcanvas"]
    assert "residual.onnx as a NetCanvas project" in messages[0]
    assert messages[-1].startswith("Imported residual.onnx: mapped 8 layers")
