"""Wiring by mouse: drag from an output to an input (or backwards from an input).

While dragging, ports that would accept the wire light up; on release the edge is offered
to the document (graph.check_edge via the edit) and a refused wire reports its reason.
Dragging from a connected single input picks its wire up: drop it elsewhere to reconnect,
or on empty canvas to disconnect.
"""

from __future__ import annotations

from netcanvas.backend.graph import AddEdge, Compound, Edge, RemoveItems
from netcanvas.graph_editor.edge_item import WireItem
from netcanvas.graph_editor.node_item import NodeItem
from netcanvas.graph_editor.port_item import PortItem
from PySide6.QtWidgets import QToolTip


class Wiring:
    def __init__(self, scene) -> None:
        self.scene = scene
        self.origin: PortItem | None = None
        self.detached: Edge | None = None
        self.wire: WireItem | None = None
        self.valid: set[PortItem] = set()

    def begin(self, port: PortItem, pos) -> None:
        graph = self.scene.graph
        self.detached = None
        if not port.is_output and not port.many:
            existing = graph.edges_into(port.node_id, port.name)
            if existing:
                self.detached = existing[0]
                self.scene.edge_item(self.detached).setVisible(False)
                port = self.scene.node_item(self.detached.src).port(self.detached.src_port, True)
        self.origin = port
        self.valid = self._compatible(port)
        for p in self.valid:
            p.set_highlight(True)
        self.wire = WireItem(port.anchor(), port.is_output, self.scene.theme)
        self.scene.addItem(self.wire)
        self.move(pos)

    def move(self, pos) -> None:
        if self.wire is None:
            return
        target = self.target_at(pos)
        ok = target in self.valid
        self.wire.follow(target.anchor() if ok else pos, ok)

    def finish(self, pos, screen_pos=None) -> None:
        if self.origin is None:
            return
        target = self.target_at(pos)
        origin, detached = self.origin, self.detached
        self._clear()
        if target is None:
            if detached is not None:
                self.scene.offer(RemoveItems([], [detached], text="Disconnect"))
            elif not self.scene.items(pos):  # empty canvas: offer a layer to wire in
                self.scene.wire_dropped.emit(origin.node_id, origin.name, origin.is_output, pos)
            return
        out, inp = (origin, target) if origin.is_output else (target, origin)
        edge = Edge(out.node_id, out.name, inp.node_id, inp.name)
        if edge == detached:
            return
        edit = AddEdge(edge)
        if detached is not None:
            edit = Compound([RemoveItems([], [detached]), AddEdge(edge)], text="Reconnect")
        reason = self.scene.offer(edit)
        if reason and screen_pos is not None:
            QToolTip.showText(screen_pos.toPoint() if hasattr(screen_pos, "toPoint")
                              else screen_pos, reason)

    def cancel(self) -> None:
        self._clear()

    def _clear(self) -> None:
        for p in self.valid:
            p.set_highlight(False)
        self.valid = set()
        if self.wire is not None:
            self.scene.removeItem(self.wire)
            self.wire = None
        if self.detached is not None:
            item = self.scene.edge_item(self.detached)
            if item is not None:
                item.setVisible(True)
        self.origin = self.detached = None

    def target_at(self, pos) -> PortItem | None:
        """The port under the mouse, or the best port of the card under it."""
        want_output = not self.origin.is_output
        for item in self.scene.items(pos):
            if isinstance(item, PortItem) and item.is_output == want_output:
                return item
            node = item if isinstance(item, NodeItem) else None
            if node is None and isinstance(item.parentItem(), NodeItem):
                node = item.parentItem()
            if node is not None:
                ports = list((node.outputs if want_output else node.inputs).values())
                return next((p for p in ports if p in self.valid), ports[0] if ports else None)
        return None

    def _compatible(self, origin: PortItem) -> set[PortItem]:
        """The ports the document would let a wire from `origin` go to."""
        found = self.scene.graph.connectable(origin.node_id, origin.name, origin.is_output,
                                             without=self.detached)
        items = self.scene.node_items()  # cards not built yet are off screen: not lit
        return {(items[nid].inputs if origin.is_output else items[nid].outputs)[port]
                for nid, port in found if nid in items}
