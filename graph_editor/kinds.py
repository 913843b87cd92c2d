"""What the editor shows of each kind of node, and the one layer search rule.

The editor never reads the layer registry: the app builds a `NodeKinds` from it
(app/node_kinds.py) and hands it to the scene. A node's ports and params come from the
node itself (backend.graph); its card's title, colour, key parameters and the search
text come from here. A block instance's kind is the app's block look with its
definition's title, ports and exposed params (`NodeKinds.of`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from netcanvas.backend.graph import BLOCK

LAYER_MIME = "application/x-netcanvas-layer"  # a drag of a kind of node carries its type id
BLOCK_MIME = "application/x-netcanvas-block"  # a palette block: utf-8 JSON the app reads


@dataclass(frozen=True)
class NodeKind:
    type_id: str
    title: str
    category: str
    doc: str
    inputs: tuple  # ports, each with .name and .fits(other port)
    outputs: tuple
    key_params: tuple[str, ...]  # the card shows the first three
    hue: int | None  # header and port hue in degrees (the app's theme); None: grey
    search_text: str  # title, type id, category and aliases, lower case
    quiet: bool = False  # a low-saturation colour (blocks hold layers of every kind)

    def matches(self, words: list[str]) -> bool:
        """The search rule: every (lower-case) word occurs in the search text."""
        return all(w in self.search_text for w in words)


class NodeKinds(dict[str, NodeKind]):
    """type_id -> NodeKind, in palette order (by category, then as registered); `block`
    is the look of a block instance (None: no blocks)."""

    def __init__(self, kinds=(), block: NodeKind | None = None) -> None:
        super().__init__(kinds)
        self.block = block

    def __missing__(self, type_id: str) -> NodeKind:
        raise KeyError(f"unknown layer type {type_id!r}")

    def of(self, node) -> NodeKind:
        """What a node's card shows: its type's kind (the one place to describe a node by
        more than its type). A block instance's comes from its definition."""
        return self.block_kind(node.spec) if node.type_id == BLOCK else self[node.type_id]

    def block_kind(self, spec) -> NodeKind:
        """The kind of a block instance of `spec` (the spec its definition gives): its
        title, doc and ports; its card lists the exposed params (the repeat is in the
        title, "×2")."""
        if self.block is None:
            raise KeyError(f"unknown layer type {BLOCK!r}")
        return replace(self.block, title=spec.title, doc=spec.doc, inputs=tuple(spec.inputs),
                       outputs=tuple(spec.outputs),
                       key_params=tuple(k for k in spec.key_params if k != "repeat"),
                       search_text=f"{spec.title} {self.block.search_text}".lower())

    def search(self, query: str) -> list[str]:
        """Type ids of the kinds matching `query`; titles starting with it first, then by
        category (in palette order) and title."""
        words, start = query.lower().split(), query.lower().strip()
        order: dict[str, int] = {}
        for kind in self.values():
            order.setdefault(kind.category, len(order))
        ranked = [(not kind.title.lower().startswith(start), order[kind.category], kind.title,
                   kind.type_id) for kind in self.values() if kind.matches(words)]
        return [t for *_, t in sorted(ranked)]
