"""ItemScene: the cards and wires of a graph's scene, built when they are first seen.

A 10,000-node graph must open in well under a second, and building a card costs about a
quarter of a millisecond. So the scene keeps every card's rect in a grid index (CardIndex,
also what wires are routed around) and every long wire's box in another, and builds items
only when a view is about to paint them (GraphView.paintEvent calls realize) or when they
are asked for (node_item, edge_item). What the scene was told about its nodes and wires
(analysis, marks, notes, overlay readings, the params shown inside a block) is kept here
and given to each item as it is built. A graph of up to EAGER_NODES cards is built whole.
"""

from __future__ import annotations

from netcanvas.backend.graph import BLOCK, Edge, Graph, Node
from netcanvas.graph_editor.edge_item import EdgeItem
from netcanvas.graph_editor.kinds import NodeKinds
from netcanvas.graph_editor.node_item import NodeItem, card_size
from netcanvas.graph_editor.routing import CardIndex
from netcanvas.graph_editor.style import Style
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QGraphicsScene

SCENE_EXTENT = 100_000.0  # a fixed, huge scene rect: no bounding-rect recomputation on edits
FIT_MARGIN = 20_000.0  # room kept past the cards when the scene grows beyond SCENE_EXTENT
WIRE_ROOM = 160.0  # how far a wire not built yet may stray from its cards' box (lanes)
EAGER_NODES = 300  # a graph this small is built whole at once (well under 0.1 s)
SHORT_WIRE = 600.0  # a wire whose cards' box is this small shows only near them


class ItemScene(QGraphicsScene):
    """The items half of GraphScene: which cards and wires exist, and what they show."""

    graph: Graph
    kinds: NodeKinds
    theme: Style

    def _init_items(self) -> None:
        """Index the graph's cards and wires (after graph, kinds and theme are set)."""
        self.cards = CardIndex()  # node id -> its card's rect, built or not (routing, free space)
        self._spans = CardIndex(cell=4 * SHORT_WIRE)  # long wires not built yet -> the box around their cards
        self._nodes: dict[str, NodeItem] = {}  # the cards built so far (see realize)
        self._wired: set[str] = set()  # built cards whose wires are all built too
        self._edges: dict[Edge, EdgeItem] = {}
        self._node_edges: dict[str, set[EdgeItem]] = {}
        self._analysis = None
        self._marks: dict[str, tuple[str, str]] = {}
        self._notes: dict[str, str] = {}
        self._readings: dict[tuple[str, str], tuple] = {}  # see set_wire_readings
        self._params_graph: Graph | None = None  # whose params the cards show (show_params_of)
        self._sizes: dict[str, tuple[float, float]] = {}  # card size by layer type
        self.setSceneRect(QRectF(-SCENE_EXTENT, -SCENE_EXTENT, 2 * SCENE_EXTENT, 2 * SCENE_EXTENT))
        for node in self.graph.nodes.values():  # a big graph's items wait for a view
            self._index_node(node)
        for edge in self.graph.edges:
            self._index_edge(edge)
        self._fit_scene_rect(self.cards.bounds())
        if len(self.graph.nodes) <= EAGER_NODES:
            self.build_all()

    # ---- lookups ------------------------------------------------------------------
    def node_item(self, node_id: str) -> NodeItem | None:
        """The card of a node of this scene's graph (built now if it was not yet)."""
        item = self._nodes.get(node_id)
        if item is None and node_id in self.graph.nodes:
            item = self._build_node(self.graph.nodes[node_id])
        return item

    def edge_item(self, edge: Edge) -> EdgeItem | None:
        """The wire of an edge (built now if it was not yet); None when it is not drawn."""
        item = self._edges.get(edge)
        if item is None and edge in self.graph.edges_from(edge.src):
            item = self._build_edge(edge)
        return item

    def node_items(self) -> dict[str, NodeItem]:
        """The cards built so far: those a view has shown, or that were asked for."""
        return self._nodes

    def edge_items(self) -> dict[Edge, EdgeItem]:
        """The wires built so far (see node_items)."""
        return self._edges

    # ---- building items when they are first seen ----------------------------------------
    def realize(self, rect: QRectF) -> None:
        """Build the cards and wires that may show in `rect` (scene coordinates) and are not
        built yet. A view calls it before it paints, so a 10,000-node graph opens by building
        the few items on screen; the rest wait in the card index. A card's wires are built
        with it; a long wire whose cards are both out of `rect` waits in its own index.
        `rect` should reach SHORT_WIRE past what shows, so that every short wire that shows
        has a card in it."""
        for node_id, _ in self.cards.query(rect):
            if node_id not in self._wired:
                self._wire(node_id)
        for edge, _ in self._spans.query(rect):
            self._build_edge(edge)

    def build_all(self) -> None:
        """Build every card and wire (what needs every item at once)."""
        for node_id in self.graph.nodes:
            if node_id not in self._wired:
                self._wire(node_id)

    def _wire(self, node_id: str) -> None:
        """Build a card, if it is not built, and its wires (and so the cards at their ends)."""
        self.node_item(node_id)
        self._wired.add(node_id)
        for edge in self.graph.edges_into(node_id) + self.graph.edges_from(node_id):
            if edge not in self._edges:
                self._build_edge(edge)

    def _card_rect(self, node: Node) -> QRectF:
        size = self._sizes.get(node.type_id)  # a block's size depends on its definition
        if size is None:
            size = card_size(self.kinds.of(node))
            if node.type_id != BLOCK:
                self._sizes[node.type_id] = size
        return QRectF(*node.position, *size)

    def _index_node(self, node: Node) -> None:
        """Note where a card not built yet goes."""
        self.cards.put(node.id, self._card_rect(node))

    def _index_edge(self, edge: Edge) -> None:
        """Note the box a long wire not built yet may cross (its cards', with room for a
        lane); a short one shows only near its cards and is built with the first of them."""
        src, dst = self.cards.rect(edge.src), self.cards.rect(edge.dst)
        if src is None or dst is None:
            return
        box = src.united(dst)
        if box.width() > SHORT_WIRE or box.height() > SHORT_WIRE:
            self._spans.put(edge, box.adjusted(-WIRE_ROOM, -WIRE_ROOM, WIRE_ROOM, WIRE_ROOM))
        elif edge in self._spans:
            self._spans.remove(edge)

    def _build_node(self, node: Node) -> NodeItem:
        item = NodeItem(node, self.theme, self.kinds.of(node))
        self._nodes[node.id] = item
        self._node_edges.setdefault(node.id, set())
        self.addItem(item)
        self.cards.put(node.id, item.mapRectToScene(item.card_rect()))
        shown = self._params_graph.nodes.get(node.id) if self._params_graph else None
        if shown is not None:
            item.refresh(shown)
        if self._analysis is not None:
            item.set_info(self._analysis.nodes.get(node.id))
        item.set_mark(self._marks.get(node.id))
        item.set_note(self._notes.get(node.id))
        return item

    def _build_edge(self, edge: Edge) -> EdgeItem | None:
        self._spans.remove(edge)
        src, dst = self.node_item(edge.src), self.node_item(edge.dst)  # a wire needs its cards
        if not self._drawable(edge):  # onto a port a block no longer has (see _rebuild)
            return None
        item = EdgeItem(edge, src.port(edge.src_port, True), dst.port(edge.dst_port, False),
                        self.theme, self.cards)
        self._edges[edge] = item
        self._node_edges[edge.src].add(item)
        self._node_edges[edge.dst].add(item)
        self.addItem(item)
        if self._analysis is not None:
            item.set_shape(self._analysis.edge_shapes.get(edge))
        item.set_reading(*self._readings.get((edge.src, edge.src_port), (None, None)))
        return item

    def _fit_scene_rect(self, cards: QRectF) -> None:
        """Grow the scene past its fixed extent when cards lie beyond it (a very long row),
        so scrolling, framing and search reach every card."""
        if not cards.isNull() and not self.sceneRect().contains(cards):
            self.setSceneRect(self.sceneRect().united(cards.adjusted(-FIT_MARGIN, -FIT_MARGIN,
                                                                      FIT_MARGIN, FIT_MARGIN)))

    def nodes_rect(self, node_ids=None) -> QRectF:
        """Scene rect around the given nodes' cards (all when None)."""
        if node_ids is None:
            return self.cards.bounds()
        rect = QRectF()
        for nid in node_ids:
            rect = rect.united(self.cards.rect(nid))
        return rect

    # ---- analysis -------------------------------------------------------------------
    def set_analysis(self, analysis) -> None:
        """Show shapes on edges, parameter counts and errors; touches only what changed."""
        old = self._analysis
        self._analysis = analysis
        old_nodes = old.nodes if old is not None else {}
        old_edges = old.edge_shapes if old is not None else {}
        for nid, item in self._nodes.items():
            info = analysis.nodes.get(nid)
            if old is None or old_nodes.get(nid) != info:
                item.set_info(info)
        for edge, item in self._edges.items():
            shape = analysis.edge_shapes.get(edge)
            if old is None or old_edges.get(edge) != shape:
                item.set_shape(shape)

    def show_params_of(self, graph: Graph) -> None:
        """Cards show the params of `graph`'s nodes of the same ids: inside a block, the
        values the opened instance runs (its exposed params set)."""
        self._params_graph = graph
        for nid, item in self._nodes.items():
            node = graph.nodes.get(nid)
            if node is not None:
                item.refresh(node)

    def _refresh(self, node_id: str) -> None:
        """Re-read a built card's name and params (one not built yet reads them when built)."""
        item = self._nodes.get(node_id)
        if item is not None:
            item.refresh(self.graph.node(node_id))

    def set_marks(self, marks: dict[str, tuple[str, str]]) -> None:
        """Pills on cards by node id ((text, role), see tag_item); every other card's goes."""
        self._marks = dict(marks)
        for nid, item in self._nodes.items():
            item.set_mark(marks.get(nid))

    def set_wire_readings(self, readings: dict[tuple[str, str], tuple]) -> None:
        """Overlay text and tint of the wires by source (node id, port): (reading, tint),
        see EdgeItem.set_reading; every other wire's clears."""
        self._readings = dict(readings)
        for edge, item in self._edges.items():
            item.set_reading(*readings.get((edge.src, edge.src_port), (None, None)))

    def set_notes(self, notes: dict[str, str]) -> None:
        """Training findings by node id (an amber badge and tooltip line); others clear."""
        self._notes = dict(notes)
        for nid, item in self._nodes.items():
            item.set_note(notes.get(nid))

    def _reindex(self, node: Node) -> None:
        """A card not built yet moved or resized: its rect and its waiting wires follow."""
        self._index_node(node)
        self._reindex_wires(node.id)
        self._fit_scene_rect(self.cards.rect(node.id))
        self.update(self.cards.rect(node.id))  # a view showing that place builds it

    def _drawable(self, edge: Edge) -> bool:
        src, dst = self._nodes.get(edge.src), self._nodes.get(edge.dst)
        return (src is not None and dst is not None and src.port(edge.src_port, True) is not None
                and dst.port(edge.dst_port, False) is not None)

    def _reindex_wires(self, node_id: str) -> None:
        """The wires not built yet of a card that moved: their boxes follow it."""
        for edge in self.graph.edges_into(node_id) + self.graph.edges_from(node_id):
            if edge not in self._edges:
                self._index_edge(edge)
