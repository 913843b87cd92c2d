"""The node-graph editor: a Qt canvas over the Qt-free document. Never imports torch.

Embedding (what the app needs)::

    from netcanvas.graph_editor import EditDocument, GraphScene, GraphView, LAYER_MIME

    document = EditDocument(project)           # the project, its one undo stack, push/offer
    scene = GraphScene(document, kinds=kinds)  # mirrors document.graph through its events;
                                               # kinds: NodeKinds, what the cards show
    view = GraphView(scene)                    # the canvas widget
    document.analysis_changed.connect(scene.set_analysis)   # shapes, param counts, errors
    scene.selection_changed_nodes.connect(inspector.show_nodes)   # list[str] of node ids
    scene.edit_rejected.connect(status_bar.showMessage)            # document's refusals
    scene.detach()                             # before dropping the scene (new document)

EditDocument
    push(edit, gesture=None, graph=None): THE way to change the document, graph or settings
        (one undo step); a refusal raises GraphError / ParamError and changes nothing.
        `graph` a block definition's inner graph: the edit is made there (as an EditBlock).
    offer(edit, gesture=None, graph=None) -> None | reason: push for gestures; the refusal
        is returned and emitted as edit_refused. The scene, inspector and training forms
        all use these.
GraphScene(document, parent=None, graph=None, *, kinds)
    shows document.graph, or `graph` (a block's inside: the app opens one scene per level)
    offer(edit, gesture=None): the document's offer, for this scene's graph
    add_layer(type_id, pos, centered=True, wire_to=None) -> node id | None
    place(size, pos, centered=True) -> top-left of a new card in free space
    show_params_of(graph): cards show the params of the same ids there (a block's run)
    delete_selection(), copy_selection(), cut_selection(), paste(at=None),
    duplicate_selection(), nudge_selection(dx, dy), auto_layout(aspect=None)
    select_all(), select_nodes(ids), selected_node_ids(), selected_edges()
    nodes_rect(ids=None), node_item(id), edge_item(edge), wirable_port(kind, wire_to)
    snap_to_grid (bool attribute); restyle() runs by itself on a palette change
    signals: selection_changed_nodes(list), edit_rejected(str), wire_dropped(...),
        node_opened(node_id) (double-click), block_dropped(payload, pos) (BLOCK_MIME drop)
GraphView
    frame_selection_or_all() (F), frame(rect), reset_zoom() (Ctrl+0), zoom(),
    zoom_by(factor, anchor=None), cursor_scene_pos(),
    open_quick_add(scene_pos=None, wire_to=None) (Tab; also offered when a new wire is
        dropped on empty canvas, and the chosen layer is wired in)
    Handles Delete, Ctrl+C/X/V/D/A, arrows and Escape itself; menu actions bound to the
    same shortcuts take precedence, so nothing fires twice.
Formats: palette drags carry LAYER_MIME with the utf-8 type_id (or BLOCK_MIME with the
app's block payload); the clipboard carries NODES_MIME (and text/plain) with
{nodes, edges} JSON in Graph.to_dict() format.
NodeKinds (kinds.py): the editor's descriptor of each type of node (title, category, hue,
    ports, key params, search text) and the one layer search rule, built by the app from
    the registry (app/node_kinds.py); the editor never reads the registry. Its `block`
    kind is the look of block instances; `of(node)` gives one its definition's title,
    ports and exposed params.
Helpers the app may reuse: style.Style.from_palette, backend.graph.layout.layered_layout
(and `folded`, its rows fitted to an aspect), node_item.card_size.
"""

from netcanvas.graph_editor.clipboard import NODES_MIME
from netcanvas.graph_editor.commands import EditCommand
from netcanvas.graph_editor.document import EditDocument
from netcanvas.graph_editor.kinds import BLOCK_MIME, LAYER_MIME, NodeKind, NodeKinds
from netcanvas.graph_editor.scene import GraphScene
from netcanvas.graph_editor.view import GraphView

__all__ = ["BLOCK_MIME", "LAYER_MIME", "NODES_MIME", "EditCommand", "EditDocument", "GraphScene",
           "GraphView", "NodeKind", "NodeKinds"]
