"""Copy and paste of nodes through the system clipboard, as project-style JSON.

The payload is {"nodes": [...], "edges": [...]} in Graph.to_dict() format, so pasting into
another window (or another NetCanvas process) works, and a text editor shows readable JSON.
"""

from __future__ import annotations

import atexit
import json
import re

from netcanvas.backend.graph import AddNodes, Edge, Graph, Node, new_id
from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

NODES_MIME = "application/x-netcanvas-nodes"


def selection_dict(graph: Graph, node_ids) -> dict:
    """The selected nodes (in document order) and the edges among them."""
    ids = set(node_ids)
    full = graph.to_dict()
    return {"nodes": [n for n in full["nodes"] if n["id"] in ids],
            "edges": [e for e in full["edges"] if e["src"] in ids and e["dst"] in ids]}


def to_mime(data: dict) -> QMimeData:
    text = json.dumps(data, indent=1)
    mime = QMimeData()
    mime.setData(NODES_MIME, text.encode("utf-8"))
    mime.setText(text)
    return mime


def put_on_clipboard(data: dict) -> None:
    QGuiApplication.clipboard().setMimeData(to_mime(data))
    if not _release_at_exit.registered:
        atexit.register(_release_at_exit)
        _release_at_exit.registered = True


def _release_at_exit() -> None:
    """Drop our QMimeData before Python shuts down: PySide 6 crashes (SIGSEGV) when the
    clipboard deletes a Python-created QMimeData during QApplication's destruction."""
    app = QGuiApplication.instance()
    if app is not None:
        mime = app.clipboard().mimeData()
        if mime is not None and mime.hasFormat(NODES_MIME):
            app.clipboard().clear()


_release_at_exit.registered = False


def from_mime(mime: QMimeData) -> dict | None:
    """The node payload, or None when the clipboard holds something else."""
    if mime.hasFormat(NODES_MIME):
        raw = bytes(mime.data(NODES_MIME)).decode("utf-8")
    elif mime.hasText():
        raw = mime.text()
    else:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        return None
    return data


def _free_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem = re.sub(r"\d+$", "", name) or "node"
    i = 1
    while f"{stem}{i}" in taken:
        i += 1
    return f"{stem}{i}"


def paste_edit(graph: Graph, data: dict, offset: tuple[float, float]) -> AddNodes:
    """An AddNodes edit for a payload: fresh ids, unique names, positions shifted by offset.

    Raises KeyError/TypeError/ValueError on a malformed payload."""
    taken = {n.name for n in graph.nodes.values()}
    ids: dict[str, str] = {}
    nodes = []
    for d in data["nodes"]:
        ids[d["id"]] = new_id()
        name = _free_name(str(d["name"]), taken)
        taken.add(name)
        x, y = d.get("position", (0.0, 0.0))
        nodes.append(Node(ids[d["id"]], d["type"], name, dict(d.get("params", {})),
                          (float(x) + offset[0], float(y) + offset[1]),
                          training=dict(d.get("training", {})), blocks=graph.blocks))
    edges = [Edge(ids[e["src"]], e["src_port"], ids[e["dst"]], e["dst_port"])
             for e in data.get("edges", []) if e["src"] in ids and e["dst"] in ids]
    return AddNodes(nodes, edges, text="Paste")


def bounds_center(data: dict) -> tuple[float, float]:
    """Centre of the payload's node positions (top-left corners)."""
    xs = [float(n.get("position", (0, 0))[0]) for n in data["nodes"]] or [0.0]
    ys = [float(n.get("position", (0, 0))[1]) for n in data["nodes"]] or [0.0]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
