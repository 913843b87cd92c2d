"""GraphScene: the QGraphicsScene that mirrors a Qt-free Graph through its events.

Items are never the source of truth. Every gesture becomes a backend edit offered to the
document (EditDocument.offer, the one front door); the graph then announces the change and
the scene follows it, so undo, redo and edits made elsewhere (the inspector, scripts) all
redraw the same way.
"""

from __future__ import annotations

import html

from netcanvas.backend.graph import (
    BLOCK,
    AddNodes,
    Edge,
    Graph,
    GraphError,
    MoveNodes,
    Node,
    RemoveItems,
)
from netcanvas.backend.graph.layout import folded, layered_layout
from netcanvas.graph_editor import clipboard
from netcanvas.graph_editor.document import EditDocument
from netcanvas.graph_editor.edge_item import EdgeItem
from netcanvas.graph_editor.kinds import BLOCK_MIME, LAYER_MIME, NodeKinds
from netcanvas.graph_editor.node_item import NodeItem, card_size, port_y
from netcanvas.graph_editor.port_item import PortItem
from netcanvas.graph_editor.routing import is_long
from netcanvas.graph_editor.scene_items import ItemScene
from netcanvas.graph_editor.style import Style
from netcanvas.graph_editor.wiring import Wiring
from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QToolTip

PASTE_OFFSET = 40.0
FREE_STEP = 40.0  # new cards move in these steps, nearest first, until they overlap nothing
FREE_RINGS = 12
FREE_GAP = 12.0  # clear space kept around a placed card


class GraphScene(ItemScene):
    node_hint = None  # (node id) -> extra tooltip lines for a card and its wires; set by the app
    node_picture = None  # (node id) -> rich text (its output's picture) under a card's tooltip
    selection_changed_nodes = Signal(list)  # selected node ids, document order
    edit_rejected = Signal(str)  # why an edit was refused (the document's), for the status bar
    # A new wire released on empty canvas: (node_id, port, is_output, scene_pos); the view
    # offers quick-add there and wires the chosen layer in.
    wire_dropped = Signal(str, str, bool, QPointF)
    # A right-click on a node: (node_id, screen position); the app offers its quick fixes.
    node_context_menu = Signal(str, QPoint)
    # A double-click on a node: its id (the app opens a block instance's inner graph)
    node_opened = Signal(str)
    # A palette block dropped on the canvas: (its BLOCK_MIME payload, scene position)
    block_dropped = Signal(str, QPointF)

    def __init__(self, document: EditDocument, parent=None, graph: Graph | None = None, *,
                 kinds: NodeKinds) -> None:
        """A scene of `graph`: the document's top-level graph by default, or a block
        definition's inner graph; its edits go to that graph through the document."""
        super().__init__(parent)
        self.document = document
        self.kinds = kinds  # what a card and the quick add show of each type (the app's)
        self.graph = graph = document.graph if graph is None else graph
        self.snap_to_grid = False
        # type_id -> params overriding the declared defaults of a new node (the app gives an
        # Input the project dataset's sample shape)
        self.new_node_params = lambda type_id: {}
        self.theme = Style.from_palette(self.palette())
        self.wiring = Wiring(self)
        self._paste_serial = 0
        self._reroute_pending = False
        self._init_items()
        self._handlers = [
            (graph.node_added, self._on_node_added), (graph.node_removed, self._on_node_removed),
            (graph.edge_added, self._on_edge_added), (graph.edge_removed, self._on_edge_removed),
            (graph.param_changed, self._on_param_changed),
            (graph.node_renamed, self._on_node_renamed), (graph.node_moved, self._on_node_moved),
            (graph.training_changed, self._on_training_changed),
        ]
        if graph.blocks is not None:  # a block's ports or card may change from inside it
            self._handlers.append((graph.blocks.changed, self._on_blocks_changed))
        for event, handler in self._handlers:
            event.connect(handler)
        document.edit_refused.connect(self.edit_rejected)
        self.selectionChanged.connect(self._emit_selection)

    def detach(self) -> None:
        """Stop following the graph (before the app drops this scene)."""
        for event, handler in self._handlers:
            event.disconnect(handler)
        self._handlers = []
        self.document.edit_refused.disconnect(self.edit_rejected)

    def offer(self, edit, gesture: str | None = None) -> str | None:
        """Offer an edit of this scene's graph to the document (the one front door)."""
        return self.document.offer(edit, gesture, graph=self.graph)

    def selected_node_ids(self) -> list[str]:
        """Selected node ids in document order."""
        chosen = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
        return [nid for nid in self.graph.nodes if nid in chosen]

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def _emit_selection(self) -> None:
        self.selection_changed_nodes.emit(self.selected_node_ids())

    def select_nodes(self, node_ids) -> None:
        wanted = set(node_ids)
        self.blockSignals(True)
        self.clearSelection()
        for nid in wanted:
            self.node_item(nid).setSelected(True)
        self.blockSignals(False)
        self.selection_changed_nodes.emit(self.selected_node_ids())

    def select_all(self) -> None:
        self.select_nodes(list(self.graph.nodes))

    def add_layer(self, type_id: str, pos: QPointF | tuple, centered: bool = True,
                  wire_to: tuple[str, str, bool] | None = None) -> str | None:
        """Add a layer with default params at `pos` (its centre, or top-left); its id.

        `wire_to=(node_id, port, is_output)` also wires the new layer to that port (a wire
        dropped on empty canvas), placing the new card's port at `pos`; one undo step."""
        kind = self.kinds[type_id]
        x, y = (pos.x(), pos.y()) if isinstance(pos, QPointF) else pos
        w, h = card_size(kind)
        port = self.wirable_port(kind, wire_to) if wire_to is not None else None
        if port is not None:
            ports = kind.inputs if wire_to[2] else kind.outputs
            y -= port_y(ports.index(port), len(ports))
            x -= 0 if wire_to[2] else w
        else:
            wire_to = None
        if wire_to is None:
            x, y = self.place((w, h), (x, y), centered)
        node = self.graph.new_node(type_id, (round(x), round(y)), self.new_node_params(type_id))
        edges = []
        if wire_to is not None:
            other, other_port, from_output = wire_to
            edges = [Edge(other, other_port, node.id, port.name) if from_output
                     else Edge(node.id, port.name, other, other_port)]
        if self.offer(AddNodes([node], edges, text=f"Add {kind.title}")) is not None:
            return None
        self.select_nodes([node.id])
        return node.id

    def place(self, size: tuple[float, float], pos: tuple[float, float],
              centered: bool = True) -> tuple[float, float]:
        """Top-left of a new card of `size` at `pos` (its centre, or top-left), moved to
        free space: a drop or quick-add never lands on another card."""
        x, y = pos
        if centered:
            x, y = x - size[0] / 2, y - size[1] / 2
        free = self.free_offset(QRectF(x, y, *size))
        return x + free.x(), y + free.y()

    def free_offset(self, rect: QRectF, avoid: list[QRectF] = ()) -> QPointF:
        """The smallest shift (nearest first, in FREE_STEP steps) that makes `rect` overlap
        no card (nor a rect of `avoid`); no shift when there is none within reach."""
        steps = range(-FREE_RINGS, FREE_RINGS + 1)
        for dx, dy in sorted(((i, j) for i in steps for j in steps),
                             key=lambda d: (d[0] ** 2 + d[1] ** 2, abs(d[0]), d[1] < 0)):
            moved = rect.translated(dx * FREE_STEP, dy * FREE_STEP)
            padded = moved.adjusted(-FREE_GAP, -FREE_GAP, FREE_GAP, FREE_GAP)
            if not self.cards.query(padded) and not any(padded.intersects(r) for r in avoid):
                return QPointF(dx * FREE_STEP, dy * FREE_STEP)
        return QPointF()

    def land_in_free_space(self, nodes: list[Node]) -> None:
        """Move new `nodes` (not yet in the graph: an edit's, before it is pushed) so that
        none lands on a card or on another of them."""
        placed: list[QRectF] = []
        for node in nodes:
            rect = QRectF(*node.position, *card_size(self.kinds.of(node)))
            rect.translate(self.free_offset(rect, placed))
            node.position = (round(rect.x()), round(rect.y()))
            placed.append(rect)

    def wirable_port(self, kind, wire_to: tuple[str, str, bool]):
        """The first port of a new node of `kind` that could be wired to the port
        `wire_to=(node_id, port, is_output)`, or None (also quick-add's filter)."""
        other_id, other_port, from_output = wire_to
        if other_id not in self.graph.nodes:
            return None
        other = self.graph.nodes[other_id].spec
        theirs = (other.output_port if from_output else other.input_port)(other_port)
        ours = kind.inputs if from_output else kind.outputs
        return next((p for p in ours if theirs is not None and p.fits(theirs)), None)

    def delete_selection(self) -> None:
        ids, edges = self.selected_node_ids(), self.selected_edges()
        if ids or edges:
            self.offer(RemoveItems(ids, edges, text="Delete"))

    def nudge_selection(self, dx: float, dy: float) -> None:
        """Arrow-key move; a run of nudges of the same nodes is one undo step."""
        moved = {nid: (self.graph.nodes[nid].position[0] + dx,
                       self.graph.nodes[nid].position[1] + dy)
                 for nid in self.selected_node_ids()}
        if moved:
            self.offer(MoveNodes(moved, text="Move"), gesture="nudge")

    def copy_selection(self) -> bool:
        ids = self.selected_node_ids()
        if not ids:
            return False
        clipboard.put_on_clipboard(clipboard.selection_dict(self.graph, ids))
        self._paste_serial = 0
        return True

    def cut_selection(self) -> None:
        if self.copy_selection():
            self.delete_selection()

    def paste(self, at: QPointF | None = None) -> list[str]:
        """Paste the clipboard's nodes, centred on `at` or offset from where they were."""
        data = clipboard.from_mime(QGuiApplication.clipboard().mimeData())
        if not data or not data["nodes"]:
            return []
        if at is not None:
            cx, cy = clipboard.bounds_center(data)
            offset = (at.x() - cx, at.y() - cy)
        else:
            self._paste_serial += 1
            offset = (PASTE_OFFSET * self._paste_serial,) * 2
        return self._add_payload(data, offset, "Paste")

    def duplicate_selection(self) -> list[str]:
        ids = self.selected_node_ids()
        if not ids:
            return []
        return self._add_payload(clipboard.selection_dict(self.graph, ids),
                                 (PASTE_OFFSET, PASTE_OFFSET), "Duplicate")

    def _add_payload(self, data: dict, offset, text: str) -> list[str]:
        try:
            edit = clipboard.paste_edit(self.graph, data, offset)
            bounds = QRectF()
            for node in edit.nodes:
                bounds = bounds.united(QRectF(*node.position, *card_size(self.kinds.of(node))))
        except (KeyError, TypeError, ValueError) as exc:
            self.edit_rejected.emit(f"cannot paste: {exc}")
            return []
        edit.text = text
        free = self.free_offset(bounds)  # pasted cards never land on top of others
        for node in edit.nodes:
            node.position = (node.position[0] + free.x(), node.position[1] + free.y())
        if self.offer(edit) is not None:
            return []
        ids = [n.id for n in edit.nodes]
        self.select_nodes(ids)
        return ids

    def auto_layout(self, aspect: float | None = None) -> None:
        """Layered left-to-right layout of the whole graph, as one undo step; with `aspect`
        (the view's width / height), a long graph folds into rows that fit that shape."""
        if not self.graph.nodes:
            return
        ids = list(self.graph.nodes)
        sizes = {nid: (self.cards.rect(nid).width(), self.cards.rect(nid).height())
                 for nid in ids}
        top_left = self.nodes_rect().topLeft()
        pos = layered_layout(ids, [(e.src, e.dst) for e in self.graph.edges], sizes,
                             origin=(top_left.x(), top_left.y()))
        if aspect is not None:
            pos = folded(pos, sizes, aspect=aspect)
        moved = {nid: p for nid, p in pos.items() if p != self.graph.nodes[nid].position}
        if moved:
            self.offer(MoveNodes(moved, text="Auto-layout"))

    # ---- graph events -> items ---------------------------------------------------------
    def _on_node_added(self, node: Node) -> None:
        self._wire(node.id)  # an edit's few nodes are built at once
        self._fit_scene_rect(self.cards.rect(node.id))

    def _on_node_removed(self, node: Node) -> None:
        self.wiring.cancel()
        self.cards.remove(node.id)
        self._wired.discard(node.id)
        self._node_edges.pop(node.id, None)
        item = self._nodes.pop(node.id, None)
        if item is not None:
            self.removeItem(item)

    def _on_edge_added(self, edge: Edge) -> None:
        if edge.src in self._wired or edge.dst in self._wired:
            self._build_edge(edge)
        else:  # between cards not shown yet: built with them
            self._index_edge(edge)

    def _on_edge_removed(self, edge: Edge) -> None:
        self._spans.remove(edge)
        item = self._edges.pop(edge, None)
        if item is None:  # never drawn
            return
        for nid in (edge.src, edge.dst):
            self._node_edges.get(nid, set()).discard(item)
        self.removeItem(item)

    def _on_param_changed(self, node_id: str, name: str, value) -> None:
        node = self.graph.node(node_id)
        if node.type_id == BLOCK and name == "block":  # now another definition's instance
            self._rebuild(node)
        else:
            self._refresh(node_id)

    def _on_training_changed(self, node_id: str, _training) -> None:
        self._refresh(node_id)

    def _on_blocks_changed(self) -> None:
        """Redraw the cards of instances whose definition now has other ports, title or
        card params (edited inside, Make Unique undone, ...)."""
        for node in list(self.graph.nodes.values()):
            if node.type_id != BLOCK:
                continue
            try:
                kind = self.kinds.of(node)
            except GraphError:  # its definition is going away with it
                continue
            item = self._nodes.get(node.id)
            if item is None:  # not built: its card may have another size now
                self._reindex(node)
            elif kind != item.kind:
                self._rebuild(node)

    def _rebuild(self, node: Node) -> None:
        """A new card for `node`, with its wires (a wire to a port that is gone stays
        in the document, reported by the analysis, but is not drawn)."""
        item = self._nodes.get(node.id)
        if item is None:
            self._reindex(node)
            return
        selected = item.isSelected()
        for edge_item in list(self._node_edges.get(node.id, ())):
            self._on_edge_removed(edge_item.edge)
        self._on_node_removed(node)
        self._on_node_added(node)  # with its wires
        self._nodes[node.id].setSelected(selected)

    def _on_node_renamed(self, node_id: str, name: str) -> None:
        self._refresh(node_id)

    def _on_node_moved(self, node_id: str, position) -> None:
        item = self._nodes.get(node_id)
        if item is None:
            self._reindex(self.graph.node(node_id))
        elif (item.x(), item.y()) != tuple(position):
            item.setPos(*position)

    def node_item_moved(self, item: NodeItem) -> None:
        if item.node_id in self._nodes:
            rect = item.mapRectToScene(item.card_rect())
            self.cards.put(item.node_id, rect)
            self._fit_scene_rect(rect)
            if item.node_id not in self._wired:
                self._reindex_wires(item.node_id)
        for edge in self._node_edges.get(item.node_id, ()):
            edge.update_path()
        if not self._reroute_pending:  # a moved card may now block, or free, a long wire
            self._reroute_pending = True
            QTimer.singleShot(0, self, self._reroute_long_edges)

    def _reroute_long_edges(self) -> None:
        self._reroute_pending = False
        for edge in self._edges.values():
            if is_long(edge.src_port.anchor(), edge.dst_port.anchor()):
                edge.update_path()

    # ---- Qt events ----------------------------------------------------------------------
    def mouseReleaseEvent(self, event) -> None:
        super().mouseReleaseEvent(event)
        moved = {nid: (item.x(), item.y()) for nid, item in self._nodes.items()
                 if item.isSelected() and (item.x(), item.y()) != self.graph.nodes[nid].position}
        if moved:  # one drag, however many mouse events, is one step
            self.offer(MoveNodes(moved, text="Move"))

    def dragEnterEvent(self, event) -> None:
        event.setAccepted(_droppable(event.mimeData()))

    def dragMoveEvent(self, event) -> None:
        event.setAccepted(_droppable(event.mimeData()))

    def dropEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(BLOCK_MIME):
            self.block_dropped.emit(bytes(mime.data(BLOCK_MIME)).decode("utf-8"),
                                    event.scenePos())
            event.acceptProposedAction()
            return
        if not mime.hasFormat(LAYER_MIME):
            event.ignore()
            return
        type_id = bytes(mime.data(LAYER_MIME)).decode("utf-8")
        if type_id not in self.kinds:
            self.edit_rejected.emit(f"unknown layer type {type_id!r}")
            event.ignore()
            return
        self.add_layer(type_id, event.scenePos())
        event.acceptProposedAction()

    def mouseDoubleClickEvent(self, event) -> None:
        for item in self.items(event.scenePos()):
            if isinstance(item, NodeItem):
                self.node_opened.emit(item.node_id)
                event.accept()
                return
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event) -> None:
        for item in self.items(event.scenePos()):
            if isinstance(item, NodeItem):
                if not item.isSelected():
                    self.select_nodes([item.node_id])
                self.node_context_menu.emit(item.node_id, event.screenPos())
                event.accept()
                return
        super().contextMenuEvent(event)

    def helpEvent(self, event) -> None:
        """Tooltips are composed on demand: name, type, output shape, parameters, error;
        a wire: its shape and what `node_hint` adds about its source (the receptive field)."""
        for item in self.items(event.scenePos()):
            if isinstance(item, (NodeItem, PortItem)):
                QToolTip.showText(event.screenPos(), self.tooltip_html(item), event.widget())
                return
            if isinstance(item, EdgeItem) and self.node_hint is not None:
                lines = [item.label] if item.label else []
                lines += self.node_hint(item.edge.src)
                if lines:
                    QToolTip.showText(event.screenPos(), "\n".join(lines), event.widget())
                    return
        QToolTip.hideText()

    def tooltip_html(self, item) -> str:
        """A card's tooltip lines, with what `node_picture` adds (its output) under them."""
        text = item.tooltip_text()
        picture = self.node_picture(item.node_id) if isinstance(item, NodeItem) and \
            self.node_picture is not None else ""
        if not picture:
            return text
        return html.escape(text).replace("\n", "<br>") + "<br>" + picture

    def event(self, event) -> bool:
        handled = super().event(event)
        if event.type() in (QEvent.PaletteChange, QEvent.ApplicationPaletteChange):
            self.restyle()
        return handled

    def restyle(self) -> None:
        """Re-derive colours from the palette (light/dark switch)."""
        self.theme = Style.from_palette(self.palette())
        for item in self._nodes.values():
            item.set_style(self.theme)
        for item in self._edges.values():
            item.set_style(self.theme)
        self.update()


def _droppable(mime) -> bool:
    return mime.hasFormat(LAYER_MIME) or mime.hasFormat(BLOCK_MIME)
