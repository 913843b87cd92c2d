"""Block editing in the window: group, ungroup, make unique, drop from and save to the block
library, and what the navigator needs to open an instance (its label, definition and inner
graph) and to show the shapes of the instance that was opened.

Every edit goes through the current canvas's scene (`scene.offer`), so inside an opened
block it changes that block's definition, as one undo step of the document."""

from __future__ import annotations

import json

from netcanvas.backend.blocks.edits import AddBlock, GroupNodes, MakeUnique, RenamePort, Ungroup
from netcanvas.backend.blocks.inside import instance_analysis
from netcanvas.backend.blocks.io import blocks_from_dict
from netcanvas.backend.blocks.library import builtin_blocks, load_user_library, save_to_user_library
from netcanvas.backend.graph import BLOCK, Compound, Edit, Graph, Node, Rename, new_id
from netcanvas.backend.project_io import ProjectFileError
from netcanvas.backend.shapes import Analysis
from netcanvas.graph_editor.node_item import card_size
from PySide6.QtCore import QPointF

LAST = 1 << 30  # "the last repetition" for instance_analysis


def rename_edit(graph: Graph, node_id: str, name: str) -> tuple[Edit, Graph | None]:
    """The edit renaming a node of `graph` (the top level or a block's inside) and the graph
    to offer it to. Inside a block an Input or Output node is one of the block's ports:
    renaming it also moves every instance's wire on that port to the new name, in every
    graph, as one undo step of the top level."""
    node = graph.node(node_id)
    if graph.owner is None or node.type_id not in ("input", "output"):
        return Rename(node_id, name), graph
    text = f"Rename port {node.name} of {graph.owner} to {name}"
    return RenamePort(graph.owner, node.name, name, text=text), None


class BlockEditing:
    """Acts on the shown document (`set_document`) and canvas (`set_canvas`); `navigator`
    knows the open block path, `palette` lists the library's blocks and `show_message(text,
    ms)` is the status bar's."""

    def __init__(self, *, navigator, palette, show_message) -> None:
        self.navigator, self.palette, self.show_message = navigator, palette, show_message
        self.document = self.scene = self.view = None
        self.library: dict[str, dict] = {}  # BLOCK_MIME payload -> "blocks" section

    def set_document(self, document) -> None:
        self.document = document

    def set_canvas(self, scene, view) -> None:
        self.scene, self.view = scene, view

    def top_label(self) -> str:
        return self.document.name.removesuffix(".netcanvas")

    def _say(self, text: str) -> None:
        self.show_message(text, 6000)

    def _selection(self, hint: str, blocks: bool = True) -> list[str]:
        """The selected nodes' ids (only the block instances, with `blocks`); when there
        are none, `hint` in the status bar says what to select."""
        scene = self.scene
        ids = [nid for nid in scene.selected_node_ids()
               if not blocks or scene.graph.nodes[nid].type_id == BLOCK]
        if not ids:
            self._say(hint)
        return ids

    # ---- opening ----------------------------------------------------------------------
    @staticmethod
    def opens(graph: Graph, node_id: str) -> tuple[str, str, Graph] | None:
        """(instance name, definition name, inner graph) of a block instance, else None."""
        node = graph.nodes.get(node_id)
        if node is None or node.type_id != BLOCK or graph.blocks is None:
            return None
        name = node.params.get("block")
        if name not in graph.blocks:
            return None
        return node.name, name, graph.blocks[name].graph

    def level_analysis(self) -> tuple[Graph | None, Analysis]:
        """What the current canvas shows: at the top, (None, the document's analysis);
        inside a block, the graph the opened instance runs (its first repetition, or the
        one that fails: exposed params set) and its analysis, keyed by the inner node ids;
        an empty analysis while the shapes reaching the instance are unknown."""
        analysis = self.document.analysis
        graph, ran = self.document.graph, None
        for node_id in self.navigator.path():
            if self.opens(graph, node_id) is None:
                return None, Analysis()
            first = instance_analysis(graph, node_id, analysis)
            if first is None:
                return None, Analysis()
            last = instance_analysis(graph, node_id, analysis, LAST)
            graph, analysis = last if last[1].errors else first
            ran = graph
        return ran, analysis

    # ---- edits --------------------------------------------------------------------------
    def group(self) -> None:
        """Ctrl+G: the selected nodes become one block instance, one undo step."""
        scene = self.scene
        ids = self._selection("Select the nodes to group into a block", blocks=False)
        if not ids:
            return
        edit = GroupNodes(ids)
        if scene.offer(edit) is None:
            scene.select_nodes([edit.instance_id])
            node = scene.graph.nodes[edit.instance_id]
            self._say(f"Grouped {len(ids)} nodes into {node.params['block']} "
                      "(double-click it to edit inside; Ctrl+Shift+G ungroups)")

    def ungroup(self) -> None:
        """Ctrl+Shift+G: each selected block becomes the nodes it runs, one undo step."""
        scene = self.scene
        ids = self._selection("Select a block to ungroup")
        if not ids:
            return
        edits = [Ungroup(nid) for nid in ids]
        edit = edits[0] if len(edits) == 1 else Compound(edits, text="Ungroup blocks")
        before = set(scene.graph.nodes)
        if scene.offer(edit) is None:
            scene.select_nodes([nid for nid in scene.graph.nodes if nid not in before])

    def make_unique(self, node_id: str | None = None) -> None:
        """Give a block (default: the selected one) its own copy of its definition."""
        ids = [node_id] if node_id else self._selection("Select a block to make unique")[:1]
        if not ids:
            return
        edit = MakeUnique(ids[0])
        if self.scene.offer(edit) is None:
            self._say(f"This block now has its own definition, {edit.block_name}")

    # ---- the library -----------------------------------------------------------------------
    def palette_entries(self) -> list[tuple[str, str, str]]:
        """(title, tooltip, payload) of the built-in blocks, then the user's own."""
        try:
            user = load_user_library()
        except ProjectFileError as exc:
            self._say(f"Your block library cannot be read: {exc}")
            user = {}
        entries, self.library = [], {}
        for source, sections in (("builtin", builtin_blocks()), ("user", user)):
            for name, section in sections.items():
                payload = json.dumps({"source": source, "name": name})
                self.library[payload] = section
                doc = section[name].get("doc", "")
                mine = " <i>(your library)</i>" if source == "user" else ""
                entries.append((name, f"<b>{name}</b>{mine}<br>{doc}", payload))
        return entries

    def refresh_palette(self) -> None:
        self.palette.set_blocks(self.palette_entries())

    def drop(self, payload: str, pos: QPointF | None = None) -> str | None:
        """Add a library block at `pos` (default: the view's centre), copying its
        definitions into the project; one undo step. The new instance's id."""
        scene = self.scene
        section = self.library.get(payload)
        if section is None:
            self._say("That block is no longer in the library")
            return None
        name = json.loads(payload)["name"]
        spec = blocks_from_dict(section).spec(name)  # a scratch copy, for the card's size
        if pos is None:
            pos = self.view.mapToScene(self.view.viewport().rect().center())
        x, y = scene.place(card_size(scene.kinds.block_kind(spec)), (pos.x(), pos.y()))
        node = Node(new_id(), BLOCK, scene.graph.unique_name(spec.module_prefix),
                    {"block": name}, (round(x), round(y)))
        if scene.offer(AddBlock(section, node, text=f"Add {name}")) is not None:
            return None
        scene.select_nodes([node.id])
        self.view.setFocus()
        return node.id

    def save_to_library(self) -> None:
        """Keep the selected block's definition (and the blocks inside it) in the user's
        library, for any project."""
        ids = self._selection("Select a block to save to your library")[:1]
        if not ids:
            return
        name = self.scene.graph.nodes[ids[0]].params["block"]
        try:
            path = save_to_user_library(self.document.project.blocks, name)
        except (OSError, ProjectFileError) as exc:
            self._say(f"Cannot save {name} to your library: {exc}")
            return
        self.refresh_palette()
        self._say(f"Saved {name} to your block library ({path})")
