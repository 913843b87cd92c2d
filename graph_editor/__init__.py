"""The node-graph editor: a Qt canvas over the Qt-free document. Never imports torch.

Embedding (what the app needs)::

    from netcanvas.graph_editor import GraphScene, GraphView, EditCommand, LAYER_MIME

    scene = GraphScene(graph, undo_stack)      # mirrors `graph` through its events
    view = GraphView(scene)                    # the canvas widget
    document.analysis_changed.connect(scene.set_analysis)   # shapes, param counts, errors
    scene.selection_changed_nodes.connect(inspector.show_nodes)   # list[str] of node ids
    scene.edit_rejected.connect(status_bar.showMessage)            # reason text
    scene.detach()                             # before dropping the scene (new document)

GraphScene: `apply_edit(edit, gesture=None) -> None | reason` (the one way to change the document: one
undo step; use it from the inspector too), `add_layer(type_id, pos, wire_to=None)`,
`wirable_port(spec, wire_to)`, `delete_selection()`,
`copy_selection()`, `cut_selection()`, `paste(at=None)`, `duplicate_selection()`,
`nudge_selection(dx, dy)`, `select_all()`, `select_nodes(ids)`, `selected_node_ids()`, `selected_edges()`,
`auto_layout()`, `nodes_rect(ids=None)`, `node_item(id)`, `edge_item(edge)`,
`snap_to_grid` (bool attribute), `restyle()` (automatic on palette change).
GraphView: `frame_selection_or_all()` (F), `frame(rect)`, `reset_zoom()` (Ctrl+0),
`zoom_by(f, anchor=None)`, `zoom()`, `open_quick_add(scene_pos=None)` (Tab; also offered
when a new wire is dropped on empty canvas, wiring the chosen layer in), `cursor_scene_pos()`.
The view also handles Delete, Ctrl+C/X/V/D/A and Escape itself; menu actions bound to the
same shortcuts simply take precedence. Palette drags carry LAYER_MIME with the utf-8
type_id; the clipboard carries NODES_MIME with {nodes, edges} JSON (Graph.to_dict format).
"""

from .clipboard import NODES_MIME
from .commands import EditCommand
from .scene import LAYER_MIME, GraphScene
from .view import GraphView

__all__ = ["LAYER_MIME", "NODES_MIME", "EditCommand", "GraphScene", "GraphView"]
